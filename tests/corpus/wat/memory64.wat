;; memory64: an i64-indexed memory with i64 addresses, offsets beyond 32 bits in the memarg, and
;; memory.size/grow/fill/copy returning and taking i64.
;; @run run => 145
;; @run far => trap
(module
  (memory $m i64 1 4)
  (data (i64.const 16) "\05\06\07")
  (func (export "run") (result i64)
    i64.const 0 i64.const 99 i64.store
    i64.const 0 i64.load
    i64.const 16 i64.load8_u offset=1 i64.add
    memory.size i64.add
    i64.const 1 memory.grow i64.add
    i64.const 32 i32.const 3 i64.const 8 memory.fill
    i64.const 48 i64.const 32 i64.const 8 memory.copy
    i64.const 48 i64.load8_u i64.add
    i64.const 0 i32.load offset=16 i64.extend_i32_u i64.const 0xff i64.and i64.add
    i64.const 30 i64.add)
  (func (export "far") (result i32)
    i64.const 0 i32.load offset=0x100000000)
)
