"""The committed runtime.wasm (compiler/backend/runtime/) run in wasmtime against the Python reference
formatters of valuefmt.py, plus the ABI of runtime_abi.py checked against the binary."""
from __future__ import annotations

import math
import random
import struct

import pytest
import wasmtime
from hypothesis import HealthCheck, given, settings, strategies as st

from compiler.lang.types import INTEGER_TYPES, MapType, Prim, TupleType, WhammType, parse_type
from compiler.lang.values import wrap
from compiler.backend import runtime_abi as abi
from compiler.report import values as vf
from tests.rewrite.runtime_instance import Runtime, compiled

P = Prim


@pytest.fixture
def rt() -> Runtime:
    return Runtime()


# ------------------------------------------------------------------------------------- module shape

def _sections(data: bytes) -> list[tuple[int, bytes]]:
    """(id, payload) of every section: enough to see tables, start and globals."""
    def leb(pos: int) -> tuple[int, int]:
        result = shift = 0
        while True:
            b = data[pos]
            result |= (b & 0x7F) << shift
            pos += 1
            shift += 7
            if not b & 0x80:
                return result, pos
    out, pos = [], 8
    while pos < len(data):
        sid = data[pos]
        size, pos = leb(pos + 1)
        out.append((sid, data[pos:pos + size]))
        pos += size
    return out


def test_module_is_linkable():
    data = abi.runtime_wasm()
    sections = dict(_sections(data))
    assert 4 not in sections and 8 not in sections        # no table, no start function
    assert sections[5][0] == 1                             # exactly one memory ...
    assert sections[6][0] == 1 + len(abi.EXPORTED_GLOBALS)  # __stack_pointer and the exported globals
    assert [(i.module, i.name) for i in compiled()[1].imports] == [abi.IMPORT[:2]]
    imp = compiled()[1].imports[0].type
    assert isinstance(imp, wasmtime.FuncType)
    assert [str(t) for t in imp.params] == list(abi.IMPORT[2]) and not imp.results
    exports = {e.name: e.type for e in compiled()[1].exports}
    assert isinstance(exports.pop("memory"), wasmtime.MemoryType)  # ... exported as memory
    for name in abi.EXPORTED_GLOBALS:
        g = exports.pop(name)
        assert isinstance(g, wasmtime.GlobalType) and str(g.content) == "i32" and not g.mutable
    assert set(exports) == set(abi.EXPORT_BY_NAME)
    for name, ty in exports.items():
        f = abi.EXPORT_BY_NAME[name]
        assert isinstance(ty, wasmtime.FuncType)
        assert (tuple(map(str, ty.params)), tuple(map(str, ty.results))) == (f.params, f.results), name


def test_core_functions_are_the_whamm_core_library():
    assert set(abi.CORE_FUNCTIONS) == {
        "putc", "puts", "putu8", "puti8", "putu16", "puti16", "putu32", "puti32", "putu64", "puti64",
        "putf32", "putf64", "putbool", "mem_alloc", "mem_free", "print_map", "print_map_as_csv"}


def test_layout():
    layout = abi.runtime_layout()
    assert layout.heap_base % 8 == 0 and layout.heap_base >= layout.data_end
    assert layout.heap_next_addr < layout.data_end
    assert layout.heap_base <= layout.memory_pages * 65536


# -------------------------------------------------------------------------------------------- output

def test_nothing_is_written_before_a_newline_or_flush(rt):
    rt.puts(rt.place(b"abc"), 3)
    rt.putu32(7)
    assert rt.writes == []
    rt.putc(ord("\n"))
    assert rt.writes == [(1, b"abc7\n")]
    rt.putc(ord("x"))
    rt.whamm_flush()
    rt.whamm_flush()  # nothing pending: no empty write
    assert rt.writes == [(1, b"abc7\n"), (1, b"x")]


def test_puts_writes_through_the_last_newline(rt):
    rt.puts(rt.place(b"a\nbb\ncc"), 7)
    assert rt.writes == [(1, b"a\nbb\n")]
    rt.whamm_flush()
    assert rt.writes[-1] == (1, b"cc")


def test_long_output_is_written_in_full_buffers(rt):
    data = bytes(range(32, 127)) * 200  # 19000 bytes, no newline
    rt.puts(rt.place(data), len(data))
    size = abi.OUTPUT_BUFFER_SIZE
    assert [len(d) for _, d in rt.writes] == [size] * (len(data) // size)
    rt.whamm_flush()
    assert rt.stdout() == data


@settings(max_examples=40, deadline=None)
@given(st.lists(st.binary(max_size=3000), max_size=12))
def test_chunks_end_at_newlines_or_full_buffers(pieces):
    rt = Runtime()
    for p in pieces:
        rt.puts(rt.place(p), len(p))
    for _, chunk in rt.writes:
        assert chunk.endswith(b"\n") or len(chunk) == abi.OUTPUT_BUFFER_SIZE
    rt.whamm_flush()
    assert rt.stdout() == b"".join(pieces)


# ------------------------------------------------------------------------------------------- scalars

_PUT_INT = {P.U8: "putu8", P.I8: "puti8", P.U16: "putu16", P.I16: "puti16", P.U32: "putu32",
            P.I32: "puti32", P.U64: "putu64", P.I64: "puti64"}


@pytest.mark.parametrize("t", INTEGER_TYPES, ids=str)
@settings(max_examples=30, deadline=None)
@given(values=st.lists(st.one_of(st.integers(-(2**63), 2**63 - 1), st.sampled_from(
    [0, 1, -1, 127, 128, 255, 256, 32767, 32768, 65535, 2**31 - 1, 2**31, -(2**31), 2**32 - 1])), max_size=20))
def test_integers_of_every_width(t, values):
    rt = Runtime()
    wide = t in (P.U64, P.I64)
    for v in values:
        getattr(rt, _PUT_INT[t])(wrap(v, P.I64) if wide else wrap(v, P.I32))
        rt.putc(ord(" "))
    assert rt.text() == "".join(vf.format_value(t, v) + " " for v in values)


def test_integer_examples(rt):
    for name, arg in [("putu32", -1), ("puti8", 255), ("putu8", -1), ("puti16", 0x18000), ("putu64", -1),
                      ("puti64", -(2**63)), ("putbool", 2), ("putbool", 0)]:
        getattr(rt, name)(arg)
        rt.putc(ord(" "))
    assert rt.text() == "4294967295 -1 255 -32768 18446744073709551615 -9223372036854775808 true false "


def _f64(bits: int) -> float:
    return struct.unpack("<d", struct.pack("<Q", bits))[0]


def f32(x: float) -> float:
    return struct.unpack("<f", struct.pack("<f", x))[0]


def _f32(bits: int) -> float:
    return struct.unpack("<f", struct.pack("<I", bits))[0]


def _check_floats(rt: Runtime, name: str, values: list[float], fmt) -> None:
    put = getattr(rt, name)
    for v in values:
        put(v)
        rt.putc(ord(" "))
    got = rt.text().split(" ")[:-1]
    expected = [fmt(v) for v in values]
    assert got == expected


_F64_EDGES = [0.0, -0.0, math.inf, -math.inf, math.nan, 5e-324, -5e-324, _f64(0x000FFFFFFFFFFFFF),
              2.2250738585072014e-308, 1.7976931348623157e308, 2.0, -1.1, 1e-7, 123456789.0, 0.1, 0.3,
              1e23, 9007199254740993.0, 2.0**-1022, 2.0**-1074, 2.0**1023, 2.0**70, 5e-324 * 3]
_F64_EDGES += [10.0**k for k in range(-323, 309)] + [2.0**k for k in range(-1074, 1024)]


def test_f64_edge_cases(rt):
    _check_floats(rt, "putf64", _F64_EDGES, vf.format_f64)


@settings(max_examples=120, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(st.integers(0, 2**64 - 1), min_size=50, max_size=50))
def test_f64_random_bit_patterns(bits):
    _check_floats(Runtime(), "putf64", [_f64(b) for b in bits], vf.format_f64)


@settings(max_examples=40, deadline=None)
@given(st.lists(st.one_of(st.floats(1e-3, 1e18), st.integers(-(2**53), 2**53).map(float),
                          st.decimals(-10**6, 10**6, places=4, allow_nan=False, allow_infinity=False).map(float)), min_size=50, max_size=50))
def test_f64_moderate_values(values):
    """Values whose digits come from float.c's machine-word loop (no big integers)."""
    _check_floats(Runtime(), "putf64", values, vf.format_f64)


_F32_EDGES = [_f32(b) for b in (0, 0x80000000, 1, 0x80000001, 0x007FFFFF, 0x00800000, 0x7F7FFFFF, 0xFF7FFFFF,
                                0x7F800000, 0xFF800000, 0x7FC00000, 0x3DCCCCCD, 0x447A0B85)]
_F32_EDGES += [_f32(e << 23) for e in range(1, 255)]            # every power of two (lopsided intervals)
_F32_EDGES += [v for v in (struct.unpack("<f", struct.pack("<f", 10.0**k))[0] for k in range(-45, 39)) if v]
_F32_EDGES += [_f32(0x0D800000), _f32(0x6B000000), _f32(0x6C800000)]  # 2^-100 … where '%.{p}e' alone fails


def test_f32_edge_cases(rt):
    _check_floats(rt, "putf32", _F32_EDGES, vf.format_f32)


@settings(max_examples=120, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(st.integers(0, 2**32 - 1), min_size=50, max_size=50))
def test_f32_random_bit_patterns(bits):
    _check_floats(Runtime(), "putf32", [_f32(b) for b in bits], vf.format_f32)


def test_spec_float_examples(rt):
    for v in (1000.18, 3.4028235e38, 0.1):
        rt.putf32(f32(v))
        rt.putc(ord(" "))
    for v in (2.0, -1.1, 0.0, 1e-7, 123456789.0, -1.7976931348623157e308, -0.0, math.nan, -math.inf):
        rt.putf64(v)
        rt.putc(ord(" "))
    assert rt.text().split() == ["+1.00018e3", "+3.4028235e38", "+1e-1", "+2e0", "-1.1e0", "+0e0", "+1e-7",
                                 "+1.23456789e8", "-1.7976931348623157e308", "-0e0", "NaN", "-inf"]


# ----------------------------------------------------------------------------------------- allocator

def test_allocations_are_aligned_distinct_and_never_zero(rt):
    blocks = []
    for size in [0, 1, 3, 7, 8, 9, 15, 16, 17, 100, 1000, 4096, 5000]:
        p = rt.mem_alloc(size)
        assert p != 0 and p % 8 == 0 and p >= abi.runtime_layout().heap_base
        blocks.append((p, max(size, 1)))
    spans = sorted(blocks)
    assert all(a + n <= b for (a, n), (b, _) in zip(spans, spans[1:]))


def test_memory_grows_and_keeps_contents(rt):
    pages = rt.memory.size(rt.store)
    first = rt.place(b"keep me")
    for _ in range(20):
        rt.mem_alloc(60000)
    big = rt.mem_alloc(1 << 20)
    rt.memory.write(rt.store, b"end", big + (1 << 20) - 3)
    assert rt.memory.size(rt.store) > pages + 16
    assert rt.read(first, 7) == b"keep me"


def test_free_blocks_are_reused(rt):
    a = rt.mem_alloc(100)
    rt.mem_free(a)
    rt.mem_free(0)
    assert rt.mem_alloc(120) == a


def test_allocation_that_cannot_grow_traps(rt):
    with pytest.raises(wasmtime.Trap):
        rt.mem_alloc(-1)


def test_heap_next_reserves_a_static_region(rt):
    layout = abi.runtime_layout()
    reserved_end = layout.heap_base + 100_000  # beyond the initial memory: allocation must grow it
    rt.memory.write(rt.store, struct.pack("<I", reserved_end), layout.heap_next_addr)
    assert rt.mem_alloc(8) >= reserved_end


# ---------------------------------------------------------------------------------------------- maps

class Maps:
    """Maps in a runtime instance, mirrored by Python dicts."""

    def __init__(self, rt: Runtime) -> None:
        self.rt = rt

    def create(self, map_id: int, t: MapType) -> None:
        self.rt.whamm_map_create(map_id, self.rt.place(abi.map_descriptor(t)))

    def put(self, map_id: int, t: MapType, key: object, value: object) -> None:
        self.rt.whamm_map_put(map_id, self.rt.pack(t.key, key), self.rt.pack(t.value, value))

    def get(self, map_id: int, t: MapType, key: object) -> object:
        return self.rt.value_at(t.value, self.rt.whamm_map_get(map_id, self.rt.pack(t.key, key)))


_INTS = list(INTEGER_TYPES)
_int_types = st.sampled_from(_INTS)
_key_scalars = st.one_of(_int_types, st.just(P.BOOL), st.just(P.STR))
_val_scalars = st.one_of(_int_types, st.sampled_from([P.BOOL, P.STR, P.F32, P.F64]))


def _tuples(elems):
    return st.recursive(elems, lambda inner: st.lists(inner, min_size=2, max_size=3).map(
        lambda es: TupleType(tuple(es))), max_leaves=4)


key_types = _tuples(_key_scalars)
value_types = _tuples(_val_scalars)


def values_of(t: WhammType) -> st.SearchStrategy:
    """Values in valuefmt's form, with deliberately narrow ranges so keys collide and share prefixes."""
    if isinstance(t, TupleType):
        return st.tuples(*(values_of(e) for e in t.elems))
    if t in INTEGER_TYPES:
        return st.one_of(st.integers(-3, 3), st.integers(-(2**63), 2**64 - 1)).map(lambda v: wrap(v, t))
    if t is P.BOOL:
        return st.booleans()
    if t is P.STR:
        return st.lists(st.sampled_from(b"ab\xff"), max_size=4).map(bytes)  # collisions, prefixes
    if t is P.F32:
        return st.floats(width=32, allow_nan=False)
    return st.floats(allow_nan=False)


@st.composite
def maps(draw):
    t = MapType(draw(key_types), draw(value_types))
    items = draw(st.lists(st.tuples(values_of(t.key), values_of(t.value)), max_size=25))
    return t, items


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(maps(), st.integers(-(2**31), 2**31 - 1))
def test_maps_of_every_type_combination(spec, map_id):
    t, items = spec
    rt = Runtime()
    m = Maps(rt)
    m.create(map_id, t)
    expected: dict = {}
    for k, v in items:
        m.put(map_id, t, k, v)
        expected[k] = v
    assert rt.whamm_map_len(map_id) == len(expected)
    live = abi.read_map(t, map_id, lambda name, *args: getattr(rt, name)(*args), rt.read)
    assert [vf.format_map_value(t.key, k) for k in live] == \
        [vf.format_map_value(t.key, k) for k in sorted(expected, key=lambda k: vf.map_key_order(t.key, k))]
    assert vf.format_map(t.key, t.value, live) == vf.format_map(t.key, t.value, expected)
    for k, v in expected.items():
        got = m.get(map_id, t, k)
        assert vf.format_value(t.value, got) == vf.format_value(t.value, v)
    rt.print_map(map_id)
    assert rt.text() == vf.format_map(t.key, t.value, expected)
    rt.writes.clear()
    rt.print_map_as_csv(map_id)
    assert rt.text() == vf.format_map_csv(map_id, t.key, t.value, expected)


_KEY_SCALARS = [*INTEGER_TYPES, P.BOOL, P.STR]
_VALUE_SCALARS = [*INTEGER_TYPES, P.F32, P.F64, P.BOOL, P.STR]


@pytest.mark.parametrize("key", _KEY_SCALARS + [parse_type("(u32,(str,bool))")], ids=str)
def test_every_scalar_key_and_value_combination(key):
    """Each D8 key type with every scalar value type, contents from a seeded generator."""
    rt = Runtime()
    m = Maps(rt)
    rng = random.Random(str(key))

    def draw(t: WhammType) -> object:
        if isinstance(t, TupleType):
            return tuple(draw(e) for e in t.elems)
        if t in INTEGER_TYPES:
            return wrap(rng.choice([rng.randrange(-4, 4), rng.getrandbits(64)]), t)
        if t is P.BOOL:
            return rng.random() < 0.5
        if t is P.STR:
            return bytes(rng.choice(b"ab\n") for _ in range(rng.randrange(4)))
        return f32(rng.uniform(-1e6, 1e6)) if t is P.F32 else rng.uniform(-1e300, 1e300)

    for map_id, value in enumerate(_VALUE_SCALARS + [parse_type("(str,(f32,i8))")]):
        t = MapType(key, value)
        m.create(map_id, t)
        expected = {}
        for _ in range(12):
            k, v = draw(key), draw(value)
            m.put(map_id, t, k, v)
            expected[k] = v
        rt.print_map(map_id)
        rt.putc(ord("\n"))
        rt.print_map_as_csv(map_id)
        assert rt.text() == vf.format_map(key, value, expected) + "\n" + vf.format_map_csv(map_id, key, value, expected)
        rt.writes.clear()


def test_absent_keys_read_as_zero_without_inserting(rt):
    t = parse_type("map<(u32,str),(i64,f32,bool,str)>")
    m = Maps(rt)
    m.create(3, t)
    assert m.get(3, t, (1, b"x")) == (0, 0.0, False, b"")
    assert rt.whamm_map_len(3) == 0


@pytest.mark.parametrize("type_text, entries, printed", [
    ("map<u32,u32>", {4294967295: 1, 0: 2, 2147483647: 3, 2147483648: 4},
     "-2147483648->4;-1->1;0->2;2147483647->3"),
    ("map<u64,u32>", {2**64 - 1: 1, 0: 2}, "0->2;18446744073709551615->1"),
    ("map<i64,i64>", {-1: -1, 5: 2**62}, "-1->-1;5->4611686018427387904"),
    ("map<u8,u16>", {255: 65535, 1: 1}, "1->1;255->65535"),
    ("map<i8,i32>", {-128: 1, 127: 2}, "-128->1;127->2"),
    ("map<str,u32>", {b"ab": 1, b"a": 2, b"": 3, b"b": 4, b"\xff": 5}, "->3;a->2;ab->1;b->4;\udcff->5"),
    ("map<bool,bool>", {True: False, False: True}, "false->true;true->false"),
    ("map<(u32,u32),u32>", {(5, 1): 1, (5, 4294967295): 2, (0, 9): 3}, "(0,9)->3;(5,-1)->2;(5,1)->1"),
    ("map<(u32,bool),u32>", {(5, True): 2}, "(5,true)->2"),
    ("map<(i32,(str,u8)),(f32,str)>", {(1, (b"b", 2)): (0.5, b"x"), (1, (b"a", 9)): (-2.0, b"")},
     "(1,(a,9))->(-2e0,);(1,(b,2))->(+5e-1,x)"),
    ("map<u32,u32>", {}, "empty map"),
])
def test_map_order_and_format(rt, type_text, entries, printed):
    t = parse_type(type_text)
    assert isinstance(t, MapType)
    m = Maps(rt)
    m.create(0, t)
    for k, v in entries.items():
        m.put(0, t, k, v)
    rt.print_map(0)
    assert rt.text() == printed == vf.format_map(t.key, t.value, entries)


@pytest.mark.parametrize("type_text, csv", [
    ("map<(u32,bool),u32>", "== map7 CSV FLUSH ==\nempty map\n"),
    ("map<u32,(u32,bool)>", "== map7 CSV FLUSH ==\nkey (i32), val ((i32,bool))\nempty map\n"),
    ("map<str,u64>", "== map7 CSV FLUSH ==\nkey (str), val (i64)\nempty map\n"),
])
def test_csv_of_empty_maps(rt, type_text, csv):
    t = parse_type(type_text)
    Maps(rt).create(7, t)
    rt.print_map_as_csv(7)
    assert rt.text() == csv


def test_csv_example(rt):
    t = parse_type("map<(i32,i32),i32>")
    m = Maps(rt)
    m.create(0, t)
    m.put(0, t, (5, 0), 1)
    rt.print_map_as_csv(0)
    assert rt.text() == "== map0 CSV FLUSH ==\nkey ((i32,i32)), val (i32)\n(5,0), 1\n"


def test_many_keys_and_many_maps(rt):
    t = parse_type("map<u32,u64>")
    m = Maps(rt)
    ids = [i * 7919 - 50_000 for i in range(40)] + [0x40000000]
    for map_id in ids:
        m.create(map_id, t)
    key = rt.mem_alloc(4)
    for i in range(3000):
        rt.memory.write(rt.store, struct.pack("<I", i * 2654435761 % 2**32), key)
        rt.whamm_map_add(ids[i % len(ids)], key, i)
    assert sum(rt.whamm_map_len(i) for i in ids) == 3000
    rt.print_map(0x40000000)
    expected = {i * 2654435761 % 2**32: i for i in range(3000) if i % len(ids) == len(ids) - 1}
    assert rt.text() == vf.format_map(t.key, t.value, expected)


def test_increment_and_slot(rt):
    m = Maps(rt)
    for text, start, delta, end in [("map<u8,u8>", 250, 10, 4), ("map<u32,i16>", 0, -1, -1),
                                    ("map<u32,u64>", 2**64 - 1, 1, 0), ("map<u32,f32>", 0.5, 2, 2.5),
                                    ("map<u32,f64>", 0.0, -3, -3.0)]:
        t = parse_type(text)
        m.create(1, t)
        m.put(1, t, 9, start)
        rt.whamm_map_add(1, rt.pack(t.key, 9), delta)
        assert m.get(1, t, 9) == end
    t = parse_type("map<str,u32>")
    m.create(2, t)
    rt.whamm_map_add(2, rt.pack(t.key, b"new"), 1)  # m[k]++ on a new key (D7)
    slot = rt.whamm_map_slot(2, rt.pack(t.key, b"other"))
    rt.memory.write(rt.store, struct.pack("<I", 41), slot)
    assert (m.get(2, t, b"new"), m.get(2, t, b"other"), rt.whamm_map_len(2)) == (1, 41, 2)
    m.create(2, t)  # re-creating empties it
    assert rt.whamm_map_len(2) == 0
    with pytest.raises(wasmtime.Trap):
        t = parse_type("map<u32,str>")
        m.create(3, t)
        rt.whamm_map_add(3, rt.pack(t.key, 1), 1)


def test_keys_and_values_are_copied(rt):
    t = parse_type("map<str,str>")
    m = Maps(rt)
    m.create(0, t)
    key, value = rt.pack(t.key, b"key"), rt.pack(t.value, b"value")
    rt.whamm_map_put(0, key, value)
    rt.memory.write(rt.store, b"XXX", struct.unpack("<I", rt.read(key, 4))[0])
    rt.memory.write(rt.store, b"XXXXX", struct.unpack("<I", rt.read(value, 4))[0])
    assert m.get(0, t, b"key") == b"value"


def test_put_from_a_value_inside_the_same_map(rt):
    """m[k2] = m[k1] with the value pointer into the map while the insertion grows the table."""
    t = parse_type("map<u32,(u64,str)>")
    m = Maps(rt)
    m.create(0, t)
    for i in range(6):
        m.put(0, t, i, (i, b"v%d" % i))
    for i in range(6, 200):
        rt.whamm_map_put(0, rt.pack(t.key, i), rt.whamm_map_get(0, rt.pack(t.key, i - 6)))
    assert [m.get(0, t, i) for i in range(200)] == [(i % 6, b"v%d" % (i % 6)) for i in range(200)]


@pytest.mark.parametrize("call", ["print_map", "print_map_as_csv", "whamm_map_len"])
def test_unknown_map_id_traps_after_a_message(rt, call):
    Maps(rt).create(0, parse_type("map<u32,u32>"))
    rt.puts(rt.place(b"pending"), 7)
    with pytest.raises(wasmtime.Trap):
        getattr(rt, call)(-7)
    assert rt.writes == [(1, b"pending"), (2, b"whamm: no map with id -7\n")]


def test_unknown_map_id_in_get_and_put(rt):
    with pytest.raises(wasmtime.Trap):
        rt.whamm_map_get(12, rt.place(b"\0\0\0\0"))
    with pytest.raises(wasmtime.Trap):
        rt.whamm_map_put(12, 0, 0)
    assert rt.writes == [(2, b"whamm: no map with id 12\n")] * 2


# ------------------------------------------------------------------------------------- report values

@settings(max_examples=150, deadline=None)
@given(st.data())
def test_print_value_report_form(data):
    t = data.draw(value_types)
    value = data.draw(values_of(t))
    rt = Runtime()
    rt.whamm_print_value(rt.place(abi.encode_type(t)), rt.pack(t, value))
    assert rt.text() == vf.format_value(t, value)


def test_report_examples(rt):
    for text, value in [("(str,f32)", (b"BOOOYAH", 1000.1799926757812)), ("(i32,(i32,i32))", (1, (12, 13))),
                        ("(u32,str)", (4294967286, b"other str")), ("u32", 4294967295), ("bool", True)]:
        t = parse_type(text)
        rt.whamm_print_value(rt.place(abi.encode_type(t)), rt.pack(t, value))
        rt.putc(ord("|"))
    assert rt.text() == "(BOOOYAH; +1.00018e3)|(1; (12; 13))|(4294967286; other str)|4294967295|true|"


# ---------------------------------------------------------------------------------------------- ABI

@settings(max_examples=100)
@given(st.one_of(key_types, value_types))
def test_type_descriptors_round_trip(t):
    data = abi.encode_type(t)
    assert abi.decode_type(data) == (t, len(data))


@pytest.mark.parametrize("text, message", [
    ("map<f32,u32>", "unsupported map key type f32"),
    ("map<(u32,f64),u32>", "unsupported map key type (u32,f64)"),
    ("map<u32,map<u32,u32>>", "unsupported map value type map<u32,u32>"),
    ("map<funcref,u32>", "unsupported map key type funcref"),
])
def test_unsupported_map_types(text, message):
    t = parse_type(text)
    assert isinstance(t, MapType)
    with pytest.raises(abi.RuntimeTypeError, match=message.replace("(", r"\(").replace(")", r"\)")):
        abi.map_descriptor(t)


def test_value_sizes():
    assert [abi.value_size(parse_type(s)) for s in ("u8", "i16", "bool", "f64", "str", "(u8,(str,u64))")] == \
        [1, 2, 4, 8, 8, 17]


# ------------------------------------------------------------------------------ driven from Wasm code

def test_wasm_code_can_drive_the_runtime():
    """The pattern generated code follows: store a key's bytes in a scratch slot, call the runtime."""
    store = wasmtime.Store(compiled()[0])
    linker = wasmtime.Linker(compiled()[0])
    out: list[bytes] = []
    i32 = wasmtime.ValType.i32()

    def write(caller: wasmtime.Caller, fd: int, ptr: int, length: int) -> None:
        memory = caller["memory"]
        assert isinstance(memory, wasmtime.Memory)
        out.append(bytes(memory.read(caller, ptr, ptr + length)))

    linker.define_func("whamm", "write", wasmtime.FuncType([i32] * 3, []), write, access_caller=True)
    linker.define_instance(store, "rt", linker.instantiate(store, compiled()[1]))
    desc = abi.map_descriptor(parse_type("map<(u32,u8),u64>"))
    data = "".join(f"\\{b:02x}" for b in desc)
    wat = f"""(module
      (import "rt" "memory" (memory 1))
      (import "rt" "mem_alloc" (func $alloc (param i32) (result i32)))
      (import "rt" "whamm_map_create" (func $create (param i32 i32)))
      (import "rt" "whamm_map_add" (func $add (param i32 i32 i64)))
      (import "rt" "print_map" (func $print_map (param i32)))
      (import "rt" "putc" (func $putc (param i32)))
      (func (export "run") (local $desc i32) (local $key i32) (local $i i32)
        (local.set $desc (call $alloc (i32.const {len(desc)})))
        (memory.init $desc (local.get $desc) (i32.const 0) (i32.const {len(desc)}))
        (call $create (i32.const 5) (local.get $desc))
        (local.set $key (call $alloc (i32.const 5)))
        (loop $l
          (i32.store (local.get $key) (i32.sub (i32.const 2) (i32.rem_u (local.get $i) (i32.const 4))))
          (i32.store8 offset=4 (local.get $key) (i32.and (local.get $i) (i32.const 1)))
          (call $add (i32.const 5) (local.get $key) (i64.const 1))
          (br_if $l (i32.lt_u (local.tee $i (i32.add (local.get $i) (i32.const 1))) (i32.const 100))))
        (call $print_map (i32.const 5))
        (call $putc (i32.const 10)))
      (data $desc "{data}"))"""
    module = wasmtime.Module(compiled()[0], wasmtime.wat2wasm(wat))
    linker.instantiate(store, module).exports(store)["run"](store)
    counts: dict = {}
    for i in range(100):
        key = (wrap(2 - i % 4, P.U32), i & 1)
        counts[key] = counts.get(key, 0) + 1
    assert out == [(vf.format_map(parse_type("(u32,u8)"), P.U64, counts) + "\n").encode()]


# ------------------------------------------------------------------------------------ report table

_ROW_TYPES = [P.U32, P.I8, P.U64, P.F64, P.BOOL, P.STR, parse_type("(u8, str, i64)"), MapType(P.U32, P.I32)]


@st.composite
def report_rows(draw):
    """Rows as the default report meets them: a few variables and probes, functions and pcs repeating
    or not, slots in any order, several rows naming the same slot, rows reading their value from another
    slot of their type (coalesced per-site counters: ``MemoryLocation.value_offset``), empty columns."""
    count = draw(st.integers(1, 40))
    rows, slots = [], []   # slots: (type, value) per distinct slot
    for _ in range(count):
        t = draw(st.sampled_from(_ROW_TYPES))
        same = [i for i, (slot_type, _) in enumerate(slots) if slot_type == t]
        if same and draw(st.booleans()):
            slot = draw(st.sampled_from(same))
        else:
            if isinstance(t, MapType):
                value = draw(st.dictionaries(values_of(t.key), values_of(t.value), max_size=3))
            else:
                value = draw(values_of(t))
            slots.append((t, value))
            slot = len(slots) - 1
        fid = draw(st.one_of(st.none(), st.integers(0, 3), st.integers(0, 70000)))
        probe = draw(st.sampled_from([None, "0_wasm:opcode:if:before", "3"]))
        fname = "" if fid is None or fid % 3 == 0 else f"f{fid}"   # a function has one name
        pc = draw(st.one_of(st.none(), st.integers(0, 300), st.integers(0, 2**31)))
        value_slot = draw(st.sampled_from(same)) if same and draw(st.booleans()) else slot
        rows.append((draw(st.sampled_from(["taken", "n"])), t, probe, fid, fname, pc, slot, value_slot))
    return rows, slots


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(report_rows())
def test_report_table_prints_every_row_as_its_prefix_and_value(spec):
    """``whamm_report_rows`` over ``exit.report_table`` prints exactly the rows of REWRITING.md §11.2
    (``row_prefix`` + the value), whatever the order of the slots, however many rows share one, and
    with a row's value read from another slot where its location says so (the row keeps its own id)."""
    from compiler.report.rows import MemoryLocation, ReportVar, row_prefix
    from compiler.rewrite.exit import report_table
    rows, slots = spec
    rt = Runtime()
    maps = Maps(rt)
    addrs, texts = [], []
    for i, (t, value) in enumerate(slots):
        if isinstance(t, MapType):
            maps.create(100 + i, t)
            for k, v in value.items():
                maps.put(100 + i, t, k, v)
            addrs.append(rt.place(struct.pack("<i", 100 + i)))
            texts.append(vf.format_map(t.key, t.value, value))
        else:
            addrs.append(rt.pack(t, value))
            texts.append(vf.format_value(t, value))
    desc = {abi.encode_type(t): rt.place(abi.encode_type(t)) for t, _ in slots if not isinstance(t, MapType)}
    report = [ReportVar(name, "site", t, probe, fid, fname, pc,
                        MemoryLocation(addrs[slot], None if value == slot else addrs[value]))
              for name, t, probe, fid, fname, pc, slot, value in rows]
    table = report_table(report, rt.place, desc)
    base = rt.place(table)
    rt.whamm_report_rows(base, base + len(table))
    assert rt.text() == "".join(f"{row_prefix(v)}{texts[value]}\n" for v, (*_, value) in zip(report, rows))


def test_report_table_is_about_two_bytes_a_row_for_per_site_counters():
    """The point of the table: a branch monitor's rows (two adjacent u32 counters per site, sites in
    pc order) cost ≈2 bytes each, not a record or a text per row."""
    from compiler.report.rows import MemoryLocation, ReportVar
    from compiler.rewrite.exit import report_table
    rows = [ReportVar(name, "site", P.U32, "0_wasm:opcode:br_if:before", site // 100, "f", site % 100 * 7,
                      MemoryLocation(4096 + 8 * site + 4 * k))
            for site in range(10_000) for k, name in enumerate(("taken", "not_taken"))]
    table = report_table(rows, lambda data: 0x10000, {abi.encode_type(P.U32): 0x20000})
    assert len(table) < 2.2 * len(rows)
