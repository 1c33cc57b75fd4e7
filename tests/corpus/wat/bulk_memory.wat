;; Bulk memory and table operations: passive/active data and element segments, memory.init/copy/
;; fill, data.drop, table.init/copy, elem.drop (the data count section is emitted for memory.init).
;; @run run => 1184
;; @run after_drop => trap
;; @run tables => 37
(module
  (memory 1)
  (data $passive "abcdef")
  (data $active (i32.const 100) "XYZ")
  (table $t 8 funcref)
  (elem $fns func $one $two $three)
  (elem (i32.const 0) func $one)
  (type $r (func (result i32)))
  (func $one (result i32) i32.const 1)
  (func $two (result i32) i32.const 2)
  (func $three (result i32) i32.const 3)
  (func (export "run") (result i32)
    (local $i i32) (local $s i32)
    ;; copy "bcd" to 10, fill 20..24 with 7, copy memory 100..103 to 13
    i32.const 10 i32.const 1 i32.const 3 memory.init $passive
    i32.const 20 i32.const 7 i32.const 4 memory.fill
    i32.const 13 i32.const 100 i32.const 3 memory.copy
    data.drop $active
    ;; sum 10..24
    i32.const 10 local.set $i
    loop $l
      local.get $s local.get $i i32.load8_u i32.add local.set $s
      local.get $i i32.const 1 i32.add local.tee $i
      i32.const 24 i32.lt_u br_if $l
    end
    local.get $s
    i32.const 2 i32.mul)
  (func (export "after_drop") (result i32)
    data.drop $passive
    i32.const 0 i32.const 0 i32.const 1 memory.init $passive
    i32.const 0)
  (func (export "tables") (result i32)
    i32.const 2 i32.const 0 i32.const 3 table.init $t $fns
    i32.const 5 i32.const 2 i32.const 3 table.copy $t $t
    elem.drop $fns
    i32.const 7 call_indirect (type $r)
    i32.const 10 i32.mul
    i32.const 0 call_indirect (type $r) i32.add
    i32.const 5 call_indirect (type $r) i32.const 5 i32.mul i32.add
    i32.const 1 i32.add)
)
