;; A program whose counts are computable by hand (tests/tools/test_tools.py models it in Python):
;; main calls fib(10) (recursive: 177 calls), then runs `loop` over i = 0..9, which calls `tick` when
;; i % 3 == 0 (i = 0, 3, 6, 9) and would call `never` when i > 100 (never), then returns.
;; `dead` is never called.
(module
  (memory (export "memory") 1)
  (func $fib (param $n i32) (result i32)
    (if (result i32) (i32.lt_u (local.get $n) (i32.const 2))
      (then (local.get $n))
      (else (i32.add (call $fib (i32.sub (local.get $n) (i32.const 1)))
                     (call $fib (i32.sub (local.get $n) (i32.const 2)))))))
  (func $tick (param $i i32) (result i32)
    (i32.mul (local.get $i) (i32.const 2)))
  (func $never (result i32) (i32.const 7))
  (func $dead (param $x i32) (result i32)
    (block $out
      (br_if $out (local.get $x))
      (local.set $x (i32.const 1)))
    (local.get $x))
  (func $loop (result i32)
    (local $i i32) (local $acc i32)
    (loop $again
      (if (i32.eqz (i32.rem_u (local.get $i) (i32.const 3)))
        (then (local.set $acc (i32.add (local.get $acc) (call $tick (local.get $i))))))
      (if (i32.gt_u (local.get $i) (i32.const 100))
        (then (local.set $acc (call $never))))
      (local.set $i (i32.add (local.get $i) (i32.const 1)))
      (br_if $again (i32.lt_u (local.get $i) (i32.const 10))))
    (local.get $acc))
  (func $main (export "_start")
    (drop (call $fib (i32.const 10)))
    (drop (call $loop))))
