;; A test application for the wei tests: memory accesses with offsets, i64 parameters and locals,
;; early returns, br_table, call_indirect through a table, block structure, and an exit through
;; proc_exit (so func:exit proc_exit sites and the exit flush after proc_exit are exercised).
(module
  (import "wasi_snapshot_preview1" "fd_write" (func $fd_write (param i32 i32 i32 i32) (result i32)))
  (import "wasi_snapshot_preview1" "proc_exit" (func $proc_exit (param i32)))
  (type $unary (func (param i32) (result i32)))
  (memory (export "memory") 1)
  (table 4 funcref)
  (elem (i32.const 0) $inc $dbl $inc)
  (data (i32.const 200) "mixed done\n")

  (func $inc (type $unary) (local.get 0) (i32.const 1) (i32.add))
  (func $dbl (type $unary) (local.get 0) (i32.const 2) (i32.mul))

  ;; wide(a, b) = a + b, doubled unless over 100 (an early return)
  (func $wide (param $a i32) (param $b i64) (result i64) (local $t i64)
    (local.set $t (i64.add (local.get $b) (i64.extend_i32_u (local.get $a))))
    (if (i64.gt_u (local.get $t) (i64.const 100))
      (then (return (local.get $t))))
    (i64.mul (local.get $t) (i64.const 2)))

  ;; mem(n): store and load back n words at offset 16, plus bytes and an i64
  (func $mem (param $n i32) (result i32) (local $i i32) (local $sum i32)
    (block $done
      (loop $next
        (br_if $done (i32.ge_u (local.get $i) (local.get $n)))
        (i32.store offset=16 (i32.shl (local.get $i) (i32.const 2)) (i32.mul (local.get $i) (i32.const 3)))
        (local.set $sum (i32.add (local.get $sum)
                                 (i32.load offset=16 (i32.shl (local.get $i) (i32.const 2)))))
        (i32.store8 offset=100 (local.get $i) (local.get $i))
        (local.set $i (i32.add (local.get $i) (i32.const 1)))
        (br $next)))
    (i64.store offset=8 (i32.const 0) (i64.extend_i32_u (local.get $sum)))
    (i32.add (local.get $sum) (i32.load8_u offset=100 (i32.const 2))))

  ;; switch(k): 10, 20 or 30 through a br_table with a default
  (func $switch (param $k i32) (result i32)
    (block $c
      (block $b
        (block $a
          (br_table $a $b $c (local.get $k)))
        (return (i32.const 10)))
      (return (i32.const 20)))
    (i32.const 30))

  (func $apply (param $slot i32) (param $x i32) (result i32)
    (call_indirect (type $unary) (local.get $x) (local.get $slot)))

  (func $say
    (i32.store (i32.const 180) (i32.const 200))
    (i32.store (i32.const 184) (i32.const 11))
    (drop (call $fd_write (i32.const 1) (i32.const 180) (i32.const 1) (i32.const 188))))

  (func $main (export "_start") (local $acc i64)
    (local.set $acc (call $wide (i32.const 5) (i64.const 7)))
    (local.set $acc (i64.add (local.get $acc) (call $wide (i32.const 50) (i64.const 70))))
    (local.set $acc (i64.add (local.get $acc) (i64.extend_i32_u (call $mem (i32.const 6)))))
    (drop (call $switch (i32.const 0)))
    (drop (call $switch (i32.const 1)))
    (drop (call $switch (i32.const 2)))
    (drop (call $switch (i32.const 9)))
    (drop (call $apply (i32.const 0) (i32.const 4)))
    (drop (call $apply (i32.const 1) (i32.const 4)))
    (drop (call $apply (i32.const 2) (i32.const 4)))
    (call $say)
    (call $proc_exit (i32.const 0))))
