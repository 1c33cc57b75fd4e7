"""Map reads and writes in a whamm body → calls into the runtime's map (REWRITING.md §9): the key is
written to the scratch area in the runtime's layout, the runtime returns the value's address.  Also the
aggregates' ``.add()`` and readers (ANALYSIS.md §1), calls into the runtime with the aggregate's address:
a variable's slot, or a map value's address from the runtime.  Also the
static lookup of ``br_table``'s ``targets`` (EVENTS.md §8.4), which reads like a map but is compiled
from the site.

A mixin of :class:`compiler.backend.lowering.BodyCompiler`, apart because it is the only part that knows
the runtime's map ABI (:mod:`compiler.backend.runtime_abi`).
"""
from __future__ import annotations

from typing import Mapping, TYPE_CHECKING

from compiler.backend.instrs import Code, CodegenError, mem_parts, memarg
from compiler.backend.runtime_abi import encode_type, value_size
from compiler.backend.storage import MemStorage, PtrStorage
from compiler.errors import InternalError
from compiler.lang import ast
from compiler.lang.scopes import VarKind
from compiler.lang.types import AggType, MapType, Prim, WhammType, is_signed

if TYPE_CHECKING:
    from compiler.backend.target import Env

__all__ = ["MapLowering"]


class MapLowering:
    """Lowers ``m[k]`` reads and ``m[k] = v`` writes of the combined
    :class:`~compiler.backend.lowering.BodyCompiler`."""

    env: Env
    code: Code

    def map_id(self, node: ast.Expr) -> None:
        """Push a map's id (maps are values of type ``i32``: their id)."""
        if isinstance(node, ast.Name):
            self.env.storage(self.symbol(node)).load(self.code, self.env)
            return
        self.expr(node)

    def map_type(self, node: ast.Expr) -> MapType:
        """The type of a map operand (assignment targets record no type for the map name itself)."""
        t = self.symbol(node).type if isinstance(node, ast.Name) else self.type_of(node)
        if not isinstance(t, MapType):
            raise CodegenError("not a map", node.span)
        return t

    def store_key(self, key: ast.Expr, kt: WhammType, at: int) -> None:
        """Evaluate ``key`` and write it into the scratch area at ``at`` (runtime layout)."""
        code = self.code
        parts = mem_parts(kt, at)
        mem = self.env.memory
        if len(parts) == 1:
            code.emit("i32.const", 0)
            self.expr(key)
            code.emit(parts[0][2], memarg(parts[0][2], parts[0][0], mem))
            return
        self.expr(key)
        temps = self.stash(kt)
        for (off, _, store, _), t in zip(parts, temps):
            code.emit("i32.const", 0)
            code.emit("local.get", t)
            code.emit(store, memarg(store, off, mem))
        self.env.pool.release(*temps)

    def map_slot(self, e: ast.Index, insert: bool) -> int:
        """Call ``whamm_map_slot``/``whamm_map_get`` for ``m[k]``; the value's address ends in a new
        temporary local (the caller releases it)."""
        code = self.code
        mt = self.map_type(e.map)
        scratch = self.env.scratch()
        # the key may itself read maps: evaluate it completely before filling the scratch area
        self.store_key(e.key, mt.key, scratch)
        self.map_id(e.map)
        code.emit("i32.const", scratch)
        code.emit("call", self.env.func("whamm_map_slot" if insert else "whamm_map_get"))
        ptr = self.env.pool.temp("i32")
        code.emit("local.set", ptr)
        return ptr

    def map_get(self, e: ast.Index) -> None:
        """``m[k]``: the value found by the runtime (its default if absent), or a static table's entry."""
        m = e.map
        if isinstance(m, ast.Name):
            if self.symbol(m).kind is VarKind.BOUND:  # br_table `targets`: a static table
                table = self.env.static(m.id)
                if not isinstance(table, Mapping):
                    raise InternalError(f"no static table `{m.id}` at this site")
                self.static_lookup(e, table)
                return
        mt = self.map_type(m)
        ptr = self.map_slot(e, insert=False)
        PtrStorage(mt.value, self.env.memory, ptr).load(self.code, self.env)
        self.env.pool.release(ptr)

    def static_lookup(self, e: ast.Index, table: Mapping[int, int]) -> None:
        """``targets[k]`` of ``br_table``: a chain of selects over the static entries, absent → 0; no
        script-visible map id is used (EVENTS.md §8.4)."""
        code = self.code
        self.expr(e.key)
        k = self.env.pool.temp("i32")
        code.emit("local.set", k)
        code.emit("i32.const", 0)
        for index, depth in sorted(table.items()):     # [so far, depth, k != index] → select
            code.emit("i32.const", depth)               # keeps "so far" unless k == index
            code.emit("local.get", k)
            code.emit("i32.const", index)
            code.emit("i32.ne")
            code.emit("select")
        self.env.pool.release(k)

    def map_put(self, target: ast.Index, value: ast.Expr) -> None:
        """``m[k] = v``: key and value are evaluated first, then written to the scratch area for
        ``whamm_map_put``, since either may itself call into the map runtime."""
        code = self.code
        mt = self.map_type(target.map)
        mem = self.env.memory
        self.expr(target.key)
        key_temps = self.stash(mt.key)
        self.expr(value)
        value_temps = self.stash(mt.value)
        scratch = self.env.scratch()
        key_parts = mem_parts(mt.key, scratch)
        value_at = scratch + value_size(mt.key)
        value_parts = mem_parts(mt.value, value_at)
        for (off, _, store, _), t in zip(key_parts + value_parts, key_temps + value_temps):
            code.emit("i32.const", 0)
            code.emit("local.get", t)
            code.emit(store, memarg(store, off, mem))
        self.env.pool.release(*key_temps, *value_temps)
        self.map_id(target.map)
        code.emit("i32.const", scratch)
        code.emit("i32.const", value_at)
        code.emit("call", self.env.func("whamm_map_put"))

    #: The ``whamm_agg_read`` selector of each reader (runtime/agg.c).
    AGG_READERS = {"count": 0, "sum": 1, "min": 2, "max": 3, "avg": 4}

    def agg_method(self, e: ast.MethodCall, at: AggType) -> None:
        """``a.add(x)`` or a reader of the aggregate ``a`` (a variable or ``m[k]``): a runtime call on its
        address.  ``x`` is evaluated first, as it may call into the maps, which moves their values."""
        code = self.code
        env = self.env
        x = None
        if e.method == "add":
            arg = e.args[0]
            self.expr(arg)
            xt = self.type_of(arg)
            self.cast(xt, Prim.I64)
            x = env.pool.temp("i64")
            code.emit("local.set", x)
        r = e.receiver
        ptr = None
        st = None
        if isinstance(r, ast.Index):
            ptr = self.map_slot(r, insert=e.method == "add")   # reading an absent key: zero = empty (D7)
        code.emit("i32.const", env.string(encode_type(at)))
        if ptr is not None:
            code.emit("local.get", ptr)
            env.pool.release(ptr)
        else:
            st = env.storage(self.symbol(r)) if isinstance(r, ast.Name) else None
            if not isinstance(st, (MemStorage, PtrStorage)):
                raise CodegenError("an aggregate must be a global, unshared, shared or frame variable or a map "
                                   "value", r.span)
            st.push_address(code)
        if x is not None:
            code.emit("local.get", x)
            env.pool.release(x)
            code.emit("i32.const", 1 if is_signed(xt) else 0)
            code.emit("call", env.func("whamm_agg_add"))
            if st is not None:
                st.updated_in_place(code)
            return
        code.emit("i32.const", self.AGG_READERS[e.method])
        code.emit("call", env.func("whamm_agg_read"))
