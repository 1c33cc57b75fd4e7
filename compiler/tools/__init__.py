"""The ready-made tools (ANALYSIS.md §7): documented whamm scripts shipped in this package
(:mod:`compiler.tools.catalog` finds them and substitutes their arguments) and the table each shows
after a run (:mod:`compiler.tools.tables`).  ``whamm run --tool NAME[:ARG…]``, ``whamm instr``/``check
--tool`` and the shell's ``trace``/``tools`` use them through :mod:`compiler.api`.
"""
from compiler.tools.catalog import (
    ERRNO_NAMES, Param, Tool, ToolError, ToolScript, find_tool, parse_tool_spec, tool_names, tool_script,
)
from compiler.tools.tables import tool_table

__all__ = ["ERRNO_NAMES", "Param", "Tool", "ToolError", "ToolScript", "find_tool", "parse_tool_spec",
           "tool_names", "tool_script", "tool_table"]
