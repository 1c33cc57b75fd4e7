;; A small calculator that dispatches through a function table, so its call graph has direct and
;; indirect edges.  `_start` prints apply(i % 3, 7, i) for i = 0..5, one number per line.
;;
;; Function indices: 0 fd_write (import)  1 print  2 print_num  3 add  4 sub  5 mul  6 apply
;;   7 main (exported as _start).  Table slots: 0 add, 1 sub, 2 mul.
(module
  (import "wasi_snapshot_preview1" "fd_write" (func $fd_write (param i32 i32 i32 i32) (result i32)))
  (type $binop (func (param i32 i32) (result i32)))
  (memory (export "memory") 1)
  (table 3 funcref)
  (elem (i32.const 0) $add $sub $mul)
  (data (i32.const 32) "\n")

  ;; print(ptr, len): write bytes to stdout through an iovec at address 0.
  (func $print (param $ptr i32) (param $len i32)
    (i32.store (i32.const 0) (local.get $ptr))
    (i32.store (i32.const 4) (local.get $len))
    (drop (call $fd_write (i32.const 1) (i32.const 0) (i32.const 1) (i32.const 8))))

  ;; print_num(n): n in decimal (digits built backwards in [12, 32)) and a newline.
  (func $print_num (param $n i32) (local $p i32)
    (local.set $p (i32.const 32))
    (loop $digits
      (local.set $p (i32.sub (local.get $p) (i32.const 1)))
      (i32.store8 (local.get $p) (i32.add (i32.const 48) (i32.rem_u (local.get $n) (i32.const 10))))
      (local.set $n (i32.div_u (local.get $n) (i32.const 10)))
      (br_if $digits (local.get $n)))
    (call $print (local.get $p) (i32.sub (i32.const 33) (local.get $p))))

  (func $add (type $binop) (i32.add (local.get 0) (local.get 1)))
  (func $sub (type $binop) (i32.sub (local.get 0) (local.get 1)))
  (func $mul (type $binop) (i32.mul (local.get 0) (local.get 1)))

  (func $apply (param $op i32) (param $a i32) (param $b i32) (result i32)
    (call_indirect (type $binop) (local.get $a) (local.get $b) (local.get $op)))

  (func $main (export "_start") (local $i i32)
    (loop $each
      (call $print_num (call $apply (i32.rem_u (local.get $i) (i32.const 3)) (i32.const 7) (local.get $i)))
      (local.set $i (i32.add (local.get $i) (i32.const 1)))
      (br_if $each (i32.lt_u (local.get $i) (i32.const 6)))))
)
