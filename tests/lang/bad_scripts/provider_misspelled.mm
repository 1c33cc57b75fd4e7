wams:opcode:call:before { }
