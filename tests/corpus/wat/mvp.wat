;; MVP control flow, numerics, memory, globals, tables and call_indirect, a start function.
;; @run fac 10 => 3628800
;; @run fib 20 => 6765
;; @run classify 0 => 100
;; @run classify 2 => 102
;; @run classify 9 => 199
;; @run sum_bytes => 1319
;; @run floats 3 => 7
;; @run dispatch 0 7 => 14
;; @run dispatch 1 7 => 49
;; @run counter => 5
;; @run mixed => 121
(module
  (type $unop (func (param i32) (result i32)))
  (memory $mem 1 2)
  (data (i32.const 16) "\01\02\03\04hello, corpus!")
  (global $g (mut i32) (i32.const 0))
  (global $k i64 (i64.const -7))
  (table $t 2 funcref)
  (elem (i32.const 0) $double $square)
  (start $init)

  (func $init (global.set $g (i32.const 5)))

  (func $fac (export "fac") (param $n i64) (result i64)
    (local $acc i64)
    i64.const 1
    local.set $acc
    block $done
      loop $again
        local.get $n
        i64.eqz
        br_if $done
        local.get $acc
        local.get $n
        i64.mul
        local.set $acc
        local.get $n
        i64.const 1
        i64.sub
        local.set $n
        br $again
      end
    end
    local.get $acc)

  (func $fib (export "fib") (param $n i32) (result i32)
    local.get $n
    i32.const 2
    i32.lt_u
    if (result i32)
      local.get $n
    else
      local.get $n
      i32.const 1
      i32.sub
      call $fib
      local.get $n
      i32.const 2
      i32.sub
      call $fib
      i32.add
    end)

  (func $classify (export "classify") (param $x i32) (result i32)
    block $other
      block $two
        block $one
          block $zero
            local.get $x
            br_table $zero $one $two $other
          end
          i32.const 100
          return
        end
        i32.const 101
        return
      end
      i32.const 102
      return
    end
    i32.const 199)

  (func $sum_bytes (export "sum_bytes") (result i32)
    (local $i i32) (local $s i32)
    loop $l
      local.get $s
      local.get $i
      i32.load8_u offset=16
      i32.add
      local.set $s
      local.get $i
      i32.const 1
      i32.add
      local.tee $i
      i32.const 18
      i32.ne
      br_if $l
    end
    ;; exercise the wider loads and stores as well
    i32.const 64
    local.get $s
    i32.store offset=0 align=4
    i32.const 64
    i32.load16_s
    i32.const 64
    i64.load32_u
    i32.wrap_i64
    i32.add
    local.get $s
    i32.sub
    drop
    local.get $s
    memory.size
    i32.add
    i32.const 1
    memory.grow
    i32.add
    i32.const 1
    i32.sub
    global.get $g
    i32.sub
    i32.const 5
    i32.add
    i32.const 1
    i32.sub)

  (func $floats (export "floats") (param $x i32) (result i32)
    (local $f f64) (local $s f32)
    local.get $x
    f64.convert_i32_s
    local.tee $f
    local.get $f
    f64.mul
    f64.sqrt
    f64.ceil
    f32.demote_f64
    local.tee $s
    f32.const 3.0
    f32.mul
    f32.abs
    f32.const 0.5
    f32.max
    i32.trunc_f32_s
    f32.const 1.5
    f32.neg
    f32.nearest
    i32.trunc_f32_s
    i32.add
    i64.const 0x4000000000000000
    f64.reinterpret_i64
    i64.reinterpret_f64
    i64.const 62
    i64.shr_u
    i32.wrap_i64
    i32.add
    i32.const 1
    i32.sub
    local.get $s
    f32.const 3
    f32.ne
    i32.sub
    f64.const 0x1p-2
    f64.const 0.25
    f64.eq
    i32.add
    i32.const 1
    i32.sub
    i32.const 0
    i32.add)

  (func $double (type $unop) local.get 0 local.get 0 i32.add)
  (func $square (type $unop) local.get 0 local.get 0 i32.mul)

  (func $dispatch (export "dispatch") (param $which i32) (param $v i32) (result i32)
    local.get $v
    local.get $which
    call_indirect $t (type $unop))

  (func $counter (export "counter") (result i32) global.get $g)

  (func $mixed (export "mixed") (result i32)
    (local $a i32)
    i32.const 11
    local.set $a
    local.get $a
    local.get $a
    i32.mul
    i32.const -1
    i32.const 0
    select
    i32.const 0
    i32.or
    i32.const 0x7fffffff
    i32.and
    i32.const 3
    i32.rotl
    i32.const 3
    i32.rotr
    i32.popcnt
    i32.clz
    i32.ctz
    drop
    local.get $a
    local.get $a
    i32.mul
    i32.const 0
    i32.eqz
    i32.mul
    global.get $k
    i64.const -7
    i64.eq
    i32.mul
    i32.const 1
    if
      nop
    else
      unreachable
    end
    )
)
