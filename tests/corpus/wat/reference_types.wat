;; Reference types: funcref and externref tables, table.get/set/size/grow/fill, ref.null/is_null/func,
;; typed select, and all eight element-segment encodings (flags 0-7).
;; @run run => 40
;; @run grow => 13
;; @run ext_null => 1
(module
  (type $r (func (result i32)))
  (table $funcs 10 funcref)
  (table $other 4 funcref)
  (table $ext 2 externref)
  (func $f1 (result i32) i32.const 1)
  (func $f2 (result i32) i32.const 2)
  (func $f3 (result i32) i32.const 3)
  (elem (i32.const 0) $f1 $f2)                                ;; flags 0: active, table 0, funcidx
  (elem $p1 func $f3 $f1)                                      ;; flags 1: passive, funcidx
  (elem (table $other) (i32.const 1) func $f2)                 ;; flags 2: active, explicit table, funcidx
  (elem $d3 declare func $f3)                                  ;; flags 3: declarative, funcidx
  (elem (i32.const 4) funcref (ref.func $f3) (ref.null func))  ;; flags 4: active, table 0, exprs
  (elem $p5 funcref (ref.func $f2) (ref.null func))            ;; flags 5: passive, exprs
  (elem (table $other) (i32.const 2) funcref (ref.func $f1))   ;; flags 6: active, explicit table, exprs
  (elem $d7 declare funcref (ref.func $f2))                    ;; flags 7: declarative, exprs
  (func (export "run") (result i32)
    (local $acc i32)
    i32.const 6 i32.const 0 i32.const 2 table.init $funcs $p1
    i32.const 8 i32.const 0 i32.const 1 table.init $funcs $p5
    ;; 0:f1 1:f2 4:f3 5:null 6:f3 7:f1 8:f2 ; other 1:f2 2:f1
    i32.const 0 call_indirect $funcs (type $r)
    i32.const 6 call_indirect $funcs (type $r) i32.add
    i32.const 8 call_indirect $funcs (type $r) i32.add
    i32.const 2 call_indirect $other (type $r) i32.add
    local.set $acc
    i32.const 5 table.get $funcs ref.is_null
    i32.const 4 table.get $funcs ref.is_null i32.add
    local.get $acc i32.add
    local.set $acc
    i32.const 3 ref.func $f3 table.set $funcs
    i32.const 3 call_indirect $funcs (type $r)
    local.get $acc i32.add
    table.size $funcs i32.add
    table.size $other i32.add
    ref.func $f1 ref.null func i32.const 0 select (result funcref) ref.is_null
    i32.add
    i32.const 1
    i32.const 2
    i32.const 0
    select (result i32)
    i32.add
    i32.const 12 i32.add)
  (func (export "grow") (result i32)
    ref.null func i32.const 3 table.grow $funcs
    i32.const 0 ref.func $f2 i32.const 2 table.fill $other
    i32.const 1 i32.const 0 i32.const 2 table.copy $funcs $other
    i32.const 1 call_indirect $funcs (type $r) i32.add
    drop
    table.size $funcs
    i32.const 2 i32.sub
    i32.const 1 call_indirect $funcs (type $r) i32.add)
  (func (export "ext_null") (result i32)
    i32.const 0 table.get $ext ref.is_null)
)
