;; GC: rec groups, subtypes (final and open), structs with mutable and packed fields, arrays (new,
;; new_default, new_fixed, new_data, new_elem, get/set, len, fill, copy, init_data, init_elem), i31,
;; ref.test/ref.cast, br_on_cast/br_on_cast_fail, any.convert_extern/extern.convert_any, ref.eq.
;; @run points => 10
;; @run arrays => 66
;; @run casts => 1310
;; @run i31 => -5
(module
  (rec
    (type $node (sub (struct (field $val i32) (field $next (ref null $node)))))
    (type $list (struct (field $head (ref null $node)))))
  (type $point (sub (struct (field $x (mut i32)) (field $y (mut i32)))))
  (type $point3 (sub final $point (struct (field $x (mut i32)) (field $y (mut i32)) (field $z i8))))
  (type $bytes (array (mut i8)))
  (type $ints (array (mut i32)))
  (type $funcs (array funcref))
  (data $d "\01\02\03\04")
  (elem $fe func $helper)
  (func $helper)
  (func (export "points") (result i32)
    (local $p (ref null $point))
    i32.const 1 i32.const 2 struct.new $point local.set $p
    local.get $p i32.const 5 struct.set $point $x
    local.get $p struct.get $point $x
    local.get $p struct.get $point $y i32.add
    struct.new_default $point3
    struct.get $point3 $y i32.add
    i32.const 3 i32.const 4 i32.const -1 struct.new $point3
    struct.get_s $point3 $z i32.add
    i32.const 3 i32.const 4 i32.const -1 struct.new $point3
    struct.get_u $point3 $z i32.add
    i32.const 255 i32.sub
    i32.const 7 ref.null $node struct.new $node
    struct.new $list
    struct.get $list $head
    struct.get $node $val
    i32.add
    i32.const 3 i32.sub)
  (func (export "arrays") (result i32)
    (local $a (ref null $ints)) (local $b (ref null $bytes))
    i32.const 9 i32.const 4 array.new $ints local.set $a
    local.get $a i32.const 1 i32.const 20 array.set $ints
    i32.const 0 i32.const 4 array.new_data $bytes $d local.set $b
    local.get $a i32.const 0 array.get $ints
    local.get $a i32.const 1 array.get $ints i32.add
    local.get $b i32.const 3 array.get_u $bytes i32.add
    local.get $b i32.const 3 array.get_s $bytes i32.add
    local.get $a array.len i32.add
    i32.const 1 i32.const 2 i32.const 3 array.new_fixed $ints 3
    array.len i32.add
    i32.const 5 array.new_default $bytes array.len i32.add
    local.get $a i32.const 0 i32.const 1 i32.const 2 array.fill $ints
    local.get $a i32.const 2 local.get $a i32.const 0 i32.const 2 array.copy $ints $ints
    local.get $a i32.const 3 array.get $ints i32.add
    local.get $b i32.const 0 i32.const 1 i32.const 2 array.init_data $bytes $d
    local.get $b i32.const 1 array.get_u $bytes i32.add
    i32.const 0 i32.const 1 array.new_elem $funcs $fe
    local.get $b i32.const 0 i32.const 0 i32.const 0 array.init_data $bytes $d
    array.len i32.add
    i32.const 12 i32.add)
  (func (export "casts") (result i32)
    (local $any anyref) (local $r i32)
    i32.const 1 i32.const 2 i32.const 3 struct.new $point3 local.set $any
    local.get $any ref.test (ref $point) i32.const 1000 i32.mul local.set $r
    local.get $any ref.test (ref null $node) local.get $r i32.add local.set $r
    block $is_point (result (ref $point))
      local.get $any
      br_on_cast $is_point anyref (ref $point)
      drop
      i32.const -1
      return
    end
    ref.cast (ref $point3) struct.get_u $point3 $z i32.const 100 i32.mul local.get $r i32.add local.set $r
    block $not_node (result anyref)
      local.get $any
      br_on_cast_fail $not_node anyref (ref $node)
      drop
      i32.const -2
      return
    end
    extern.convert_any any.convert_extern
    ref.cast (ref null $point)
    local.get $any ref.cast (ref eq) ref.eq i32.const 10 i32.mul local.get $r i32.add local.set $r
    local.get $any ref.test nullref
    drop
    local.get $r)
  (func (export "i31") (result i32)
    i32.const -5 ref.i31 i31.get_s
    i32.const -5 ref.i31 i31.get_u i32.const 0x7ffffffb i32.eq i32.sub
    i32.const 1 i32.add)
)
