;; The bundled demo application: small, hand-written, and full of things worth probing.
;;
;; Function indices (what `fid` and `imm0` of a call see):
;;   0 fd_write (import)  1 print  2 calc  3 print_num  4 collatz  5 show_calc  6 show_collatz
;;   7 main (exported as _start)
;;
;; `calc(a, b)` is recursive and ends with a call whose last argument (`arg0`, the top of the stack) is 0,
;; so the seed demo's probe `wasm:opcode:call:before / imm0 == 2 && arg0 == 0 / { count++; }` fires once
;; per top-level calc.  `collatz` has a loop with `br_if` and an `if`/`else` for the branch monitor.
(module
  (import "wasi_snapshot_preview1" "fd_write" (func $fd_write (param i32 i32 i32 i32) (result i32)))
  (memory (export "memory") 1)
  (data (i32.const 64) "==== CALC ====\n")          ;; 15 bytes
  (data (i32.const 80) "calc(")                     ;; 5
  (data (i32.const 88) ", ")                        ;; 2
  (data (i32.const 96) ") -> ")                     ;; 5
  (data (i32.const 104) "\n")                       ;; 1
  (data (i32.const 112) "==== COLLATZ ====\n")      ;; 18
  (data (i32.const 136) "collatz(")                 ;; 8
  (data (i32.const 144) " steps\n")                 ;; 7

  ;; print(ptr, len): write bytes to stdout through an iovec at address 0.
  (func $print (param $ptr i32) (param $len i32)
    (i32.store (i32.const 0) (local.get $ptr))
    (i32.store (i32.const 4) (local.get $len))
    (drop (call $fd_write (i32.const 1) (i32.const 0) (i32.const 1) (i32.const 8))))

  ;; calc(a, b) = b == 0 ? a : calc(a + b, b - 1)
  (func $calc (param $a i32) (param $b i32) (result i32)
    (if (result i32) (i32.eqz (local.get $b))
      (then (local.get $a))
      (else (call $calc (i32.add (local.get $a) (local.get $b))
                        (i32.sub (local.get $b) (i32.const 1))))))

  ;; print_num(n): unsigned decimal, digits built backwards in [16, 32).
  (func $print_num (param $n i32) (local $p i32)
    (local.set $p (i32.const 32))
    (loop $digits
      (local.set $p (i32.sub (local.get $p) (i32.const 1)))
      (i32.store8 (local.get $p) (i32.add (i32.const 48) (i32.rem_u (local.get $n) (i32.const 10))))
      (local.set $n (i32.div_u (local.get $n) (i32.const 10)))
      (br_if $digits (local.get $n)))
    (call $print (local.get $p) (i32.sub (i32.const 32) (local.get $p))))

  ;; collatz(n): number of steps to reach 1.
  (func $collatz (param $n i32) (result i32) (local $steps i32)
    (block $done
      (loop $step
        (br_if $done (i32.le_u (local.get $n) (i32.const 1)))
        (if (i32.and (local.get $n) (i32.const 1))
          (then (local.set $n (i32.add (i32.mul (local.get $n) (i32.const 3)) (i32.const 1))))
          (else (local.set $n (i32.shr_u (local.get $n) (i32.const 1)))))
        (local.set $steps (i32.add (local.get $steps) (i32.const 1)))
        (br $step)))
    (local.get $steps))

  (func $show_calc (param $a i32) (param $b i32)
    (call $print (i32.const 80) (i32.const 5))
    (call $print_num (local.get $a))
    (call $print (i32.const 88) (i32.const 2))
    (call $print_num (local.get $b))
    (call $print (i32.const 96) (i32.const 5))
    (call $print_num (call $calc (local.get $a) (local.get $b)))
    (call $print (i32.const 104) (i32.const 1)))

  (func $show_collatz (param $n i32)
    (call $print (i32.const 136) (i32.const 8))
    (call $print_num (local.get $n))
    (call $print (i32.const 96) (i32.const 5))
    (call $print_num (call $collatz (local.get $n)))
    (call $print (i32.const 144) (i32.const 7)))

  (func $main (export "_start")
    (call $print (i32.const 64) (i32.const 15))
    (call $show_calc (i32.const 9) (i32.const 0))
    (call $show_calc (i32.const 3) (i32.const 2))
    (call $show_calc (i32.const 4) (i32.const 4))
    (call $print (i32.const 112) (i32.const 18))
    (call $show_collatz (i32.const 6))
    (call $show_collatz (i32.const 27)))
)
