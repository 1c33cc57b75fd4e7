;; Tail calls: return_call and return_call_indirect (deep recursion must not exhaust the stack).
;; @run even 1000001 => 0
;; @run count 1000000 => 1000000
(module
  (type $t (func (param i32 i32) (result i32)))
  (table 1 funcref)
  (elem (i32.const 0) $count_loop)
  (func $even (export "even") (param i32) (result i32)
    local.get 0 i32.eqz
    if (result i32) i32.const 1
    else local.get 0 i32.const 1 i32.sub return_call $odd end)
  (func $odd (param i32) (result i32)
    local.get 0 i32.eqz
    if (result i32) i32.const 0
    else local.get 0 i32.const 1 i32.sub return_call $even end)
  (func $count_loop (type $t)
    local.get 0 i32.eqz
    if (result i32) local.get 1
    else
      local.get 0 i32.const 1 i32.sub
      local.get 1 i32.const 1 i32.add
      i32.const 0
      return_call_indirect (type $t)
    end)
  (func (export "count") (param i32) (result i32)
    local.get 0 i32.const 0 return_call $count_loop)
)
