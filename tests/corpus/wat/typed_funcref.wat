;; Typed function references: (ref $t) values, call_ref, return_call_ref, ref.as_non_null,
;; br_on_null, br_on_non_null, ref.eq on non-null function references is not allowed so it is absent.
;; @run apply 5 => 10
;; @run maybe 0 => -1
;; @run maybe 1 => 12
;; @run tail 4 => 8
;; @run from_table 21 => 42
(module
  (type $u (func (param i32) (result i32)))
  (func $dbl (type $u) local.get 0 local.get 0 i32.add)
  (elem declare func $dbl)
  (global $g (ref null $u) (ref.func $dbl))
  ;; a table of non-nullable references needs an initialiser (the 0x40 0x00 table encoding)
  (table $direct 2 (ref $u) (ref.func $dbl))
  (func (export "from_table") (param i32) (result i32)
    local.get 0
    i32.const 1
    table.get $direct
    call_ref $u)
  (func (export "apply") (param i32) (result i32)
    local.get 0
    ref.func $dbl
    call_ref $u)
  (func (export "maybe") (param $has i32) (result i32)
    (local $f (ref null $u))
    local.get $has
    if
      global.get $g
      local.set $f
    end
    block $none
      local.get $f
      br_on_null $none
      drop
      i32.const 6
      local.get $f
      ref.as_non_null
      call_ref $u
      return
    end
    block $some (result (ref $u))
      local.get $f
      br_on_non_null $some
      i32.const -1
      return
    end
    drop
    i32.const -2)
  (func (export "tail") (param i32) (result i32)
    local.get 0
    global.get $g
    return_call_ref $u)
)
