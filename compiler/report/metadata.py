"""The ``whamm.report`` custom section (REWRITING.md §17): every report row of an instrumented module —
where its value lives, its name, type, kind, site and probe — so that tools read report values out of a
running or finished instance.  :func:`encode` writes it, :func:`decode` reads it back row for row:
``decode(encode(rows, …), names).rows == rows`` for every list of :class:`~compiler.report.rows.ReportVar`.

Note (differs from REWRITING.md §17): the section is not UTF-8 JSON (version 1) but the binary table
below (version 2).  A branch monitor on sqlite (1.1 MB) has 55,000 report rows; as JSON they took
9.7 MB (≈175 bytes a row, 8.5× the input module), as this table 119 KB (≈2.2 bytes a row).  The rows of a
probe at many sites differ only in their function, pc and memory offset, so the table stores what the
rows share once (strings, "shapes") and per row only what changes, as differences from the row before.
The instrumentation memory is still exported as ``whamm:memory`` and a ``str`` or tuple report global
still through its ``whamm:global:<name>.<k>`` exports, as §17 asks (the table holds the globals'
indices, :attr:`GlobalLocation.globals`, where the JSON listed those export names).

Format (``leb`` = unsigned LEB128, ``sleb`` = signed LEB128, ``str`` = a ``leb`` index into the string
table, ``opt`` = ``0`` for none or a string index + 1)::

    section   = 0x02                                 the version (a JSON section starts with "{")
                strings: leb count, count × (leb byte length, UTF-8 bytes)
                memory_export: opt                   the instrumentation memory's export
                func_imports: leb, func_shift: leb   output index of input function fid: fid + func_shift
                                                     when fid >= func_imports, else fid
                shapes: leb count, count × shape
                functions: leb count, count × function
                rows: leb count, count × row
    shape     = name: str, kind: leb (site, shared, frame, global, map), whamm_type: str (display
                form, read back with parse_type), probe_id: opt,
                flags: leb (bit 0: the rows have a pc; bits 1–2: location kind memory / map / global;
                bit 3: memory rows whose value is in another slot, MemoryLocation.value_offset)
    function  = fid: leb (0 = none, else fid + 1),
                fname: leb (0 = the output name section's name of fid, "" if it has none — so a
                function's name is not repeated here; 1 = none; k + 2 = string k)
    row       = head: leb (shape × 4 + same_site × 2 + predicted)
                unless same_site: function: sleb (function index − the previous row's)
                                  pc: sleb (pc − the last pc written), only when the shape has a pc
                location: memory: unless predicted: sleb (offset − predicted offset)
                                  if flags bit 3: sleb (value offset − the last value offset written)
                          map:    map_id: leb
                          global: leb count, count × global index: leb, export: opt

``same_site``: the row's function and pc are the previous row's (never on the first row).  The
predicted memory offset is the last memory row's offset plus the difference between the last two
(both start at 0), so the regular strides of per-site counters cost nothing; ``predicted`` is set only
on memory rows whose offset is the predicted one.  The last value offset starts at 0; the coalesced
sites of one run share a value slot (docs/COALESCING.md), so their rows repeat it (a 0 byte).  The
whole section is read: trailing bytes, an index out of range or a truncated field is an error.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Mapping, Sequence

from compiler.errors import InternalError, WhammError
from compiler.lang.types import parse_type
from compiler.report.rows import GlobalLocation, MapLocation, MemoryLocation, ReportVar, type_text
from compiler.wasm.binary import read_s64, read_u64, sleb, uleb
from compiler.wasm.errors import DecodeError

__all__ = ["SECTION", "VERSION", "ReportMetadata", "MetadataError", "encode", "decode", "read_metadata"]

#: The custom section's name (REWRITING.md §17).
SECTION = "whamm.report"
VERSION = 2
KINDS = ("site", "shared", "frame", "global", "map")
_MEMORY, _MAP, _GLOBAL = 0, 1, 2


class MetadataError(WhammError):
    """A ``whamm.report`` section that is not a version-2 table (truncated, out of range, another version)."""


@dataclass(frozen=True, slots=True)
class ReportMetadata:
    """What the section says: the instrumentation memory's export name and every report row, in order."""

    memory_export: str | None
    rows: list[ReportVar]


# ------------------------------------------------------------------------------------------------
# encoding

def _leb(out: bytearray, value: int) -> None:
    if value < 0:
        raise InternalError(f"internal: whamm.report: negative value {value} in an unsigned field")
    out += uleb(value)


def _sleb(out: bytearray, value: int) -> None:
    out += sleb(value)


def encode(rows: Sequence[ReportVar], memory_export: str | None, function_names: Mapping[int, str],
           func_imports: int, func_shift: int) -> bytes:
    """The section describing ``rows`` (in their order).  ``function_names`` is the output module's
    name section (output index → name): a row's ``fname`` that is its function's name there is not
    written again."""
    strings: dict[str, int] = {}

    def string(text: str) -> int:
        k = strings.get(text)
        if k is None:
            k = strings[text] = len(strings)
        return k

    def opt(text: str | None) -> int:
        return 0 if text is None else string(text) + 1

    shapes: dict[tuple, int] = {}
    shape_bytes = bytearray()
    functions: dict[tuple, int] = {}
    function_bytes = bytearray()
    body = bytearray()
    put = body.append                   # the loop below runs once per row: small values inline
    last_function, last_pc, last_site = 0, 0, None
    last_fid = last_fname = last_function_key = -1      # no row has these
    last_offset, stride, last_value = 0, 0, 0
    for v in rows:
        name, kind, whamm_type, probe_id, fid, fname, pc, loc = v
        where = _MEMORY if type(loc) is MemoryLocation else _MAP if type(loc) is MapLocation else _GLOBAL
        moved = where == _MEMORY and loc[1] is not None
        # id(): a type's hash is slow (Enum.__hash__), and equal types in two shapes still decode equal
        shape_key = (name, kind, id(whamm_type), probe_id, pc is None, where, moved)
        shape = shapes.get(shape_key)
        if shape is None:
            shape = shapes[shape_key] = len(shapes)
            if kind not in KINDS:
                raise InternalError(f"internal: whamm.report: unknown row kind {kind!r}")
            _leb(shape_bytes, string(name))
            _leb(shape_bytes, KINDS.index(kind))
            _leb(shape_bytes, string(type_text(whamm_type)))
            _leb(shape_bytes, opt(probe_id))
            _leb(shape_bytes, (pc is not None) | where << 1 | moved << 3)
        if fid == last_fid and fname == last_fname:
            function = last_function_key
        else:
            last_fid, last_fname = fid, fname
            function = functions.get((fid, fname))
        if function is None:
            function = functions[(fid, fname)] = len(functions)
            _leb(function_bytes, 0 if fid is None else fid + 1)
            if fname is None:
                _leb(function_bytes, 1)
            elif fid is not None and function_names.get(fid + func_shift if fid >= func_imports else fid,
                                                        "") == fname:
                function_bytes.append(0)
            else:
                _leb(function_bytes, string(fname) + 2)
        last_function_key = function
        site = (function, pc)
        same_site = site == last_site
        last_site = site
        if where == _MEMORY:
            offset = loc[0]
            delta = offset - last_offset - stride
            stride, last_offset = offset - last_offset, offset
            head = shape << 2 | same_site << 1 | (delta == 0)
        else:
            head = shape << 2 | same_site << 1
        if head < 0x80:
            put(head)
        else:
            _leb(body, head)
        if not same_site:
            step = function - last_function
            if -0x40 <= step < 0x40:
                put(step & 0x7F)
            else:
                _sleb(body, step)
            last_function = function
            if pc is not None:
                step = pc - last_pc
                if -0x40 <= step < 0x40:
                    put(step & 0x7F)
                else:
                    _sleb(body, step)
                last_pc = pc
        if where == _MEMORY:
            if delta:
                _sleb(body, delta)
            if moved:
                _sleb(body, loc[1] - last_value)
                last_value = loc[1]
        elif where == _MAP:
            _leb(body, loc[0])
        else:
            _leb(body, len(loc.globals))
            for g in loc.globals:
                _leb(body, g)
            _leb(body, opt(loc.export))
    out = bytearray([VERSION])
    memory = opt(memory_export)         # the string table is complete only after every row
    _leb(out, len(strings))
    for text in strings:
        raw = text.encode()
        _leb(out, len(raw))
        out += raw
    _leb(out, memory)
    _leb(out, func_imports)
    _leb(out, func_shift)
    _leb(out, len(shapes))
    out += shape_bytes
    _leb(out, len(functions))
    out += function_bytes
    _leb(out, len(rows))
    out += body
    return bytes(out)


# ------------------------------------------------------------------------------------------------
# decoding

class _Reader:
    __slots__ = ("data", "pos")

    def __init__(self, data: bytes) -> None:
        self.data = data
        self.pos = 0

    def fail(self, what: str) -> MetadataError:
        return MetadataError(f"whamm.report section, byte {self.pos}: {what}")

    def leb(self) -> int:
        return self._number(read_u64)

    def sleb(self) -> int:
        return self._number(read_s64)

    def _number(self, read) -> int:
        """One LEB128 field with the codec's reader; its errors located in this section."""
        try:
            value, self.pos = read(self.data, self.pos)
        except DecodeError as exc:
            raise self.fail("truncated" if exc.message == "unexpected end of data" else exc.message) from None
        return value

    def index(self, count: int, what: str) -> int:
        k = self.leb()
        if k >= count:
            raise self.fail(f"{what} {k} out of range ({count})")
        return k

    def text(self) -> str:
        size = self.leb()
        end = self.pos + size
        if end > len(self.data):
            raise self.fail("truncated string")
        try:
            text = self.data[self.pos:end].decode()
        except UnicodeDecodeError:
            raise self.fail("a string is not UTF-8") from None
        self.pos = end
        return text


def decode(data: bytes, function_names: Mapping[int, str]) -> ReportMetadata:
    """The rows of a section :func:`encode` wrote; ``function_names`` is the output module's name
    section (output index → name), where the rows' function names are read.  Raises
    :class:`MetadataError` on anything else."""
    r = _Reader(data)
    if not data or data[0] != VERSION:
        what = "JSON (version 1)" if data[:1] == b"{" else f"version {data[0]}" if data else "empty"
        raise MetadataError(f"whamm.report section: {what}, expected the version-{VERSION} table")
    r.pos = 1
    strings = [r.text() for _ in range(r.leb())]

    def opt() -> str | None:
        k = r.index(len(strings) + 1, "string")
        return None if k == 0 else strings[k - 1]

    memory_export = opt()
    func_imports, func_shift = r.leb(), r.leb()
    shapes = []
    for _ in range(r.leb()):
        name = strings[r.index(len(strings), "string")]
        kind = KINDS[r.index(len(KINDS), "kind")]
        type_name = strings[r.index(len(strings), "string")]
        try:
            whamm_type = parse_type(type_name)
        except ValueError:
            raise r.fail(f"bad type {type_name!r}") from None
        probe_id = opt()
        flags = r.index(14, "shape flags")
        if flags & 8 and flags & 6:
            raise r.fail("a value offset on rows not in memory")
        shapes.append((name, kind, whamm_type, probe_id, flags & 1, flags >> 1 & 3, flags & 8))
    functions = []
    for _ in range(r.leb()):
        code = r.leb()
        fid = None if code == 0 else code - 1
        code = r.index(len(strings) + 2, "function name")
        if code == 0:
            if fid is None:
                raise r.fail("a name-section name without a function")
            fname: str | None = function_names.get(fid + func_shift if fid >= func_imports else fid, "")
        else:
            fname = None if code == 1 else strings[code - 2]
        functions.append((fid, fname))
    rows: list[ReportVar] = []
    last_function, last_pc = 0, 0
    last_offset, stride, last_value = 0, 0, 0
    fid = fname = pc = None
    for n in range(r.leb()):
        head = r.leb()
        if head >> 2 >= len(shapes):
            raise r.fail(f"shape {head >> 2} out of range ({len(shapes)})")
        name, kind, whamm_type, probe_id, has_pc, where, moved = shapes[head >> 2]
        if head & 2:
            if n == 0 or (pc is not None) != has_pc:
                raise r.fail("a row at the previous row's site, which has none or another pc")
        else:
            last_function += r.sleb()
            if not 0 <= last_function < len(functions):
                raise r.fail(f"function {last_function} out of range ({len(functions)})")
            fid, fname = functions[last_function]
            pc = None
            if has_pc:
                last_pc += r.sleb()
                pc = last_pc
        if where == _MEMORY:
            offset = last_offset + stride
            if not head & 1:
                offset += r.sleb()
            stride, last_offset = offset - last_offset, offset
            if moved:
                last_value += r.sleb()
                loc: object = MemoryLocation(offset, last_value)
            else:
                loc = MemoryLocation(offset)
        elif head & 1:
            raise r.fail("a predicted location on a row not in memory")
        elif where == _MAP:
            loc = MapLocation(r.leb())
        else:
            globals_ = tuple(r.leb() for _ in range(r.leb()))
            loc = GlobalLocation(globals_, opt())
        rows.append(ReportVar(name, kind, whamm_type, probe_id, fid, fname, pc, loc))  # type: ignore[arg-type]
    if r.pos != len(data):
        raise r.fail("trailing bytes")
    return ReportMetadata(memory_export, rows)


def read_metadata(module) -> ReportMetadata | None:
    """The ``whamm.report`` section of ``module`` (a :class:`~compiler.wasm.model.Module`), decoded with
    its name section; None when it has none."""
    sections = [c for c in module.customs if c.name == SECTION]
    if not sections:
        return None
    if len(sections) > 1:
        raise MetadataError(f"the module has {len(sections)} whamm.report sections")
    names = module.names.functions if module.names is not None else {}
    return decode(sections[0].data, names)
