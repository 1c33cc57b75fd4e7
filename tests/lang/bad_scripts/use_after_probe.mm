wasm:begin { }
use cache;
