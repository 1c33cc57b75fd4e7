"""One row per bound variable and per event-bound function: what it is and where the code that makes it lives.

The event catalog (:mod:`compiler.events.catalog`) says *which* events bind a name; a row here says
everything else a reader needs about the name, in one place:

* ``type`` and ``doc`` — what ``whamm info -v`` prints (EVENTS.md §8.6, the text verbatim);
* ``static`` — folded at compile time (True), read at run time (False), or depending on the event (None,
  only ``resolved_fid``; the catalog's per-event :class:`~compiler.events.catalog.BoundVar` says which);
* ``binder`` — for a static value: the code that computes it at a site, as ``module.function`` under
  ``compiler.sites`` (``bindings.offset`` is :func:`compiler.sites.bindings.offset`).  None for the
  per-event constants (§7.1), whose value is the catalog's own;
* ``lowering`` — for a dynamic value: the ``SiteEnv`` method (``rewrite/site_env.py``) that pushes it
  in the rewriting target (``bound`` dispatches to it by this name);
* ``engine`` — for a dynamic value: the :mod:`compiler.wei.emulator` function that supplies it to a
  monitor at a site (its ``_values`` dispatches to it by this name); None when the monitor asks for the
  value's inputs instead (``monitor``);
* ``requestable`` — the name is a ``param`` of the engine interface's export names (WEI.md §4): the
  engine can pass it to a monitor (``compiler.wei.names.FIXED_PARAMS`` is these rows, the families
  ``argN``/``immN``/``localN`` aside);
* ``monitor`` and ``monitor_inputs`` — for a value a monitor computes from others (WEI.md §4 "derived
  values"): the :class:`compiler.wei.codegen.MonitorEnv` method computing it (``bound`` dispatches to it
  by this name) and the values it requests instead of the variable (``compiler.wei.params.requested``;
  ``addr`` stands for the event's address operand ``argK``).  Other dynamic variables are requested as
  themselves or, for an alias, as its source;
* ``shadow`` — the rewriting target reads the value from the site's table shadow (REWRITING.md §15), so
  the layout reserves one for the table (``compiler.backend.uses``);
* ``reads`` — which operand or result of the instruction the dynamic value is computed from, so the site
  saves it (REWRITING.md §6: ``arg0``, ``res0``, ``addr`` = the MEM address operand ``argK`` of the event,
  ``self`` = the variable is that operand itself);
* ``site_code`` — the lowering bakes a fact of its site into the code (an offset, a table index, a target
  count), so bodies reading it cannot share one compiled template (REWRITING.md §7);
* ``notes`` — the rest a newcomer needs: which events bind it, where the value comes from, what differs
  between the targets.

This module imports no later stage: rows *name* the code, and ``tests/events/test_variables.py`` checks
that every named function exists and that every dispatcher covers exactly the rows that name it.
"""
from __future__ import annotations

import re
from dataclasses import dataclass

from compiler.lang.types import WhammType, parse_type

__all__ = ["VarRow", "FnRow", "VARIABLES", "FUNCTIONS", "MEMORY_ID_PARAMS", "variable", "function",
           "operand_read"]


@dataclass(frozen=True, slots=True)
class VarRow:
    """A bound variable (or a family ``argN``/``resN``/``immN``/``localN``); fields: module docstring."""

    name: str
    type: str | None          # whamm type; None: per event (the §10 row) or per site (a type bound)
    doc: str
    static: bool | None
    binder: str | None = None
    lowering: str | None = None
    engine: str | None = None
    reads: str | None = None
    site_code: bool = False
    requestable: bool = False
    monitor: str | None = None
    monitor_inputs: tuple[str, ...] = ()
    shadow: bool = False
    notes: str = ""

    @property
    def whamm_type(self) -> WhammType | None:
        """``type`` parsed (None stays None: unknown until the event or a type bound says)."""
        return None if self.type is None else parse_type(self.type)


@dataclass(frozen=True, slots=True)
class FnRow:
    """A function an event binds (EVENTS.md §8): signature, doc, and the code that lowers a call of it.

    ``lowering`` is the ``SiteEnv`` method (``rewrite/site_env.py``) compiling a call; the engine
    interface supports none of them (``compiler.wei.support.UNSUPPORTED_CALLS``: they act on the
    application).  ``alt_only`` functions may only be called in ``alt`` probes; ``shadow`` as for
    :class:`VarRow`.
    """

    name: str
    params: tuple[tuple[str, str], ...]
    result: str | None
    doc: str
    lowering: str
    alt_only: bool = False
    shadow: bool = False
    notes: str = ""


_INDIRECT = "call_indirect, return_call_indirect (table = imm1) and table.get (table = imm0)"

#: Every bound variable, in EVENTS.md order (§1 built-ins, §2 provider, §7 per event, §8 families).
VARIABLES: tuple[VarRow, ...] = (
    VarRow("APP_MEMID", "u32", "Memory id of the application's first defined memory.", True,
           binder="bindings.app_memid",
           notes="Module-wide (the same at every site and outside probes): the number of imported memories "
                 "when the module defines one, else unbound (LANGUAGE.md §11.1)."),
    # -- provider (EVENTS.md §2) -------------------------------------------------------------------
    VarRow("fid", "u32", "Index of the function containing the site (input index space).", True,
           binder="bindings.fid", requestable=True),
    VarRow("fname", "str", 'Name of that function from the name section, "" if none.', True,
           binder="bindings.fname", requestable=True),
    VarRow("pc", "u32",
           "Byte offset of the instruction from the start of the function body (locals header included).",
           True, binder="bindings.pc", requestable=True,
           notes="wasm:func:entry binds 0 (the report prints the first instruction's pc)."),
    VarRow("opidx", "u32", "Index of the instruction within the function body.", True, binder="bindings.opidx", requestable=True),
    VarRow("at_func_end", "bool", "Whether the instruction is the function body's final end.", True,
           binder="bindings.at_func_end", requestable=True),
    VarRow("localN", None, "Value of local N; needs a type bound.", False,
           lowering="lower_operand", engine="supply_local", requestable=True,
           notes="Any site: sites whose function has no local N of the bound's type are skipped."),
    VarRow("probe_id", "i32", "Id of the dynamically inserted probe.", True, engine="supply_probe_id", requestable=True,
           notes="Engine interface only (the catalog prefixes its doc): the emulator numbers attached probes."),
    # -- operands and immediates (EVENTS.md §7.3, §7.4) ------------------------------------------
    VarRow("argN", None, "Operand N of the instruction, counted from the top of the stack (arg0 = top).", False,
           lowering="lower_operand", engine="supply_operand", reads="self", requestable=True,
           notes="Type from the event's args column, '?' needing a type bound; the rewriting target saves "
                 "operands 0..K into locals before the instruction and pushes them back.  call_indirect: "
                 "arg0 is the table slot (table_entry_idx), arg1.. the callee's arguments, last one first."),
    VarRow("resN", None, "Result N of the instruction, counted from the top of the stack; after probes only.",
           False, lowering="lower_operand", reads="self",
           notes="Saved after the instruction; the engine interface has no after probes (WEI.md §2).  "
                 "call_indirect: the callee's results."),
    VarRow("immN", None, "Immediate N of the instruction.", True, binder="bindings.imm", requestable=True,
           notes="Decoded as EVENTS.md §7.4 says (floats as values, br_on_cast skips its flags, br_table "
                 "binds imm0..immn, the default last).  call_indirect: imm0 = the type index, imm1 = the "
                 "table; call: imm0 = the callee index."),
    # -- per-event constants (EVENTS.md §7.1): the value is the catalog's --------------------------
    VarRow("opname", "str", "Name of the instruction.", True),
    VarRow("bytecode", "u16", "Opcode bytes of the instruction.", True),
    VarRow("category_id", "u32", "Category number of the instruction.", True),
    VarRow("category_name", "str", "Category name of the instruction.", True),
    # -- CALLEE (EVENTS.md §8.1): call, return_call ------------------------------------------------
    VarRow("target_fn_type", "str", 'Kind of the call target: "import" or "local".', True,
           binder="bindings.target_fn_type", requestable=True, notes="From imm0, the callee index: below the imports → import."),
    VarRow("target_fn_name", "str", "Name of the call target.", True, binder="bindings.target_fn_name", requestable=True,
           notes="Imports: the import's field name; defined functions: the name-section name or \"\"."),
    VarRow("target_imp_module", "str", "Module name of the call target.", True,
           binder="bindings.target_imp_module", requestable=True,
           notes="Imports: the import's module; defined functions: the name section's module name or \"\"."),
    # -- INDIRECT (EVENTS.md §8.2): call_indirect, return_call_indirect, table.get -----------------
    VarRow("table_entry_idx", "i32", "Table slot used by the instruction.", False,
           lowering="lower_table_entry_idx", reads="arg0", requestable=True,
           notes=f"Bound at {_INDIRECT}: an alias of arg0, the slot index on top of the stack.  The monitor "
                 "of the engine interface asks for arg0 itself (the catalog's alias_of)."),
    VarRow("target_funcref", "funcref", "Function reference stored in that table slot.", False,
           lowering="lower_target_funcref", engine="supply_target_funcref", reads="arg0", site_code=True,
           requestable=True,
           notes=f"Bound at {_INDIRECT}.  Rewriting: arg0 then table.get of the site's table "
                 "(compiler.sites.finding.slot_table); the emulator passes the element as a funcref operand."),
    VarRow("resolved_fid", "i32", "Function index of the target, -1 if unknown.", None,
           binder="bindings.resolved_fid", lowering="lower_resolved_fid", engine="supply_resolved_fid",
           reads="arg0", site_code=True, requestable=True, shadow=True,
           notes=f"Dynamic at {_INDIRECT}: resolve_funcref(target_funcref, table_entry_idx), i.e. the input "
                 "function index in slot arg0 of the site's table.  Rewriting reads the table's shadow "
                 "(REWRITING.md §15; compiler.backend.uses reserves it); the emulator resolves the live table "
                 "through a host trampoline.  Static at ref.func (= imm0) and, by lookback (N when the "
                 "previous instruction is ref.func N, else -1), at call_ref, return_call_ref and table.set."),
    # -- MEM (EVENTS.md §8.3): loads, stores, atomics ----------------------------------------------
    VarRow("data_size", "u32", "Number of bytes accessed.", True,
           notes="A per-event constant: MEM(size, …); absent for memory.atomic.notify/wait*."),
    VarRow("addr", "u32", "Address operand of the memory access.", False,
           lowering="lower_addr", reads="addr", notes="An alias of the event's address operand argK."),
    VarRow("offset", "u64", "Static offset of the memory access.", True, binder="bindings.offset", requestable=True),
    VarRow("align", "u32", "Alignment exponent of the memory access.", True, binder="bindings.align", requestable=True),
    VarRow("memory", "u32", "Memory index of the memory access.", True, binder="bindings.memory", requestable=True),
    VarRow("effective_addr", "u32", "Address plus static offset.", False,
           lowering="lower_effective_addr", reads="addr", site_code=True,
           monitor="monitor_effective_addr", monitor_inputs=("addr", "offset"),
           notes="addr + offset as u32 (wrapping).  The monitor asks for argK and offset and adds them."),
    VarRow("is_write", "bool", "Whether the instruction writes memory.", True,
           notes="A per-event constant: MEM(…, write)."),
    # -- BR_TABLE (EVENTS.md §8.4) ---------------------------------------------------------------------
    VarRow("num_targets", "u32", "Number of non-default br_table targets.", True,
           binder="bindings.num_targets", requestable=True),
    VarRow("default_target", "u32", "Label depth of the default br_table target.", True,
           binder="bindings.default_target", requestable=True),
    VarRow("targets", "map<u32, u32>", "Map from target index to label depth.", True,
           binder="bindings.targets"),
    VarRow("target", "u32", "Index of the br_table target taken (num_targets for the default).", False,
           lowering="lower_target", reads="arg0", site_code=True,
           monitor="monitor_target", monitor_inputs=("arg0", "num_targets"),
           notes="arg0 <= (num_targets - 1) ? arg0 : num_targets.  The monitor asks for arg0 and num_targets."),
    # -- explicit per-event variables (EVENTS.md §10 "other" column) --------------------------------
    VarRow("failed", "bool", "Whether memory.grow returned -1.", False, lowering="lower_failed", reads="res0",
           notes="memory.grow, after probes: res0 == -1."),
    VarRow("tid", "u32", "GC type index.", True, binder="bindings.tid", notes="GC instructions: imm0."),
    VarRow("field_idx", "u32", "GC field index.", True, binder="bindings.field_idx",
           notes="struct.get/set: imm1."),
    # -- time and call stacks (ANALYSIS.md §3) -----------------------------------------------------
    VarRow("nsecs", "u64", "Monotonic clock in nanoseconds (WASI clock_time_get, clock 1).", False,
           lowering="lower_nsecs", monitor="monitor_nsecs",
           notes="Every probe at a site.  Both targets call a generated whamm:nsecs, which calls the "
                 "imported wasi_snapshot_preview1.clock_time_get (added only when a script reads nsecs, "
                 "reused when the application imports it) on 8 bytes of the memory exported as `memory` "
                 "(saved and restored when that is the application's); 0 if the clock fails.  The wei "
                 "monitor reads the clock itself: it requests nothing from the engine."),
    VarRow("callstack", "str", "The application's call stack: function names, outermost first, joined by ';' (rewriting only).",
           False, lowering="lower_callstack",
           notes="Every probe at a site.  Rewriting only: a shadow stack added when a script reads callstack "
                 "or stack_depth (rewrite/stack.py: push at each defined function's entry, pop at its exits, "
                 "return_call replaces); the string is built and interned by the runtime "
                 "(runtime/callstack.c); deeper than 256 frames the outermost become one '…' frame.  The engine "
                 "interface passes no call stack: the wei target refuses it."),
    VarRow("stack_depth", "u32", "Number of application frames on the call stack (rewriting only).", False,
           lowering="lower_stack_depth",
           notes="Every probe at a site.  Rewriting only (the wei target refuses it): the shadow stack's "
                 "depth (see callstack)."),
    # -- source level (ANALYSIS.md §5) ------------------------------------------------------------
    VarRow("src_file", "str", 'Source file of the instruction (DWARF line table, joined to its compilation directory), "" if unknown.',
           True, binder="bindings.src_file",
           notes="ANALYSIS.md §5: from the row of the input's DWARF line table covering the instruction's first "
                 "byte (compiler.wasm.source_lines); wasm:func:entry/exit bind the first instruction's.  "
                 "Without DWARF every site binds \"\" and the script gets one warning."),
    VarRow("src_line", "u32", "Source line of the instruction, 0 if unknown.", True, binder="bindings.src_line",
           notes="As src_file; DWARF's line 0 (no source line) is unknown."),
    VarRow("src_col", "u32", "Source column of the instruction, 0 if unknown.", True, binder="bindings.src_col",
           notes="As src_file."),
    # -- wasm:block (EVENTS.md §6) -------------------------------------------------------------------
    VarRow("instr_count", "u32", "Number of instructions in the basic block.", True,
           binder="finding.FunctionSites.block_sites", requestable=True,
           notes="wasm:block:end only: counted by the basic-block machine while it finds the sites."),
)

#: Every event-bound function (EVENTS.md §8), in the order the catalog lists them.
FUNCTIONS: tuple[FnRow, ...] = (
    FnRow("alt_call_by_id", (("func_id", "i32"),), None,
          "Call the function with this index instead, with the saved arguments.", "call_alt_call", alt_only=True,
          notes="call, return_call: func_id must be a constant input index of a function of the callee's type."),
    FnRow("alt_call_by_name", (("func_name", "str"),), None,
          "Call the function with this name instead, with the saved arguments.", "call_alt_call", alt_only=True,
          notes="call, return_call: the defined function with that name-section name."),
    FnRow("resolve_funcref", (("target_funcref", "funcref"), ("table_entry_idx", "i32")), "i32",
          "Function index stored in that table slot, -1 if unknown.", "call_resolve_funcref", shadow=True,
          notes=f"{_INDIRECT}: the shadow lookup of resolved_fid; target_funcref is evaluated and dropped."),
    FnRow("dup_at", (("dst_mem", "u32"), ("dst_addr", "u32")), None,
          "Repeat the bulk memory operation with its destination at dst_addr in memory dst_mem.", "call_dup_at",
          notes="memory.copy, memory.fill, memory.init; saves every operand."),
    FnRow("track_fd_path", (), None,
          "Update the fd -> path table fd_path reads (the compiler adds the calls when a script reads fd_path).",
          "call_track_fd_path",
          notes="wasi:p1 after probes of path_open, fd_close, fd_renumber, fd_prestat_dir_name (the p1 package "
                "binds it): runtime/fdpath.c's table.  The compiler appends such probes itself "
                "(compiler.lang.fd_path_tracking); a script calling it updates the table once more."),
    FnRow("drop_args", (), None,
          "Accepted for compatibility; does nothing (alt probes consume all operands).", "call_drop_args",
          alt_only=True, notes="Every opcode event (the opcode package binds it)."),
)

#: Parameter names of the built-ins (``memcpy``, ``read_str``, ``write_str``, ``mem_size`` …) and bound
#: functions (``dup_at``) that take a memory id (LANGUAGE.md §11.1).  The checker requires such an argument
#: to fold to a constant, ``compiler.backend.uses`` finds the library memories the constants name, and the
#: wei target accepts only ``memid(LIB)`` there (``compiler.wei.support``); the test checks it against the
#: catalog's signatures.
MEMORY_ID_PARAMS = frozenset({"src_mem", "dst_mem", "memid"})

_BY_NAME = {row.name: row for row in VARIABLES}
_FN_BY_NAME = {row.name: row for row in FUNCTIONS}
_INDEXED = re.compile(r"(arg|res|imm|local)\d+")


def variable(name: str) -> VarRow:
    """The row of bound variable ``name`` (``arg3`` → the ``argN`` row); ``KeyError`` for a name no row has."""
    row = _BY_NAME.get(name)
    if row is None:
        m = _INDEXED.fullmatch(name)
        row = _BY_NAME[m[1] + "N" if m else name]
    return row


def function(name: str) -> FnRow:
    """The row of event-bound function ``name``; ``KeyError`` for a name no row has."""
    return _FN_BY_NAME[name]


def operand_read(name: str, addr_arg: int | None) -> tuple[str, int] | None:
    """The operand (``"arg"``, K) or result (``"res"``, K) a *dynamic* bound variable ``name`` reads at an
    event whose MEM address operand is ``addr_arg`` (None: not a memory event), per the row's ``reads``;
    None when it reads neither (``localN``)."""
    reads = variable(name).reads
    if reads is None:
        return None
    if reads == "self":
        return name[:3], int(name[3:])
    if reads == "addr":
        return None if addr_arg is None else ("arg", addr_arg)
    return reads[:3], int(reads[3:])
