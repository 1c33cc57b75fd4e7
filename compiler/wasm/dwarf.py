"""Reading a module's DWARF (ANALYSIS.md §5): line rows, compilation directories, subprogram ranges.

clang and rustc put DWARF 4 or 5 in ``.debug_*`` custom sections of a Wasm module; the field's library,
pyelftools, decodes it from the section bytes (no ELF container needed).  In Wasm, a DWARF code address
is an offset from the start of the code section's *payload* (after its id and size, so the function
count's LEB128 comes first), and :func:`code_bodies` gives where each body starts on that scale, so an
address becomes (function index, ``pc``) with ``pc`` = address − body start (EVENTS.md §2.1: pcs count
from the body's first byte, the locals declaration included).

This module only *reads*: :class:`DebugInfo` keeps the rows in table order, sequence by sequence, with
the addresses as recorded, so the output's DWARF rewriting (another concern) can reuse it; what the rows
mean per instruction (``src_file``/``src_line``/``src_col``, statement starts) is
:mod:`compiler.wasm.source_lines`.  Malformed DWARF is a :class:`~compiler.wasm.errors.DecodeError`
naming the section, never a traceback.
"""
from __future__ import annotations

import io
import posixpath
from dataclasses import dataclass

from compiler.wasm.binary import read_u32
from compiler.wasm.errors import DecodeError
from compiler.wasm.model import Module

__all__ = ["LineRow", "Subprogram", "DebugInfo", "read_dwarf", "code_bodies", "has_dwarf"]

#: The sections pyelftools reads, by their Wasm custom section names.
_SECTIONS = ("info", "abbrev", "str", "line", "line_str", "ranges", "rnglists", "addr", "str_offsets",
             "aranges", "loc", "loclists")


@dataclass(frozen=True, slots=True)
class LineRow:
    """One row of a line table: ``address`` relative to the code section payload, the file joined to its
    compilation directory (``""`` when the row names no file), line and column (0 = unknown), the
    ``is_stmt`` flag and whether the row ends its sequence (its address is then one past the last byte)."""

    address: int
    file: str
    line: int
    col: int
    is_stmt: bool
    end_sequence: bool


@dataclass(frozen=True, slots=True)
class Subprogram:
    """A ``DW_TAG_subprogram`` with code: its name (``""`` if none), ``[low, high)`` relative to the code
    section payload as recorded (a linker's tombstone for discarded code included), declaring file and
    line (``""``/0 if not recorded)."""

    name: str
    low: int
    high: int
    file: str
    line: int


@dataclass(frozen=True, slots=True)
class DebugInfo:
    """What the module's DWARF says about code: ``sequences`` of line rows in table order (each ends with
    its ``end_sequence`` row), every unit's ``comp_dirs`` in unit order, and ``subprograms``."""

    sequences: tuple[tuple[LineRow, ...], ...]
    comp_dirs: tuple[str, ...]
    subprograms: tuple[Subprogram, ...]


def has_dwarf(module: Module) -> bool:
    """Whether the module carries DWARF line information (``.debug_line`` and ``.debug_info``)."""
    names = {c.name for c in module.customs}
    return ".debug_line" in names and ".debug_info" in names


def code_bodies(module: Module) -> list[tuple[int, int]]:
    """``(start, end)`` of each defined function's body (after its size LEB128), relative to the code
    section payload — the scale of Wasm DWARF addresses.  Read from the bytes the module came from: the
    model keeps no positions (and a module built in memory has no DWARF to map)."""
    origin = module.origin
    if origin is None or 10 not in origin.sections:
        return []
    data = origin.data
    section_start, section_end, _ = origin.sections[10]
    _, payload = read_u32(data, section_start + 1)           # skip the id, then the section size
    count, pos = read_u32(data, payload)
    out = []
    for _ in range(count):
        size, pos = read_u32(data, pos)
        out.append((pos - payload, pos - payload + size))
        pos += size
    if pos != section_end:
        raise DecodeError("code section bodies do not fill the section", pos, "code")
    return out


def read_dwarf(module: Module) -> DebugInfo | None:
    """The module's DWARF line tables, compilation directories and subprograms; None without
    ``.debug_line``/``.debug_info``.  Raises :class:`DecodeError` for DWARF pyelftools cannot read."""
    if not has_dwarf(module):
        return None
    section = ".debug_info"
    from elftools.common.exceptions import DWARFError, ELFError
    from elftools.construct import ConstructError
    try:
        info = _dwarf_info(module)
        sequences: list[tuple[LineRow, ...]] = []
        comp_dirs: list[str] = []
        subprograms: list[Subprogram] = []
        for cu in info.iter_CUs():
            top = cu.get_top_DIE()
            comp_dir = _text(top.attributes.get("DW_AT_comp_dir"))
            comp_dirs.append(comp_dir)
            section = ".debug_line"
            program = info.line_program_for_CU(cu)
            files = _file_names(program, comp_dir) if program is not None else {}
            if program is not None:
                sequences.extend(_sequences(program, files))
            section = ".debug_info"
            subprograms.extend(_subprograms(top, files))
    except (ELFError, DWARFError, ConstructError, ValueError, IndexError, KeyError, AttributeError, TypeError,
            UnicodeDecodeError, AssertionError) as err:
        raise DecodeError(f"unreadable DWARF ({type(err).__name__}: {err})", _section_offset(module, section),
                          f"custom {section}") from None
    return DebugInfo(tuple(sequences), tuple(comp_dirs), tuple(subprograms))


def _section_offset(module: Module, name: str) -> int:
    """Where custom section ``name`` starts in the file the module was read from (0 if unknown)."""
    for custom, start, _ in module.origin.customs if module.origin is not None else ():
        if custom.name == name:
            return start
    return 0


def _dwarf_info(module: Module):
    """A pyelftools ``DWARFInfo`` over the module's ``.debug_*`` custom sections (Wasm32: 4-byte
    addresses, little-endian)."""
    from elftools.dwarf.dwarfinfo import DebugSectionDescriptor, DwarfConfig, DWARFInfo
    customs = {c.name: c.data for c in module.customs}

    def descriptor(name: str):
        data = customs.get(".debug_" + name)
        if data is None:
            return None
        return DebugSectionDescriptor(io.BytesIO(data), ".debug_" + name, None, len(data), 0)

    sections = {f"debug_{n}_sec": descriptor(n) for n in _SECTIONS}
    return DWARFInfo(config=DwarfConfig(little_endian=True, machine_arch="wasm", default_address_size=4),
                     debug_frame_sec=None, eh_frame_sec=None, debug_pubtypes_sec=None,
                     debug_pubnames_sec=None, debug_sup_sec=None, gnu_debugaltlink_sec=None,
                     debug_types_sec=None, **sections)


def _text(attr) -> str:
    """A string attribute's value as text (pyelftools gives bytes), ``""`` when absent."""
    if attr is None:
        return ""
    value = attr.value
    return value.decode("utf-8", "replace") if isinstance(value, bytes) else str(value)


def _join(*parts: str) -> str:
    """Path parts joined as DWARF means them (a later absolute part restarts), normalised."""
    out = ""
    for part in parts:
        if part:
            out = posixpath.join(out, part)
    return posixpath.normpath(out) if out else ""


def _file_names(program, comp_dir: str) -> dict[int, str]:
    """File index → path joined to its directory and the unit's compilation directory.  DWARF 5 numbers
    files and directories from 0 (directory 0 is the compilation directory); DWARF 4 from 1, with
    directory 0 meaning the compilation directory."""
    header = program.header
    v5 = header["version"] >= 5
    dirs = [_text_value(d) for d in header["include_directory"]]
    out = {}
    for k, entry in enumerate(header["file_entry"]):
        name = _text_value(entry.name)
        d = entry.dir_index
        if v5:
            directory = dirs[d] if d < len(dirs) else ""
        else:
            directory = dirs[d - 1] if 0 < d <= len(dirs) else ""
        out[k if v5 else k + 1] = _join(comp_dir, directory, name)
    return out


def _text_value(value) -> str:
    return value.decode("utf-8", "replace") if isinstance(value, bytes) else str(value)


def _sequences(program, files: dict[int, str]) -> list[tuple[LineRow, ...]]:
    """The line program's rows, cut into sequences at each ``end_sequence``."""
    out: list[tuple[LineRow, ...]] = []
    current: list[LineRow] = []
    for entry in program.get_entries():
        state = entry.state
        if state is None:
            continue
        current.append(LineRow(state.address, files.get(state.file, ""), state.line, state.column,
                               bool(state.is_stmt), bool(state.end_sequence)))
        if state.end_sequence:
            out.append(tuple(current))
            current = []
    return out


#: How far a subprogram's name is looked for along DW_AT_abstract_origin / DW_AT_specification links.
_MAX_ORIGIN_HOPS = 4


def _subprograms(top, files: dict[int, str]) -> list[Subprogram]:
    """Every subprogram DIE with a ``low_pc`` (declarations and inlined-only abstract ones have none)."""
    out = []
    for die in _walk(top):
        if die.tag != "DW_TAG_subprogram":
            continue
        attrs = die.attributes
        low = attrs.get("DW_AT_low_pc")
        high = attrs.get("DW_AT_high_pc")
        if low is None or high is None:
            continue
        hi = high.value
        if high.form != "DW_FORM_addr":               # DWARF 4+: a length from low_pc
            hi = low.value + hi
        origin = die           # an out-of-line instance names its origin (a few hops: a cycle is not a hang)
        for _ in range(_MAX_ORIGIN_HOPS):
            link = next((a for a in ("DW_AT_abstract_origin", "DW_AT_specification") if a in origin.attributes),
                        None)
            if link is None or "DW_AT_name" in origin.attributes:
                break
            origin = origin.get_DIE_from_attribute(link)
        named = origin.attributes
        name = _text(attrs.get("DW_AT_name") or named.get("DW_AT_name"))
        decl_file = attrs.get("DW_AT_decl_file") or named.get("DW_AT_decl_file")
        decl_line = attrs.get("DW_AT_decl_line") or named.get("DW_AT_decl_line")
        out.append(Subprogram(name, low.value, hi, files.get(decl_file.value, "") if decl_file else "",
                              decl_line.value if decl_line else 0))
    return out


def _walk(die):
    """The DIE and all its descendants, depth first."""
    stack = [die]
    while stack:
        d = stack.pop()
        yield d
        stack.extend(reversed(list(d.iter_children())))
