"""whamm-shell: the live instrumentation REPL.  Talks to the compiler only through ``compiler.api``."""
