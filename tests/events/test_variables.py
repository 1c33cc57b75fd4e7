"""The bound-variable rows (compiler/events/variables.py) against the catalog and the code they name:
every catalog variable and event-bound function has exactly one row, every named binder, lowering and
supplier exists, and every dispatcher covers exactly the rows that name it."""
from __future__ import annotations

import importlib
import inspect

from compiler.events import variables
from compiler.events.catalog import CATALOG, CORE_VARS, PROVIDERS
from compiler.events.variables import FUNCTIONS, VARIABLES, function, operand_read, variable
from compiler.events.catalog import CORE_FNS
from compiler.events.variables import MEMORY_ID_PARAMS
from compiler.rewrite.site_env import SiteEnv
from compiler.sites import bindings
from compiler.wei import suppliers
from compiler.wei.codegen import MonitorEnv
from compiler.wei.names import FIXED_PARAMS, is_param_name


def _catalog_vars():
    yield from CORE_VARS
    yield from CATALOG.vars
    for pkg in CATALOG.packages:
        yield from pkg.vars
        for ev in pkg.events:
            yield from ev.vars


def _catalog_fns():
    for pv in PROVIDERS:
        for holder in (pv, *pv.packages, *(e for p in pv.packages for e in p.events)):
            yield from holder.fns


def _family(name: str) -> str:
    for prefix in ("arg", "res", "imm", "local"):
        if name.startswith(prefix) and name[len(prefix):].isdigit():
            return prefix + "N"
    return name


def test_every_catalog_variable_has_exactly_one_row_and_agrees_with_it():
    names = [row.name for row in VARIABLES]
    assert len(names) == len(set(names))
    used = set()
    for var in _catalog_vars():
        row = variable(var.name)
        used.add(row.name)
        assert row.name == _family(var.name)
        if row.type is not None:
            assert var.type == row.whamm_type, var.name
        if row.static is not None:
            assert var.static == row.static, var.name
        assert var.doc == row.doc or _family(var.name) != var.name   # concrete argK: the index in the doc
    assert used == set(names), "rows for variables no event binds"


def test_every_event_bound_function_has_exactly_one_row():
    names = [row.name for row in FUNCTIONS]
    assert len(names) == len(set(names))
    seen = {fn.name: fn for fn in _catalog_fns()}
    assert set(seen) == set(names)
    for name, fn in seen.items():
        row = function(name)
        assert (fn.doc, fn.alt_only, fn.signature.split("(")[0]) == (row.doc, row.alt_only, row.name)


def _resolve_binder(path: str):
    module, _, attr = path.partition(".")
    obj = importlib.import_module(f"compiler.sites.{module}")
    for part in attr.split("."):
        obj = getattr(obj, part)
    return obj


def test_static_rows_name_a_binder_that_exists_and_dynamic_rows_a_lowering():
    for row in VARIABLES:
        if row.binder is not None:
            assert callable(_resolve_binder(row.binder)), row.name
        if row.static is not False:
            constant = all(v.constant is not None for v in _catalog_vars() if v.name == row.name)
            assert row.binder is not None or constant or row.engine is not None, \
                f"static {row.name} has neither a binder nor a constant value"
        if row.static is not True:
            assert row.lowering is not None, f"dynamic {row.name} has no lowering"
            # what a dynamic value is computed from: an operand, or (these rows) nothing of the instruction
            assert row.reads is not None or row.name in ("localN", "nsecs", "callstack", "stack_depth"), row.name


def test_site_binders_cover_exactly_the_rows_naming_them():
    named = {row.name: row.binder.split(".", 1)[1] for row in VARIABLES
             if row.binder is not None and row.binder.startswith("bindings.")}
    per_site = {n: f for n, f in named.items() if f in bindings.SITE_BINDERS}
    assert set(bindings.SITE_BINDERS) == set(per_site)
    for name, fname in per_site.items():
        assert bindings.SITE_BINDERS[fname].__name__ == fname == name
    # the other two binders have their own shapes (module-wide; one immediate of a family)
    assert set(named) - set(per_site) == {"APP_MEMID", "immN"}
    assert bindings.FUNCTION_WIDE <= set(bindings.SITE_BINDERS)


def test_rewriting_lowerings_cover_exactly_the_rows_naming_them():
    lowerings = {n for n, _ in inspect.getmembers(SiteEnv, inspect.isfunction) if n.startswith("lower_")}
    assert lowerings == {row.lowering for row in VARIABLES if row.lowering is not None}
    calls = {n for n, _ in inspect.getmembers(SiteEnv, inspect.isfunction) if n.startswith("call_")}
    assert calls == {row.lowering for row in FUNCTIONS}


def test_emulator_suppliers_cover_exactly_the_rows_naming_them():
    named = {row.engine for row in VARIABLES if row.engine is not None}
    assert set(suppliers.SUPPLIERS) == named
    for name in named:
        assert getattr(suppliers, name) is suppliers.SUPPLIERS[name]


def test_monitor_computations_cover_exactly_the_rows_naming_them():
    """The wei monitor's ``bound`` dispatches to ``monitor_*`` by the row; a row with a monitor method
    names the inputs it requests instead, and only dynamic variables are computed."""
    methods = {n for n, _ in inspect.getmembers(MonitorEnv, inspect.isfunction) if n.startswith("monitor_")}
    assert methods == {row.monitor for row in VARIABLES if row.monitor is not None}
    for row in VARIABLES:
        # (nsecs: the monitor reads the clock itself and requests nothing)
        assert bool(row.monitor) == bool(row.monitor_inputs) or row.name == "nsecs", row.name
        if row.monitor is not None:
            assert row.static is False and row.engine is None, row.name
            assert all(i == "addr" or is_param_name(i) for i in row.monitor_inputs), row.name


def test_requestable_names_are_the_rows_marking_them():
    requestable = {row.name for row in VARIABLES if row.requestable}
    assert FIXED_PARAMS | {"argN", "immN", "localN"} == requestable
    for row in VARIABLES:
        if row.engine is not None and row.name != "resN":
            assert row.requestable, f"{row.name} is supplied by the engine but not requestable"
    assert is_param_name("arg3") and is_param_name("imm0") and is_param_name("local2") and not is_param_name("res0")


def test_shadow_rows_are_exactly_the_lowerings_reading_a_shadow():
    """``shadow`` (what makes the layout reserve a table shadow) agrees with the code: a row has it iff
    its rewriting lowering calls ``shadow_lookup``."""
    def reads_shadow(method: str) -> bool:
        return "self.shadow_lookup(" in inspect.getsource(getattr(SiteEnv, method))
    for row in VARIABLES:
        assert row.shadow == (row.lowering is not None and reads_shadow(row.lowering)), row.name
    for fn in FUNCTIONS:
        assert fn.shadow == reads_shadow(fn.lowering), fn.name


def test_memory_id_parameters_match_the_catalog_signatures():
    params = {p for fn in (*CORE_FNS, *FUNCTIONS) for p, _ in fn.params}
    assert MEMORY_ID_PARAMS <= params, "a memory-id parameter no function has"
    assert {p for p in params if p == "memid" or p.endswith("_mem")} == MEMORY_ID_PARAMS


def test_templates_know_the_site_dependent_variables_from_the_rows():
    from compiler.rewrite import templates
    assert templates._SITE_DEPENDENT == {row.name for row in VARIABLES if row.site_code}


def test_what_dynamic_variables_read():
    assert operand_read("arg2", None) == ("arg", 2)
    assert operand_read("res0", None) == ("res", 0)
    assert operand_read("table_entry_idx", None) == ("arg", 0)
    assert operand_read("resolved_fid", None) == ("arg", 0)
    assert operand_read("failed", None) == ("res", 0)
    assert operand_read("effective_addr", 1) == ("arg", 1)
    assert operand_read("effective_addr", None) is None
    assert operand_read("local3", None) is None


def test_call_indirect_rows_tell_a_newcomer_everything():
    """The deliverable's example: each call_indirect variable's row has its doc, its targets' code and
    notes naming the events and where the value comes from."""
    for name in ("table_entry_idx", "target_funcref", "resolved_fid"):
        row = variable(name)
        assert row.doc and row.type and "call_indirect" in row.notes and row.lowering and row.reads == "arg0"
    assert variable("resolved_fid").static is None and variable("resolved_fid").binder
    assert "call_indirect" in function("resolve_funcref").notes
    assert variables.__doc__ and "binder" in variables.__doc__
