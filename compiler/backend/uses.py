"""What a program uses (REWRITING.md §3): which runtime functions, helpers, memories and strings the
layout must provide, found before any code is generated.  Shared by both targets: the rewriting
target scans the matched sites' folded code, the wei target its monitor probes' code (WEI.md §3), and
each lays out its state from the answer.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Sequence

from compiler.events.variables import MEMORY_ID_PARAMS, function, variable
from compiler.lang import ast
from compiler.lang.scopes import CalleeKind, VarKind, callee_of
from compiler.lang.types import MapType, Prim, TupleType, WhammType

@dataclass(slots=True)
class Uses:
    """What the code to be emitted needs, found by walking every body that will be compiled."""

    user_functions: dict[str, None] = field(default_factory=dict)
    library_functions: dict[tuple[str, str], None] = field(default_factory=dict)
    library_memories: dict[str, None] = field(default_factory=dict)
    core: set[str] = field(default_factory=set)
    strings: bool = False
    shadows: set[int] = field(default_factory=set)        # tables whose shadow is read
    # (id(node), table) of the nodes scanned: a visited set, not a fact table — the scanned nodes are
    # alive for the whole scan (the sites and the program hold them), so an id names one node, and
    # hashing the nodes by value would walk each tree once per site
    seen: set[tuple[int, int | None]] = field(default_factory=set)
    memids: set[int] = field(default_factory=set)         # constant memory ids passed to built-ins
    clock: bool = False             # `nsecs` is read: the clock import and whamm:nsecs (ANALYSIS.md §3)
    stack: bool = False             # `stack_depth` or `callstack` is read: the shadow stack
    stack_frames: bool = False      # `callstack` is read: the shadow stack keeps its frames too

    def scan(self, node: ast.Node, site_table: int | None = None) -> None:
        """Record what ``node`` needs.  Sites usually share their folded nodes, so a node already
        scanned (with the same table) is skipped."""
        key = (id(node), site_table)
        if key in self.seen:
            return
        self.seen.add(key)
        for n in ast.walk(node):
            if isinstance(n, ast.StrLit):
                if n.value:
                    self.strings = True
            elif isinstance(n, ast.MethodCall):
                self.strings = True
            elif isinstance(n, ast.Name):
                sym = n.symbol
                if sym is not None and sym.kind is VarKind.BOUND and n.id in _CLOCK_AND_STACK:
                    self.clock |= n.id == "nsecs"
                    self.stack |= n.id != "nsecs"
                    self.stack_frames |= n.id == "callstack"
                if sym is not None and sym.kind is VarKind.BOUND and site_table is not None and \
                        not (sym.bound is not None and sym.bound.static) and variable(n.id).shadow:
                    self.shadows.add(site_table)
                t = n.checked_type
                if t is not None and _has_str(t):
                    self.strings = True
            elif isinstance(n, ast.VarDecl):
                if _has_str(n.type.type):
                    self.strings = True
            elif isinstance(n, ast.Call):
                callee = callee_of(n)
                kind = callee.kind  # type: ignore[attr-defined]
                name = callee.name  # type: ignore[attr-defined]
                if kind is CalleeKind.USER:
                    self.user_functions[name] = None
                elif kind is CalleeKind.LIBRARY and n.annotation != "static":
                    lib = callee.library  # type: ignore[attr-defined]
                    if lib == "whamm_core":
                        self.core.add(name)
                    else:
                        self.library_functions[(lib, name)] = None
                elif kind is CalleeKind.BUILTIN or kind is CalleeKind.BOUND:
                    if kind is CalleeKind.BOUND and site_table is not None and function(name).shadow:
                        self.shadows.add(site_table)
                    # track_fd_path() copies paths into the runtime's heap (runtime/fdpath.c): it needs
                    # the runtime even where no probe that reads fd_path has a site
                    if name in ("read_str", "strcmp", "strcontains", "write_str", "track_fd_path"):
                        self.strings = True
                    if name in ("printf", "print"):  # formats with the runtime, which must be able to print
                        self.strings = True
                        self.core.add("puts")
                    if name == "memid" and n.args and isinstance(n.args[0], ast.Name):
                        lib = n.args[0].id
                        if lib != "whamm_core":
                            self.library_memories[lib] = None
                    # memory-id arguments fold to integers before this scan sees them
                    for a, (pname, _) in zip(n.args, getattr(callee, "bound_fn").params
                                             if getattr(callee, "bound_fn", None) else ()):
                        if pname in MEMORY_ID_PARAMS and isinstance(a, ast.IntLit):
                            self.memids.add(a.value)

    @property
    def prints(self) -> bool:
        """Whether the script calls a ``whamm_core`` output function: it then needs a place to print (a
        memory the runtime can write from) even without report variables."""
        return bool(self.core & PRINT_FUNCTIONS)

    def resolve_memids(self, app_memories: int, libraries: Sequence[str]) -> None:
        """Library memories named by folded memory ids (``A + 1 + k`` is the k-th used library)."""
        for memid in sorted(self.memids):
            k = memid - app_memories - 1
            if 0 <= k < len(libraries):
                self.library_memories.setdefault(libraries[k], None)


#: The bound variables of ANALYSIS.md §3, which add state of their own (a clock import, a shadow stack).
_CLOCK_AND_STACK = frozenset({"nsecs", "callstack", "stack_depth"})


#: ``whamm_core`` functions that write output (REWRITING.md §2 guarantee 2: they make a script "able to
#: print").
PRINT_FUNCTIONS = frozenset({"putc", "puts", "putu8", "puti8", "putu16", "puti16", "putu32", "puti32",
                             "putu64", "puti64", "putf32", "putf64", "putbool", "print_map",
                             "print_map_as_csv"})


def _has_str(t: WhammType) -> bool:
    if t is Prim.STR:
        return True
    if isinstance(t, TupleType):
        return any(_has_str(e) for e in t.elems)
    if isinstance(t, MapType):
        return _has_str(t.key) or _has_str(t.value)
    return False
