;; A name section with function, local, global, memory, table, type, data, elem and label names,
;; plus an unrelated custom section; names drive the WAT printer's $identifiers.
;; @run area 3 4 => 12
;; @run run => 57
(module $corpus_names
  (type $binop (func (param i32 i32) (result i32)))
  (memory $heap 1)
  (table $callbacks 1 funcref)
  (global $counter (mut i32) (i32.const 45))
  (data $greeting (i32.const 0) "hi")
  (elem $init (i32.const 0) $area)
  (@custom "whamm.note" "corpus fixture")
  (func $area (export "area") (type $binop) (param $width i32) (param $height i32) (result i32)
    local.get $width
    local.get $height
    i32.mul)
  (func $run (export "run") (result i32)
    (local $result i32) (local $unused i64)
    block $exit
      i32.const 3
      i32.const 4
      i32.const 0
      call_indirect $callbacks (type $binop)
      local.set $result
      br $exit
    end
    local.get $result
    global.get $counter
    i32.add))
