"""layout.py: site blocks (row headers before report values, alignment, merge renames), report groups,
row infos, globals and the engine buffer."""
from __future__ import annotations

import struct

from compiler.lang.types import Prim
from compiler.wei.layout import HEADER_SIZE, Info


def _region_bytes(lay, addr: int, n: int) -> bytes:
    off = addr - lay.region.base
    return bytes(lay.region.init[off:off + n])


def test_site_block(monitor):
    m = monitor("wasm:opcode:call:before { unshared var a: u8; report var b: u64; report var c: str;"
                " unshared var d: map<u32, u32>; a++; b++; }")
    block = m.layout.blocks[0]
    got = [(v.name, v.offset, v.header) for v in block.vars]
    assert got == [("a", 0, None), ("b", 8 + HEADER_SIZE, 8), ("c", 40 + HEADER_SIZE, 40), ("d", 72, None)]
    assert block.size == 80 and all(off % 8 == 0 for _, off, _ in got)


def test_groups_and_row_info(monitor):
    m = monitor('wasm:opcode:call:before { report var s: str; report var n: u32; n++; }'
                'wasm:opcode:nop:before { report var k: u32; report var f: f32; k++; }')
    ml = m.layout
    assert ml.groups == [Prim.U32, Prim.F32, Prim.STR]        # REWRITING.md §11.3 group order
    assert len(ml.heads) == len(ml.tails) == 3
    (s, n), (k, f) = (b.vars for b in ml.blocks)
    assert (s.group, n.group, k.group, f.group) == (2, 0, 0, 1)
    mid_ptr, mid_len, tail_ptr, tail_len, desc = struct.unpack("<IIIII", _region_bytes(ml.layout, n.info, Info.SIZE))
    assert _region_bytes(ml.layout, mid_ptr, mid_len) == b", memaddr, n, u32, i32, script0, "
    assert _region_bytes(ml.layout, tail_ptr, tail_len) == b"0_wasm:opcode:call, "
    assert desc == ml.desc(Prim.U32)


def test_merged_names_in_blocks(monitor):
    m = monitor("wasm:opcode:call:before { report var n: u32; n++; } wasm:opcode:call:before { report var n: u32; }")
    assert [v.name for v in m.layout.blocks[0].vars] == ["n", "n_1"]


def test_buffer_globals_follow_the_mutable_ones(monitor):
    m = monitor("report var g: u32; wasm:opcode:call:before { report var n: u32; n++; g++; }")
    ml = m.layout
    lay = ml.layout
    assert lay.globals["g"][0] < lay.exit_flag < ml.heads[0] < ml.tails[0] < ml.next_map < ml.buffer_globals
    assert lay.region.base <= ml.buffer < lay.region.end
