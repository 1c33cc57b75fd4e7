use toggle;
wasm:begin { @dynamic toggle.next(); }
