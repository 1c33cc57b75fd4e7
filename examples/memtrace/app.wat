;; The memory-tracing example's application: stores the squares 0..4 in a table at 64 (through the
;; memarg offset: address i*4, offset=64), reads them back to sum them, and prints the sum, 30.
;;
;; Function indices: 0 fd_write (import)  1 print_num  2 fill  3 sum  4 main (exported as _start)
(module
  (import "wasi_snapshot_preview1" "fd_write" (func $fd_write (param i32 i32 i32 i32) (result i32)))
  (memory (export "memory") 1)

  ;; print_num(n): n in decimal and a newline, written with one fd_write (digits built in [16, 32)).
  (func $print_num (param $n i32) (local $p i32)
    (i32.store8 (i32.const 32) (i32.const 10))
    (local.set $p (i32.const 32))
    (loop $digits
      (local.set $p (i32.sub (local.get $p) (i32.const 1)))
      (i32.store8 (local.get $p) (i32.add (i32.const 48) (i32.rem_u (local.get $n) (i32.const 10))))
      (local.set $n (i32.div_u (local.get $n) (i32.const 10)))
      (br_if $digits (local.get $n)))
    (i32.store (i32.const 0) (local.get $p))
    (i32.store (i32.const 4) (i32.sub (i32.const 33) (local.get $p)))
    (drop (call $fd_write (i32.const 1) (i32.const 0) (i32.const 1) (i32.const 8))))

  (func $fill (local $i i32)
    (loop $next
      (i32.store offset=64 (i32.shl (local.get $i) (i32.const 2)) (i32.mul (local.get $i) (local.get $i)))
      (local.set $i (i32.add (local.get $i) (i32.const 1)))
      (br_if $next (i32.lt_u (local.get $i) (i32.const 5)))))

  (func $sum (result i32) (local $i i32) (local $acc i32)
    (loop $next
      (local.set $acc (i32.add (local.get $acc) (i32.load offset=64 (i32.shl (local.get $i) (i32.const 2)))))
      (local.set $i (i32.add (local.get $i) (i32.const 1)))
      (br_if $next (i32.lt_u (local.get $i) (i32.const 5))))
    (local.get $acc))

  (func $main (export "_start")
    (call $fill)
    (call $print_num (call $sum)))
)
