"""Compiled-once probe bodies: sites whose code differs only in constants share one template whose
placeholders are patched per site (REWRITING.md §7), so a probe at 10,000 sites is lowered once.
"""
from __future__ import annotations

from typing import Sequence

from compiler.backend.instrs import LocalPool
from compiler.backend.storage import MemStorage, Storage
from compiler.events.variables import VARIABLES
from compiler.lang.scopes import Symbol, VarKind
from compiler.lang.types import AggType, MapType
from compiler.backend.site_code import ModuleContext, ProbeInfo
from compiler.rewrite.site_env import SiteEnv, compile_body
from compiler.sites.matching import MatchedSite
from compiler.wasm.binary import uleb
from compiler.wasm.code import encode_instrs
from compiler.wasm.model import Instr, MemArg

#: Local indices at and above this are placeholders while a template is compiled.
VIRTUAL = 1 << 24


#: Memory index placeholder for the site's own block of unshared variables in a template.
SITE_BLOCK = -2


#: Dynamic bound variables whose lowering bakes a fact of its site into the code (their rows' ``site_code``).
_SITE_DEPENDENT = frozenset(row.name for row in VARIABLES if row.site_code)


_LOCAL_OPS = frozenset({"local.get", "local.set", "local.tee"})


def template_key(ctx: ModuleContext, site: MatchedSite, env: SiteEnv) -> tuple | None:
    """The key of a body that only depends on its site through slot addresses and saved operands, or
    None when the body needs the site itself (frame variables, per-site maps and aggregates, whose
    addresses are passed as values, derived variables that
    read immediates, bound functions)."""
    probe = site.probe
    number = probe.expansion.number
    ok = ctx.templatable.get(number)
    if ok is None:
        ok = not any(s.kind is VarKind.FRAME or (s.kind is VarKind.UNSHARED and isinstance(s.type, (MapType, AggType)))
                     for s in probe.symbols) \
            and not any(n in _SITE_DEPENDENT and not v.static for n, v in probe.bound_used.items()) \
            and not any(c.kind.value == "bound" and c.name != "drop_args" for c in probe.callees())
        ctx.templatable[number] = ok
    if not ok:
        return None
    f = site.folded
    pred = f.predicate
    return (number, id(f.body), pred if isinstance(pred, bool) else id(pred),
            tuple(site.operands[:len(env.args)]), tuple(site.results[:len(env.results)]))


class Template:
    """A compiled body with placeholders, pre-encoded: byte runs between the instructions that need a
    per-site value — virtual locals (the saved operands and results first, then temporaries) and
    memargs in :data:`SITE_BLOCK` whose offsets are relative to the site's block.

    ``parts`` holds bytes, or ``(prefix, value, is_slot)`` patches: ``prefix`` is everything of the
    instruction before the one LEB128 that varies, ``value`` the virtual local or relative offset."""

    __slots__ = ("parts", "types", "empty", "memory", "constant", "resolved")

    def __init__(self, instrs: list[Instr], types: list, memory: int) -> None:
        self.types = types
        self.empty = not instrs
        self.memory = memory
        self.resolved: dict[tuple, tuple] = {}   # patched(): the parts per set of locals and frame
        parts: list[object] = []
        run: list[Instr] = []
        for ins in instrs:
            imms = ins.imms
            if ins.op.name in _LOCAL_OPS and imms[0] >= VIRTUAL:
                patch = (ins.op.opbytes, imms[0] - VIRTUAL, False)
            elif imms and isinstance(imms[0], MemArg) and imms[0].memory == SITE_BLOCK:
                m = imms[0]
                head = bytes((m.align | 0x40,)) + uleb(memory) if memory else bytes((m.align,))
                patch = (ins.op.opbytes + head, m.offset, True)
            else:
                run.append(ins)
                continue
            if run:
                parts.append(encode_instrs(run))
                run = []
            parts.append(patch)
        if run:
            parts.append(encode_instrs(run))
        self.parts = parts
        #: the code itself when it needs nothing from its site (no locals, no slots), else None
        self.constant = b"".join(parts) if not types and all(p.__class__ is bytes for p in parts) else None  # type: ignore

    @classmethod
    def compile(cls, ctx: ModuleContext, site: MatchedSite, info: ProbeInfo, like: SiteEnv) -> Template:
        """Compile ``site``'s body once with virtual locals in place of ``like``'s saved operands and results, so
        other sites of the same shape patch it instead of compiling again."""
        pool = LocalPool(VIRTUAL)
        env = _TemplateEnv(ctx, site.probe, site, pool, None, like.instr)
        env.args = [pool.new(t) for t in site.operands[:len(like.args)]]  # type: ignore[arg-type]
        env.results = [pool.new(t) for t in site.results[:len(like.results)]]  # type: ignore[arg-type]
        return cls(compile_body(ctx, site, env, info), list(pool.types), ctx.layout.memory)

    def patched(self, real: Sequence[int], pool: LocalPool, head: bytes = b"", tail: bytes = b"") -> tuple:
        """The template's parts for one site (:data:`~compiler.rewrite.plan.Code` pieces): the
        placeholders replaced by the site's operand and result locals ``real`` and fresh temporaries of
        the function, framed by ``head`` and ``tail``; slot offsets stay relative to the site's block.
        One shared tuple per distinct set of locals (sites of one probe mostly share one), so a plan
        holding it is cheap to build and to compare."""
        if self.empty and not head and not tail:
            return ()
        temps = ()
        if not self.empty and len(self.types) > len(real):
            temps = tuple(pool.temp(t) for t in self.types[len(real):])
        key = (tuple(real), temps, head, tail)
        parts = self.resolved.get(key)
        if parts is None:
            parts = self.resolved[key] = self._resolve(list(real) + list(temps), head, tail)
        if temps:
            pool.release(*temps)
        return parts

    def _resolve(self, real: list[int], head: bytes, tail: bytes) -> tuple:
        out: list = []
        run = [head]
        for part in ([] if self.empty else self.parts):
            if part.__class__ is bytes:
                run.append(part)
                continue
            prefix, value, slot = part  # type: ignore[misc]
            run.append(prefix)
            if slot:
                out.append(b"".join(run))
                out.append(value)
                run = []
            else:
                run.append(uleb(real[value]))
        run.append(tail)
        out.append(b"".join(run))
        return tuple(out)


class _TemplateEnv(SiteEnv):
    """Compiles a template: the site's unshared variables live at offsets of a placeholder block."""

    def storage(self, sym: Symbol) -> Storage:
        if sym.kind is VarKind.UNSHARED:
            return MemStorage(sym.type, SITE_BLOCK, self.layout.probe_slots[self.probe.number].offsets[sym.name])
        return super().storage(sym)
