"""The WebAssembly binary toolkit: opcode table, module model, reader, writer, WAT printer, builder."""
