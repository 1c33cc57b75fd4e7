;; Extended constant expressions: i32/i64 add, sub and mul (and global.get of imported-free immutable
;; globals) in global initialisers, data and element segment offsets.
;; @run run => 1062
(module
  (global $base i32 (i32.const 1000))
  (global $scaled i32 (i32.mul (global.get $base) (i32.const 2)))
  (global $wide i64 (i64.sub (i64.mul (i64.const 6) (i64.const 7)) (i64.const 2)))
  (global $off i32 (i32.add (global.get $base) (i32.const 24)))
  (memory 1)
  (data (i32.add (global.get $base) (i32.const 24)) "\2a")
  (table 8 funcref)
  (elem (i32.sub (i32.const 5) (i32.const 2)) $seven)
  (type $r (func (result i32)))
  (func $seven (result i32) i32.const 7)
  (func (export "run") (result i32)
    global.get $scaled
    global.get $base i32.sub
    global.get $wide i32.wrap_i64 i32.add
    global.get $off i32.load8_u i32.add
    i32.const 3 call_indirect (type $r) i32.add
    i32.const 27 i32.sub))
