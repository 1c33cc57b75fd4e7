"""Small inline WAT modules, one (at least) per feature family, shared by the wasm tests.

Each fixture is ``(wat, expected)``: ``expected`` is what the exported ``run`` returns, or ``None`` when
the module is not run (imports needed, or wasmtime-py cannot validate it: ``LEGACY``).
"""
from __future__ import annotations

MVP = ("""(module $mvp
  (type $bin (func (param i32 i32) (result i32)))
  (memory 1)
  (global $counter (mut i32) (i32.const 0))
  (table 2 funcref)
  (elem (i32.const 0) $add $sub)
  (data (i32.const 16) "\\01\\02\\03\\04")
  (func $add (type $bin) (i32.add (local.get 0) (local.get 1)))
  (func $sub (type $bin) (i32.sub (local.get 0) (local.get 1)))
  (func $fac (param $n i64) (result i64)
    (if (result i64) (i64.eqz (local.get $n))
      (then (i64.const 1))
      (else (i64.mul (local.get $n) (call $fac (i64.sub (local.get $n) (i64.const 1)))))))
  (func $classify (param i32) (result i32)
    (block $c (block $b (block $a (br_table $a $b $c (local.get 0))) (return (i32.const 10)))
      (return (i32.const 20)))
    (i32.const 30))
  (func (export "run") (result i32) (local $i i32) (local $acc i32) (local f64)
    (loop $l
      (local.set $acc (i32.add (local.get $acc) (local.get $i)))
      (local.set $i (i32.add (local.get $i) (i32.const 1)))
      (br_if $l (i32.lt_u (local.get $i) (i32.const 10))))
    (global.set $counter (i32.load (i32.const 16)))
    (i32.store8 offset=3 (i32.const 100) (i32.const 255))
    (local.set 2 (f64.sqrt (f64.const 16)))
    (i32.add (local.get $acc)
      (i32.add (call_indirect (type $bin) (i32.const 7) (i32.const 2) (i32.const 1))
        (i32.add (i32.wrap_i64 (call $fac (i64.const 5)))
          (i32.add (call $classify (i32.const 1))
            (i32.add (i32.trunc_f64_s (local.get 2))
              (i32.add (i32.load8_u (i32.const 103)) (i32.and (global.get $counter) (i32.const 0xff))))))))
  ))""", 45 + 5 + 120 + 20 + 4 + 255 + 1)

SIGN_EXT_SAT = ("""(module
  (func (export "run") (result i32)
    (i32.add (i32.extend8_s (i32.const 0x80))
      (i32.add (i32.wrap_i64 (i64.extend32_s (i64.const 0x7fffffff)))
        (i32.add (i32.trunc_sat_f32_s (f32.const 1e20))
          (i32.wrap_i64 (i64.trunc_sat_f64_u (f64.const -5))))))))""",
               -128 + 0x7FFFFFFF + 0x7FFFFFFF + 0 - (1 << 32))

MULTI_VALUE = ("""(module
  (func $swap (param i32 i32) (result i32 i32) (local.get 1) (local.get 0))
  (func (export "run") (result i32)
    (i32.const 7) (i32.const 3)
    (call $swap)
    (block (param i32 i32) (result i32) (i32.sub))
    (i32.const 1) (i32.const 2)
    (loop (param i32 i32) (result i32 i32))
    (drop)
    (i32.add)))""", -3)

BULK_MEMORY = ("""(module
  (memory 1)
  (data $p "abcdef")
  (data (i32.const 0) "zz")
  (func (export "run") (result i32)
    (memory.init $p (i32.const 100) (i32.const 1) (i32.const 4))
    (data.drop $p)
    (memory.copy (i32.const 200) (i32.const 100) (i32.const 4))
    (memory.fill (i32.const 300) (i32.const 7) (i32.const 3))
    (i32.add (i32.load8_u (i32.const 203)) (i32.load8_u (i32.const 302)))))""", ord("e") + 7)

REFERENCE_TYPES = ("""(module
  (type $v (func (result i32)))
  (table $t 4 funcref)
  (table $x 2 externref)
  (table $e 2 funcref)
  (func $one (type $v) (i32.const 1))
  (func $two (type $v) (i32.const 2))
  (elem (i32.const 0) $one)
  (elem func $two $one)
  (elem (table $t) (i32.const 1) func $two)
  (elem declare func $two)
  (elem (i32.const 2) funcref (ref.func $one))
  (elem funcref (ref.func $two) (ref.null func))
  (elem (table $e) (i32.const 0) funcref (ref.func $two))
  (elem declare funcref (ref.func $one))
  (func (export "run") (result i32) (local funcref)
    (table.init $t 1 (i32.const 2) (i32.const 0) (i32.const 2))
    (elem.drop 1)
    (local.set 0 (table.get $t (i32.const 3)))
    (table.set $t (i32.const 0) (local.get 0))
    (drop (table.grow $x (ref.null extern) (i32.const 3)))
    (table.fill $x (i32.const 0) (ref.null extern) (i32.const 2))
    (table.copy $t $e (i32.const 1) (i32.const 0) (i32.const 1))
    (i32.add (table.size $x)
      (i32.add (ref.is_null (select (result funcref) (local.get 0) (ref.null func) (i32.const 1)))
        (i32.add (call_indirect $t (type $v) (i32.const 0)) (call_indirect $t (type $v) (i32.const 1)))))))""",
                   5 + 0 + 1 + 2)

TYPED_FUNC_REFS = ("""(module
  (type $v (func (result i32)))
  (func $seven (type $v) (i32.const 7))
  (table $t 1 (ref $v) (ref.func $seven))
  (global $g (ref null $v) (ref.func $seven))
  (elem declare func $seven)
  (func $or0 (param (ref null $v)) (result i32)
    (block $null (result)
      (return (call_ref $v (br_on_null $null (local.get 0)))))
    (i32.const 0))
  (func $nn (param (ref null $v)) (result i32)
    (block $yes (result (ref $v))
      (br_on_non_null $yes (local.get 0))
      (return (i32.const 100)))
    (call_ref $v))
  (func (export "run") (result i32)
    (i32.add (call $or0 (global.get $g))
      (i32.add (call $or0 (ref.null $v))
        (i32.add (call $nn (ref.null $v))
          (i32.add (call $nn (ref.as_non_null (global.get $g)))
            (call_indirect $t (type $v) (i32.const 0))))))))""", 7 + 0 + 100 + 7 + 7)

TAIL_CALLS = ("""(module
  (type $c (func (param i64 i64) (result i64)))
  (table 1 funcref)
  (elem (i32.const 0) $count)
  (elem declare func $count)
  (func $count (type $c)
    (if (result i64) (i64.eqz (local.get 0)) (then (local.get 1))
      (else (if (result i64) (i64.eqz (i64.rem_u (local.get 0) (i64.const 3)))
        (then (return_call $count (i64.sub (local.get 0) (i64.const 1)) (i64.add (local.get 1) (i64.const 1))))
        (else (if (result i64) (i64.eqz (i64.rem_u (local.get 0) (i64.const 2)))
          (then (return_call_indirect (type $c) (i64.sub (local.get 0) (i64.const 1)) (local.get 1) (i32.const 0)))
          (else (return_call_ref $c (i64.sub (local.get 0) (i64.const 1)) (i64.add (local.get 1) (i64.const 2))
                  (ref.func $count)))))))))
  (func (export "run") (result i64) (call $count (i64.const 100000) (i64.const 0))))""", 99999)

SIMD = ("""(module
  (memory 1)
  (data (i32.const 0) "\\01\\02\\03\\04\\05\\06\\07\\08\\09\\0a\\0b\\0c\\0d\\0e\\0f\\10")
  (func (export "run") (result i32) (local v128)
    (local.set 0 (v128.load (i32.const 0)))
    (local.set 0 (i8x16.shuffle 15 14 13 12 11 10 9 8 7 6 5 4 3 2 1 0 (local.get 0) (local.get 0)))
    (local.set 0 (v128.load8_lane 3 (i32.const 0) (local.get 0)))
    (v128.store32_lane 1 (i32.const 32) (local.get 0))
    (local.set 0 (i32x4.add (local.get 0) (v128.const i32x4 1 1 1 1)))
    (local.set 0 (f32x4.relaxed_madd (v128.const f32x4 1 2 3 4) (v128.const f32x4 2 2 2 2)
                   (f32x4.splat (f32.const 0.5))))
    (i32.add (i32.trunc_f32_s (f32x4.extract_lane 3 (local.get 0)))
      (i32.add (i8x16.extract_lane_u 0 (i8x16.swizzle (v128.load (i32.const 0)) (i8x16.splat (i32.const 2))))
        (i32.add (i32.load8_u (i32.const 36)) (i32x4.bitmask (i32x4.relaxed_trunc_f32x4_s
                   (v128.const f32x4 -1 1 -1 1))))))))""", 8 + 3 + 0 + 5)

THREADS = ("""(module
  (memory 1 1 shared)
  (func (export "run") (result i32)
    (i32.atomic.store (i32.const 0) (i32.const 5))
    (drop (i32.atomic.rmw.add (i32.const 0) (i32.const 3)))
    (drop (i64.atomic.rmw32.cmpxchg_u (i32.const 8) (i64.const 0) (i64.const 9)))
    (drop (i32.atomic.rmw8.xchg_u (i32.const 16) (i32.const 1)))
    (atomic.fence)
    (drop (memory.atomic.notify (i32.const 0) (i32.const 1)))
    (drop (memory.atomic.wait32 (i32.const 0) (i32.const 1) (i64.const 0)))
    (i32.add (i32.atomic.load (i32.const 0))
      (i32.add (i32.wrap_i64 (i64.atomic.load32_u (i32.const 8))) (i32.atomic.load8_u (i32.const 16))))))""",
           8 + 9 + 1)

EXCEPTIONS = ("""(module
  (tag $e (param i32))
  (tag $empty)
  (func $thrower (param i32) (if (local.get 0) (then (throw $e (local.get 0)))))
  (func $catch (param i32) (result i32)
    (block $h (result i32)
      (try_table (catch $e $h) (call $thrower (local.get 0)))
      (i32.const -1)))
  (func $rethrow (result i32) (local exnref)
    (block $outer (result i32)
      (try_table (catch $e $outer)
        (local.set 0 (block $h (result exnref)
          (try_table (catch_all_ref $h) (throw $e (i32.const 40)))
          (unreachable)))
        (throw_ref (local.get 0)))
      (i32.const 0)))
  (func $all (result i32)
    (block $h
      (try_table (catch_all $h) (throw $empty)))
    (block $h2 (result i32 exnref)
      (try_table (catch_ref $e $h2) (throw $e (i32.const 2)))
      (unreachable))
    (drop))
  (func (export "run") (result i32)
    (i32.add (call $catch (i32.const 5)) (i32.add (call $catch (i32.const 0))
      (i32.add (call $rethrow) (call $all))))))""", 5 - 1 + 40 + 2)

LEGACY_EXCEPTIONS = ("""(module
  (tag $e (param i32))
  (func $f (result i32)
    try (result i32)
      i32.const 1
      throw $e
    catch $e
    catch_all
      i32.const 2
    end)
  (func $g (result i32)
    try (result i32)
      try (result i32)
        i32.const 3
        throw $e
      delegate 0
    catch $e
      i32.const 1
      i32.add
    end)
  (func $h
    try
      nop
    catch $e
      drop
      rethrow 0
    end))""", None)

GC = ("""(module
  (rec
    (type $node (sub (struct (field $v (mut i32)) (field $next (ref null $node)))))
    (type $leaf (sub final $node (struct (field $v (mut i32)) (field $next (ref null $node)) (field i8)))))
  (type $bytes (array (mut i8)))
  (type $refs (array (mut anyref)))
  (type $sub_f (sub (func (result i32))))
  (data $d "\\05\\06\\07")
  (elem $el anyref (ref.i31 (i32.const 9)))
  (func (export "run") (result i32)
    (local $n (ref null $node)) (local $a (ref null $bytes)) (local $any anyref) (local $sum i32)
    (local.set $n (struct.new $node (i32.const 4) (struct.new_default $node)))
    (struct.set $node $v (local.get $n) (i32.add (struct.get $node $v (local.get $n)) (i32.const 1)))
    (local.set $a (array.new_data $bytes $d (i32.const 0) (i32.const 3)))
    (array.set $bytes (local.get $a) (i32.const 0) (i32.const 200))
    (array.fill $bytes (local.get $a) (i32.const 1) (i32.const 1) (i32.const 1))
    (array.copy $bytes $bytes (local.get $a) (i32.const 2)
      (array.new_fixed $bytes 2 (i32.const 3) (i32.const 4)) (i32.const 1) (i32.const 1))
    (array.init_data $bytes $d (local.get $a) (i32.const 0) (i32.const 2) (i32.const 1))
    (local.set $any (struct.new $leaf (i32.const 1) (ref.null $node) (i32.const -1)))
    (local.set $sum (struct.get $node $v (local.get $n)))
    (local.set $sum (i32.add (local.get $sum) (array.get_u $bytes (local.get $a) (i32.const 0))))
    (local.set $sum (i32.add (local.get $sum) (array.get_s $bytes (local.get $a) (i32.const 2))))
    (local.set $sum (i32.add (local.get $sum) (array.len (local.get $a))))
    (local.set $sum (i32.add (local.get $sum) (ref.test (ref $leaf) (local.get $any))))
    (local.set $sum (i32.add (local.get $sum) (struct.get_u $leaf 2 (ref.cast (ref $leaf) (local.get $any)))))
    (local.set $sum (i32.add (local.get $sum)
      (i31.get_s (ref.cast i31ref
        (array.get $refs (array.new_elem $refs $el (i32.const 0) (i32.const 1)) (i32.const 0))))))
    (local.set $sum (i32.add (local.get $sum) (i31.get_u (ref.i31 (i32.const -1)))))
    (local.set $sum (i32.add (local.get $sum)
      (ref.test nullref (ref.cast nullref (any.convert_extern (extern.convert_any (ref.null none)))))))
    (local.set $sum (i32.add (local.get $sum) (ref.eq (local.get $n) (local.get $n))))
    (block $cast (result (ref $leaf))
      (drop (br_on_cast $cast anyref (ref $leaf) (local.get $any)))
      (return (i32.const -1000)))
    (drop)
    (block $fail (result anyref)
      (drop (br_on_cast_fail $fail anyref (ref null $node) (local.get $any)))
      (return (local.get $sum)))
    (drop)
    (i32.const -2000)))""", 5 + 7 + 4 + 3 + 1 + 255 + 9 + 0x7FFFFFFF + 1 + 1 - (1 << 32))

MULTI_MEMORY = ("""(module
  (memory $a 1)
  (memory $b 2)
  (data (memory $b) (i32.const 8) "\\2a")
  (func (export "run") (result i32)
    (i32.store $a offset=4 (i32.const 0) (i32.const 11))
    (memory.copy $a $b (i32.const 100) (i32.const 8) (i32.const 1))
    (memory.fill $b (i32.const 50) (i32.const 3) (i32.const 2))
    (drop (memory.grow $b (i32.const 1)))
    (i32.add (i32.load $a (i32.const 4))
      (i32.add (i32.load8_u $a (i32.const 100))
        (i32.add (i32.load8_u $b offset=51 (i32.const 0)) (memory.size $b))))))""", 11 + 42 + 3 + 3)

MEMORY64 = ("""(module
  (memory i64 1 10)
  (table i64 2 funcref)
  (func (export "run") (result i64)
    (i64.store offset=0x1000 (i64.const 8) (i64.const 0x123456789))
    (drop (memory.grow (i64.const 1)))
    (i64.add (i64.load (i64.const 0x1008))
      (i64.add (memory.size) (table.size)))))""", 0x123456789 + 2 + 2)

CUSTOM_PAGE_SIZES = ("""(module
  (memory $m 17 (pagesize 1))
  (func (export "run") (result i32)
    (i32.store8 (i32.const 16) (i32.const 7))
    (drop (memory.grow (i32.const 3)))
    (i32.add (memory.size) (i32.load8_u (i32.const 16)))))""", 20 + 7)

EXTENDED_CONST = ("""(module
  (import "env" "base" (global $base i32))
  (memory 1)
  (global $a i32 (i32.add (global.get $base) (i32.const 16)))
  (global $b i64 (i64.mul (i64.const 6) (i64.sub (i64.const 10) (i64.const 3))))
  (table 10 funcref)
  (data (offset (i32.add (global.get $base) (i32.const 4))) "x")
  (elem (offset (i32.mul (i32.const 2) (i32.const 2))) func $f)
  (func $f (result i32) (i32.add (global.get $a) (i32.wrap_i64 (global.get $b)))))""", None)

IMPORTS_AND_NAMES = ("""(module $named
  (import "env" "f" (func $ext (param i32) (result i32)))
  (import "env" "mem" (memory $mem 1))
  (import "env" "tab" (table $tab 1 funcref))
  (import "env" "g" (global $g (mut i64)))
  (import "env" "tag" (tag $t (param i32)))
  (@custom "first" (before type) "at the start")
  (func $f (export "f") (param $x i32) (result i32) (local $tmp i32)
    (local.set $tmp (call $ext (local.get $x)))
    (local.get $tmp))
  (@custom "middle" (after func) "\\00\\01")
  (export "mem" (memory $mem))
  (start $start)
  (func $start)
  (@custom "last" "at the end"))""", None)

FAMILIES = {
    "mvp": MVP, "sign_ext_sat": SIGN_EXT_SAT, "multi_value": MULTI_VALUE, "bulk_memory": BULK_MEMORY,
    "reference_types": REFERENCE_TYPES, "typed_func_refs": TYPED_FUNC_REFS, "tail_calls": TAIL_CALLS,
    "simd": SIMD, "threads": THREADS, "exceptions": EXCEPTIONS, "legacy_exceptions": LEGACY_EXCEPTIONS,
    "gc": GC, "multi_memory": MULTI_MEMORY, "memory64": MEMORY64, "custom_page_sizes": CUSTOM_PAGE_SIZES,
    "extended_const": EXTENDED_CONST, "imports_and_names": IMPORTS_AND_NAMES,
}

#: Fixtures wasmtime-py cannot validate (legacy exception instructions).
LEGACY = {"legacy_exceptions"}


def assemble(name: str) -> bytes:
    import wasmtime
    return wasmtime.wat2wasm(FAMILIES[name][0])


def run(data: bytes):
    """Instantiate ``data`` with the shared engine and call its exported ``run``."""
    import wasmtime
    from compiler.wasm.validate import engine
    store = wasmtime.Store(engine())
    instance = wasmtime.Instance(store, wasmtime.Module(engine(), data), [])
    return instance.exports(store)["run"](store)


_SPACE_OF_KIND = {"FUNC": "func", "TABLE": "table", "MEMORY": "memory", "GLOBAL": "global", "TAG": "tag"}


def add_import(module, imp) -> int:
    """Insert ``imp`` after the module's last import of its kind and renumber every reference to the
    defined items it pushes up (the remapper's job, as the rewriter does it); returns the new index."""
    from compiler.wasm.remap import Remap, Shift, remap_body, remap_module
    same = [n for n, existing in enumerate(module.imports) if existing.kind == imp.kind]
    index = len(same)
    module.imports.insert(same[-1] + 1 if same else len(module.imports), imp)
    space = _SPACE_OF_KIND[imp.kind.name]
    remap = Remap(**{"glob" if space == "global" else space: Shift(index)})
    remap_module(module, remap)
    for k, body in enumerate(module.code):
        module.code[k] = remap_body(body, remap)
    return index
