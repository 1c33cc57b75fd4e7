;; Multi-memory: three memories, loads and
;; stores with memory indices, memory.size/grow/fill/copy/init across memories, data segments for
;; non-zero memories, SIMD and atomics on a non-zero memory.
;; @run run => 1797
(module
  (memory $a 1)
  (memory $b 2 3)
  (memory $c 1 1 shared)
  (data (memory $b) (i32.const 8) "\10\20\30\40")
  (data $p "xyz")
  (func (export "run") (result i32)
    (local $acc i32)
    i32.const 0 i32.const 11 i32.store $a
    i32.const 0 i32.const 22 i32.store $b offset=4
    i32.const 0 i32.load $a
    i32.const 0 i32.load $b offset=4 i32.add
    i32.const 8 i32.load8_u $b i32.add local.set $acc
    memory.size $a memory.size $b i32.add local.get $acc i32.add local.set $acc
    i32.const 1 memory.grow $b local.get $acc i32.add local.set $acc
    i32.const 100 i32.const 9 i32.const 4 memory.fill $b
    i32.const 200 i32.const 100 i32.const 4 memory.copy $a $b
    i32.const 200 i32.load $a i32.const 0xff i32.and local.get $acc i32.add local.set $acc
    i32.const 300 i32.const 0 i32.const 3 memory.init $b $p
    i32.const 300 i32.load8_u $b local.get $acc i32.add local.set $acc
    i32.const 16 i32.const 5 i32.atomic.store $c
    i32.const 16 i32.const 6 i32.atomic.rmw.add $c drop
    i32.const 16 i32.atomic.load $c local.get $acc i32.add local.set $acc
    i32.const 32 v128.const i32x4 1 2 3 4 v128.store $b
    i32.const 32 v128.load $b offset=4 i32x4.extract_lane 0 local.get $acc i32.add local.set $acc
    i32.const 32 v128.const i32x4 0 0 0 0 v128.load32_lane $b 2 i32x4.extract_lane 2
    local.get $acc i32.add
    i32.const 1600 i32.add)
)
