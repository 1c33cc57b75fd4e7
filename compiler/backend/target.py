"""The target interface: what the lowering needs from the context a body is compiled in.

:class:`compiler.backend.site_code.ProbeEnv` answers what does not depend on a site; the rewriting target
extends it for a site (``rewrite/site_env.py``), the wei target for a monitor callback
(:mod:`compiler.wei.codegen`), and :mod:`compiler.backend.script_code` for the code outside sites.
"""
from __future__ import annotations

import abc
from typing import TYPE_CHECKING

from compiler.backend.instrs import Code, CodegenError, LocalPool
from compiler.lang import ast
from compiler.lang.scopes import Callee, Symbol
from compiler.lang.types import WhammType

if TYPE_CHECKING:
    from compiler.backend.lowering import BodyCompiler
    from compiler.backend.storage import Storage

__all__ = ["Env"]


class Env(abc.ABC):
    """Everything code generation needs from the layout and the site, for one body.

    Subclasses (module docstring) answer for their context; the defaults here reject what the context
    cannot provide.
    """

    pool: LocalPool
    memory: int               # output index of the instrumentation memory (-1: none)

    def storage(self, sym: Symbol) -> Storage:
        """Where ``sym`` lives in this context; the default rejects every variable (no storage here)."""
        raise CodegenError(f"`{sym.name}` cannot be used here")

    @abc.abstractmethod
    def func(self, name: str) -> int:
        """Output function index of a runtime export, helper (``whamm:…``) or user function (``fn:…``)."""
        raise NotImplementedError

    @abc.abstractmethod
    def string(self, data: bytes) -> int:
        """Address of a string literal in the instrumentation memory."""
        raise NotImplementedError

    @abc.abstractmethod
    def blocktype(self, results: tuple[str, ...]) -> object:
        """A block type producing ``results``: none, one value type, or a type index."""
        raise NotImplementedError

    @abc.abstractmethod
    def library_func(self, library: str, name: str) -> int:
        """Output function index of ``library.name``: a whamm_core function is the runtime's own, a user
        library's is one of the imports the layout added for the script's calls."""
        raise NotImplementedError

    @abc.abstractmethod
    def memory_index(self, memid: int) -> int:
        """Output memory index of a memory id (LANGUAGE.md §11.1)."""
        raise NotImplementedError

    @abc.abstractmethod
    def scratch(self) -> int:
        """Address of the scratch area for map keys and values (one map call at a time)."""
        raise NotImplementedError

    def static(self, name: str) -> object:
        """A static binding of the site (``fid``, ``targets``, ``APP_MEMID``…), or None."""
        return None

    def bound(self, code: Code, compiler: BodyCompiler, name: str, t: WhammType) -> None:
        """Push a dynamic bound variable (argN, addr, effective_addr, target, …)."""
        raise CodegenError(f"`{name}` is not available here")

    def bound_call(self, code: Code, compiler: BodyCompiler, e: ast.Call, callee: Callee) -> None:
        """Compile a call of an event's bound function (alt_call_*, resolve_funcref, dup_at…)."""
        raise CodegenError(f"{callee.name} cannot be called here", e.span)

    @abc.abstractmethod
    def memid(self, library: str) -> int:
        """``memid(lib)`` (LANGUAGE.md §11.1)."""
        raise NotImplementedError

    def constant(self, name: str) -> object:
        """The value of a compile-time constant global (§7.4), or None."""
        return None

    @abc.abstractmethod
    def static_builtin(self, name: str, memid: int) -> int:
        """``page_size``/``active_data_start``/``active_data_len`` of an application memory."""
        raise NotImplementedError
