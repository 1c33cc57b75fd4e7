"""Sites (REWRITING.md §5): where each event can be instrumented, which probes go there, and the
compile-time evaluation of ``@static`` calls and static built-ins that folding needs.

Both targets use this stage: the rewriting target matches every probe against the application here; the
wei emulator finds candidate sites with the same :mod:`compiler.sites.finding`.
"""
