;; Threads: a shared memory, atomic loads/stores, read-modify-write, cmpxchg, notify, wait (with a
;; timeout, on a value that does not match so it returns at once) and atomic.fence.
;; @run run => 1152
(module
  (memory 1 1 shared)
  (func (export "run") (result i32)
    (local $acc i32)
    i32.const 0 i32.const 5 i32.atomic.store
    i32.const 0 i32.const 7 i32.atomic.rmw.add drop
    i32.const 0 i32.atomic.load local.set $acc
    i32.const 8 i64.const 100 i64.atomic.store
    i32.const 8 i64.const 1 i64.atomic.rmw.sub drop
    i32.const 8 i64.const 0xff i64.atomic.rmw.and drop
    i32.const 8 i64.const 0x100 i64.atomic.rmw.or drop
    i32.const 8 i64.const 0x1 i64.atomic.rmw.xor drop
    i32.const 8 i64.atomic.load i32.wrap_i64 local.get $acc i32.add local.set $acc
    i32.const 16 i32.const 3 i32.atomic.store8
    i32.const 16 i32.const 200 i32.atomic.rmw8.add_u drop
    i32.const 16 i32.atomic.load8_u local.get $acc i32.add local.set $acc
    i32.const 20 i32.const 0 i32.const 77 i32.atomic.rmw.cmpxchg drop
    i32.const 20 i32.const 1 i32.atomic.rmw.xchg local.get $acc i32.add local.set $acc
    i32.const 24 i64.const 9 i64.atomic.store32
    i32.const 24 i64.const 9 i64.const 4 i64.atomic.rmw32.cmpxchg_u drop
    i32.const 24 i64.atomic.load32_u i32.wrap_i64 local.get $acc i32.add local.set $acc
    i32.const 28 i32.const 500 i32.atomic.store16
    i32.const 28 i32.atomic.load16_u local.get $acc i32.add local.set $acc
    atomic.fence
    i32.const 0 i32.const 0 memory.atomic.notify local.get $acc i32.add local.set $acc
    i32.const 0 i32.const 99 i64.const 0 memory.atomic.wait32 local.get $acc i32.add local.set $acc
    i32.const 8 i64.const 99 i64.const 0 memory.atomic.wait64 local.get $acc i32.add)
)
