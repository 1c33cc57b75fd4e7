;; Custom page sizes: a memory with 1-byte pages (memory.size counts bytes).
;; @run run => 71
(module
  (memory $tiny 64 1024 (pagesize 1))
  (data (i32.const 0) "\07")
  (func (export "run") (result i32)
    memory.size
    i32.const 3 memory.grow i32.add
    i32.const 0 i32.load8_u i32.add
    i32.const 64 i32.sub
    i32.const 63 i32.add
    i32.const 66 i32.const 1 i32.store8
    i32.const 66 i32.load8_u i32.add
    i32.const 64 i32.sub))
