"""The event catalog (providers, packages, events, modes, bound variables and functions) and rule matching.

``catalog`` holds the data of EVENTS.md as one immutable tree; ``rules`` matches probe rules against it
and numbers the expanded probes; ``info`` renders what ``whamm info`` prints.
"""
from __future__ import annotations

from compiler.events.catalog import (
    CATALOG, CORE_FNS, CORE_VARS, BoundFn, BoundVar, Event, Mode, Package, Provider, lookup, scope,
    scope_fns,
)
from compiler.events.rules import (
    ExpandedProbe, NoMatchError, RuleError, Target, expand_rule, expand_rules, match_info, match_rule,
)

__all__ = [
    "CATALOG", "CORE_FNS", "CORE_VARS", "BoundFn", "BoundVar", "Event", "Mode", "Package", "Provider",
    "lookup", "scope", "scope_fns",
    "ExpandedProbe", "NoMatchError", "RuleError", "Target", "expand_rule", "expand_rules", "match_info",
    "match_rule",
]
