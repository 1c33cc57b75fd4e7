;; Multi-value: functions with several results, blocks/loops/ifs with parameters and results.
;; @run swap 1 2 => 2 1
;; @run divmod 17 5 => 3 2
;; @run sum_to 10 => 55
;; @run pick 1 => 10 20
;; @run pick 0 => 20 10
(module
  (type $pair (func (param i32 i32) (result i32 i32)))
  (func $swap (export "swap") (type $pair) local.get 1 local.get 0)
  (func (export "divmod") (param i32 i32) (result i32 i32)
    local.get 0 local.get 1 i32.div_u
    local.get 0 local.get 1 i32.rem_u)
  ;; a loop carrying (counter, sum) as block parameters
  (func (export "sum_to") (param $n i32) (result i32)
    i32.const 0
    i32.const 0
    loop $l (param i32 i32) (result i32 i32)
      ;; stack: i s
      local.get $n
      i32.const 0
      i32.eq
      if (param i32 i32) (result i32 i32)
      else
        drop
        drop
        local.get $n
        i32.const 1
        i32.sub
        local.tee $n
        i32.const 1
        i32.add
        call $acc
        br $l
      end
    end
    i32.add
    i32.const 1
    i32.sub)
  (global $sum (mut i32) (i32.const 1))
  (func $acc (param i32) (result i32 i32)
    global.get $sum local.get 0 i32.add global.set $sum
    i32.const 0 global.get $sum)
  (func (export "pick") (param i32) (result i32 i32)
    i32.const 10
    i32.const 20
    block $b (param i32 i32) (result i32 i32)
      local.get 0
      br_if $b
      call $swap
    end)
)
