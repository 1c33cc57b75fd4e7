wasm:opcode:ref.test:before {
    var x: u32 = imm0;
}
