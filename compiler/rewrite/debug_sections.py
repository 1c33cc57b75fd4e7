"""The output's DWARF, rewritten for the moved code (ANALYSIS.md §5: never stale; docs/DWARF_OUTPUT.md).

Instrumenting moves every code address, so the input's ``.debug_*`` sections copied unchanged would
send debuggers and wasmtime's DWARF backtraces to wrong lines, silently.  With an
:class:`~compiler.rewrite.addrmap.AddressMap` (input code address → output code address) this module
rewrites them; the input is read with pyelftools, the output encoded here (the sections whose sizes
change in the two modules named below):

* ``.debug_line`` — every sequence re-emitted over the output code (:mod:`compiler.rewrite.debug_line`)
  and the units' new offsets patched into ``DW_AT_stmt_list``.
* ``.debug_info`` — patched in place (no form changes size): ``DW_FORM_addr`` values,
  ``DW_AT_high_pc`` lengths, section offsets into the rewritten sections.
* ``.debug_addr`` (the entries used as code addresses), ``.debug_ranges``, ``.debug_loc`` — patched in
  place (fixed-size addresses); ``.debug_rnglists`` and ``.debug_loclists`` (ULEB offsets grow) are
  re-encoded entry by entry (:mod:`compiler.rewrite.debug_lists`) and their offset tables and
  ``DW_AT_*_base`` / section offsets patched.
* Sections without code addresses (strings, abbreviations, name indexes) are kept as they are;
  ``.debug_aranges`` is dropped (clang lists variables' memory ranges in it too, indistinguishably).

Reading the input's DWARF (pyelftools' walk of every DIE and line program) is most of the cost and does
not depend on the instrumentation, so the last input read is kept (:func:`_parsed`): the shell's
rebuilds of one application pay only for the address arithmetic and the encoding.

Addresses the map cannot name exactly (:class:`~compiler.rewrite.addrmap.Unmappable`), forms or
opcodes this module does not encode, and anything unparsable make the whole interdependent set
(``.debug_info`` and the sections it points into) dropped with one note; a section nothing points
into that the module does not know (and ``sourceMappingURL``/``external_debug_info``, which name
DWARF elsewhere that is now stale) is dropped alone, with its own note.  Never stale, never silent.
"""
from __future__ import annotations

import io
import struct
from dataclasses import dataclass, field
from typing import Mapping

from compiler.rewrite.addrmap import AddressMap, Unmappable
from compiler.rewrite.debug_format import (
    CompileUnit, DebugFormatError, contribution_header, is_tombstone, read_fixed,
)
from compiler.rewrite.debug_line import LineUnit, read_line_unit, rewrite_lines
from compiler.rewrite.debug_lists import ListTable, rewrite_lists
from compiler.wasm.model import CustomSection

__all__ = ["is_debug_section", "rewrite_debug_sections"]

#: Sections with no code address: kept byte for byte (DIE offsets do not move: .debug_info is patched
#: in place, so the name indexes still hold).
_KEPT = frozenset({".debug_abbrev", ".debug_str", ".debug_line_str", ".debug_str_offsets",
                   ".debug_macinfo", ".debug_macro", ".debug_pubnames", ".debug_pubtypes",
                   ".debug_gnu_pubnames", ".debug_gnu_pubtypes", ".debug_names"})
#: Sections this module rewrites: .debug_info and what its attributes point into.
_REWRITTEN = frozenset({".debug_info", ".debug_line", ".debug_addr", ".debug_ranges", ".debug_loc",
                        ".debug_rnglists", ".debug_loclists"})
#: Custom sections naming debug information elsewhere, stale once the code moved.
_POINTERS = frozenset({"sourceMappingURL", "external_debug_info"})

#: Attributes whose section-offset value is a location list (DWARF 4: .debug_loc, 5: .debug_loclists).
_LOCATION_ATTRS = frozenset({"DW_AT_location", "DW_AT_frame_base", "DW_AT_string_length",
                             "DW_AT_return_addr", "DW_AT_data_member_location", "DW_AT_static_link",
                             "DW_AT_use_location", "DW_AT_vtable_elem_location", "DW_AT_GNU_call_site_value",
                             "DW_AT_call_value", "DW_AT_call_target", "DW_AT_call_data_location"})
_DATA_SIZES = {"DW_FORM_data1": 1, "DW_FORM_data2": 2, "DW_FORM_data4": 4, "DW_FORM_data8": 8,
               "DW_FORM_sec_offset": 4}


def is_debug_section(custom: CustomSection) -> bool:
    """Whether ``custom`` holds (or names) debug information the output must not keep stale."""
    return custom.name.startswith(".debug_") or custom.name in _POINTERS


def rewrite_debug_sections(customs: list[CustomSection],
                           amap: AddressMap) -> tuple[list[CustomSection], list[str]]:
    """``customs`` with the debug sections rewritten for ``amap`` (the others untouched, in place) and
    one note per section dropped."""
    notes: list[str] = []
    drop: set[str] = set()
    for c in customs:
        if c.name in _POINTERS:
            drop.add(c.name)
            notes.append(f"custom section {c.name!r} dropped: it names debug information for the input's code")
        elif c.name.startswith(".debug_") and c.name not in _KEPT and c.name not in _REWRITTEN:
            drop.add(c.name)
            notes.append(f"debug section {c.name} dropped: its code addresses cannot be remapped")
    sections = {c.name: c.data for c in customs if c.name in _REWRITTEN}
    new: dict[str, bytes] = {}
    if sections:
        try:
            kept = {c.name: c.data for c in customs if c.name in _KEPT}
            new = _Rewriter(sections, _parsed(sections, kept), amap).run()
        except (Unmappable, DebugFormatError, *_parse_errors()) as exc:
            names = sorted({c.name for c in customs if c.name.startswith(".debug_")})
            drop.update(names)
            why = str(exc) if isinstance(exc, (Unmappable, DebugFormatError)) else \
                f"unreadable DWARF ({type(exc).__name__}: {exc})"
            notes.append(f"DWARF dropped from the output ({', '.join(names)}): cannot remap it: {why}")
    out = []
    for c in customs:
        if c.name in drop:
            continue
        data = new.get(c.name)
        out.append(c if data is None else CustomSection(c.name, data, c.after))
    return out, notes


def _parse_errors() -> tuple[type[BaseException], ...]:
    """What pyelftools (imported when DWARF is first rewritten) and the section walks raise on
    malformed DWARF."""
    from elftools.common.exceptions import DWARFError, ELFError
    from elftools.construct import ConstructError
    return (DWARFError, ELFError, ConstructError, struct.error, IndexError, KeyError, ValueError, AttributeError,
            TypeError, UnicodeDecodeError, AssertionError)


# ------------------------------------------------------------------------------------------------
# Reading


def _dwarfinfo(sections: Mapping[str, bytes]):
    """pyelftools' reader over the sections' bytes (no ELF container needed)."""
    from elftools.dwarf.dwarfinfo import DebugSectionDescriptor, DWARFInfo, DwarfConfig

    def desc(name: str):
        data = sections.get(name)
        if data is None:
            return None
        return DebugSectionDescriptor(io.BytesIO(data), name, None, len(data), 0)

    read = {f"debug_{name}_sec": desc(f".debug_{name}") for name in (
        "info", "abbrev", "str", "loc", "ranges", "line", "addr", "str_offsets", "line_str", "loclists",
        "rnglists")}
    return DWARFInfo(config=DwarfConfig(little_endian=True, machine_arch="wasm", default_address_size=4),
                     debug_aranges_sec=None, debug_frame_sec=None, eh_frame_sec=None, debug_pubtypes_sec=None,
                     debug_pubnames_sec=None, debug_sup_sec=None, gnu_debugaltlink_sec=None,
                     debug_types_sec=None, **read)


@dataclass(slots=True)
class _Patches:
    """Fixed-size values to write over a copy of a section."""

    data: bytes
    values: dict[int, tuple[int, int]] = field(default_factory=dict)   # offset → (size, value)

    def put(self, offset: int, size: int, value: int) -> None:
        if not 0 <= value < 1 << (8 * size):
            raise DebugFormatError(f"a remapped value 0x{value:x} does not fit its {size}-byte field")
        self.values[offset] = (size, value)

    def result(self) -> bytes:
        out = bytearray(self.data)
        for offset, (size, value) in self.values.items():
            out[offset:offset + size] = value.to_bytes(size, "little")
        return bytes(out)


@dataclass(slots=True)
class _Input:
    """What the rewrite needs of the input's DWARF, independent of the instrumentation: read once per
    input (:func:`_parsed`), since pyelftools' walk of every DIE and line program is most of the cost."""

    refs: _References = field(default_factory=lambda: _References())
    addresses: list[tuple[int, int, int]] = field(default_factory=list)           # info offset, size, value
    code_entries: set[int] = field(default_factory=set)       # .debug_addr offsets of code addresses
    returns: list[tuple[int, int, int]] = field(default_factory=list)             # call sites' return pcs
    return_entries: set[int] = field(default_factory=set)     # .debug_addr offsets of return pcs
    lengths: list[tuple[int, int, int, int, int]] = field(default_factory=list)   # …, size, start, length, asize
    lines: dict[int, LineUnit] = field(default_factory=dict)


#: The last input read, by the identity of its sections' bytes (the shell rebuilds one input many times).
_LAST: list[tuple[dict[str, bytes], _Input]] = []


def _parsed(sections: Mapping[str, bytes], kept: Mapping[str, bytes]) -> _Input:
    every = {**kept, **sections}
    if _LAST:
        seen, parsed = _LAST[0]
        if seen.keys() == every.keys() and all(seen[n] is d for n, d in every.items()):
            return parsed
    parsed = _parse(every)
    _LAST[:] = [(every, parsed)]
    return parsed


def _parse(sections: Mapping[str, bytes]) -> _Input:
    """Walk every unit of .debug_info and its line program."""
    if ".debug_info" not in sections:
        raise DebugFormatError(".debug_info is missing")
    di = _dwarfinfo(sections)
    parsed = _Input()
    for cu in di.iter_CUs():
        version = cu["version"]
        if version < 2 or version > 5:
            raise DebugFormatError(f"DWARF version {version}")
        if cu.structs.dwarf_format != 32:
            raise DebugFormatError("64-bit DWARF")
        top = cu.get_top_DIE()
        dwo = top.attributes.get("DW_AT_dwo_name") or top.attributes.get("DW_AT_GNU_dwo_name")
        if dwo is not None or top.tag == "DW_TAG_skeleton_unit":
            # the unit's DIEs are in another file, whose code addresses (indexes into .debug_addr, beside
            # data addresses) this module does not say: remapping the skeleton alone would leave them stale
            name = _text_value(dwo.value) if dwo is not None else "?"
            raise DebugFormatError(f"split DWARF (-gsplit-dwarf): the code addresses of {name} are not in this "
                                   "module")
        addr_base = top.attributes.get("DW_AT_addr_base")
        unit = CompileUnit(version, cu["address_size"], 0, addr_base.value if addr_base is not None else None)
        low = top.attributes.get("DW_AT_low_pc")
        if low is not None:
            unit.base = _address_value(low)
        for die in cu.iter_DIEs():
            for a in die.attributes.values():
                _attribute(parsed, unit, die, a)
        stmt_list = top.attributes.get("DW_AT_stmt_list")
        if stmt_list is not None and stmt_list.value not in parsed.lines and ".debug_line" in sections:
            parsed.lines[stmt_list.value] = read_line_unit(di.line_program_for_CU(cu), sections[".debug_line"],
                                                       stmt_list.value, unit.address_size)
    return parsed


def _text_value(value: bytes | str) -> str:
    return value.decode("utf-8", "replace") if isinstance(value, bytes) else str(value)


def _address_value(attr) -> int:
    """An address attribute's value (pyelftools resolves ``addrx`` through .debug_addr)."""
    if attr.form == "DW_FORM_addr" or attr.form.startswith("DW_FORM_addrx"):
        return attr.value
    raise DebugFormatError(f"{attr.name} in form {attr.form}")


def _attribute(parsed: _Input, unit: CompileUnit, die, a) -> None:
    form, name = a.form, a.name
    refs = parsed.refs
    if a.indirection_length:
        raise DebugFormatError("DW_FORM_indirect")
    returns = name == "DW_AT_call_return_pc" or (name == "DW_AT_low_pc" and die.tag == "DW_TAG_GNU_call_site")
    if form == "DW_FORM_addr":
        (parsed.returns if returns else parsed.addresses).append((a.offset, unit.address_size, a.value))
    elif form.startswith("DW_FORM_addrx"):       # a code address in .debug_addr (data ones are DW_OP_addrx)
        if unit.addr_base is None:
            raise DebugFormatError(f"{name} in form {form} without DW_AT_addr_base")
        entry = unit.addr_base + a.raw_value * unit.address_size
        (parsed.return_entries if returns else parsed.code_entries).add(entry)
    elif name == "DW_AT_high_pc":
        if form not in _DATA_SIZES:
            raise DebugFormatError(f"DW_AT_high_pc in form {form}")
        low = die.attributes.get("DW_AT_low_pc")
        if low is None:
            raise DebugFormatError(f"DW_AT_high_pc without DW_AT_low_pc at 0x{die.offset:x}")
        parsed.lengths.append((a.offset, _DATA_SIZES[form], _address_value(low), a.value, unit.address_size))
    elif name == "DW_AT_stmt_list":
        refs.stmt_lists[a.offset] = (_offset_size(form), a.value)
    elif name == "DW_AT_ranges" or name in _LOCATION_ATTRS:
        _list_reference(unit, a, refs, name == "DW_AT_ranges")
    elif name in ("DW_AT_rnglists_base", "DW_AT_loclists_base"):
        table = refs.rnglists if name == "DW_AT_rnglists_base" else refs.loclists
        table.offsets[a.offset] = (_offset_size(form), a.value)
        table.bases.setdefault(a.value, unit)


def _list_reference(unit: CompileUnit, a, refs: _References, ranges: bool) -> None:
    """A ``DW_AT_ranges`` or location attribute: a list's offset is recorded (DWARF 2–4 lists are
    patched in place; a DWARF 5 section offset is rewritten with its list); an index into a
    rewritten offset table, an expression or a constant needs nothing."""
    form = a.form
    if form == "DW_FORM_sec_offset" or (unit.version < 4 and form in ("DW_FORM_data4", "DW_FORM_data8")):
        if unit.version >= 5:
            table = refs.rnglists if ranges else refs.loclists
            table.offsets[a.offset] = (_offset_size(form), a.value)
            table.lists.setdefault(a.value, unit)
        else:
            (refs.ranges if ranges else refs.locs).setdefault(a.value, unit)
    elif form not in ("DW_FORM_rnglistx", "DW_FORM_loclistx", "DW_FORM_exprloc", "DW_FORM_udata",
                      "DW_FORM_sdata", "DW_FORM_implicit_const") and not form.startswith(
                          ("DW_FORM_block", "DW_FORM_data")):
        raise DebugFormatError(f"{a.name} in form {form}")


def _offset_size(form: str) -> int:
    if form not in _DATA_SIZES:
        raise DebugFormatError(f"a section offset in form {form}")
    return _DATA_SIZES[form]


class _Rewriter:
    """One rewrite of the interdependent sections for one address map (module doc)."""

    def __init__(self, sections: Mapping[str, bytes], parsed: _Input, amap: AddressMap) -> None:
        self.sections = sections
        self.parsed = parsed
        self.amap = amap
        self.info = _Patches(sections[".debug_info"])
        self.code_entries = set(parsed.code_entries)    # lists add theirs

    def addr(self, value: int, size: int) -> int:
        return value if is_tombstone(value, size) else self.amap.address(value)

    def return_address(self, value: int, size: int) -> int:
        """A call site's return pc: where the call returns in the output (``AddressMap.return_address``)."""
        return value if is_tombstone(value, size) else self.amap.return_address(value)

    def length(self, start: int, length: int, size: int) -> int:
        """A range's new length (an end is an address like any other)."""
        if is_tombstone(start, size):
            return length
        return self.amap.address(start + length) - self.amap.address(start)

    def run(self) -> dict[str, bytes]:
        parsed = self.parsed
        refs = parsed.refs
        for offset, size, value in parsed.addresses:
            self.info.put(offset, size, self.addr(value, size))
        for offset, size, value in parsed.returns:
            self.info.put(offset, size, self.return_address(value, size))
        for offset, size, start, length, address_size in parsed.lengths:
            self.info.put(offset, size, self.length(start, length, address_size))
        out: dict[str, bytes] = {}
        if ".debug_line" in self.sections:
            data, moved = rewrite_lines(self.sections[".debug_line"], parsed.lines, self.amap)
            out[".debug_line"] = data
            for offset, (size, old) in refs.stmt_lists.items():
                if old not in moved:
                    raise DebugFormatError(f".debug_line: no unit at offset 0x{old:x}")
                self.info.put(offset, size, moved[old])
        if ".debug_ranges" in self.sections:
            out[".debug_ranges"] = self._pairs(".debug_ranges", refs.ranges, with_expression=False)
        if ".debug_loc" in self.sections:
            out[".debug_loc"] = self._pairs(".debug_loc", refs.locs, with_expression=True)
        for name, table in ((".debug_rnglists", refs.rnglists), (".debug_loclists", refs.loclists)):
            if name in self.sections:
                data, moved = rewrite_lists(self.sections[name], table, self, name == ".debug_loclists")
                out[name] = data
                for offset, (size, old) in table.offsets.items():
                    if old not in moved:
                        raise DebugFormatError(f"{name}: no list or table at offset 0x{old:x}")
                    self.info.put(offset, size, moved[old])
        if ".debug_addr" in self.sections:        # after the lists: they name code entries too
            out[".debug_addr"] = self._debug_addr(self.sections[".debug_addr"])
        elif self.code_entries or self.parsed.return_entries:
            raise DebugFormatError("indexed addresses without .debug_addr")
        out[".debug_info"] = self.info.result()
        return out

    # -- in-place sections

    def _debug_addr(self, data: bytes) -> bytes:
        """DWARF 5 address tables: header, then addresses, each contribution in turn.  Only the entries
        an attribute or a list uses as a code address are remapped (a call site's return pc as one,
        unless the entry also serves as another code address): a location expression's
        ``DW_OP_addrx`` names a variable's address in linear memory, which does not move."""
        patches = _Patches(data)
        found = 0
        pos = 0
        while pos < len(data):
            end, size = contribution_header(data, pos, ".debug_addr")
            for at in range(pos + 8, end, size):
                if at in self.code_entries:
                    patches.put(at, size, self.addr(read_fixed(data, at, size), size))
                    found += 1
                elif at in self.parsed.return_entries:
                    patches.put(at, size, self.return_address(read_fixed(data, at, size), size))
                    found += 1
            pos = end
        if found != len(self.code_entries | self.parsed.return_entries):
            raise DebugFormatError(".debug_addr: an index past its address table")
        return patches.result()

    def _pairs(self, name: str, lists: Mapping[int, CompileUnit], with_expression: bool) -> bytes:
        """DWARF 2–4 range and location lists: (begin, end) pairs relative to a base address, a
        base-selection entry (begin all ones), (0, 0) ending the list; location entries then carry a
        2-byte-counted expression.  Every list a unit references is patched."""
        data = self.sections[name]
        patches = _Patches(data)
        for offset, unit in lists.items():
            size = unit.address_size
            ones = (1 << (8 * size)) - 1
            base = unit.base
            new_base = self.addr(base, size)
            pos = offset
            while True:
                begin, end = read_fixed(data, pos, size), read_fixed(data, pos + size, size)
                if begin == 0 and end == 0:
                    break
                if begin == ones:
                    base, new_base = end, self.addr(end, size)
                    patches.put(pos + size, size, new_base)
                    pos += 2 * size
                    continue
                if not is_tombstone(begin, size) and not is_tombstone(base, size):
                    patches.put(pos, size, self.addr(base + begin, size) - new_base)
                    patches.put(pos + size, size, self.addr(base + end, size) - new_base)
                pos += 2 * size
                if with_expression:
                    pos += 2 + read_fixed(data, pos, 2)
        return patches.result()


@dataclass(slots=True)
class _References:
    """What .debug_info points at, gathered in one walk."""

    stmt_lists: dict[int, tuple[int, int]] = field(default_factory=dict)   # info offset → (size, old)
    ranges: dict[int, CompileUnit] = field(default_factory=dict)
    locs: dict[int, CompileUnit] = field(default_factory=dict)
    rnglists: ListTable = field(default_factory=ListTable)
    loclists: ListTable = field(default_factory=ListTable)
