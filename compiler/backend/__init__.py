"""What both targets share: instruction building, storage classes, the lowering of whamm bodies to Wasm,
string helpers, the instrumentation runtime (``runtime/``) with its ABI and linker, what a program uses
(``uses``), the shared layout (``state``), the shared code-generation environment (``site_code``) and the
code outside sites (``script_code``).

A target (the rewriting target, ``rewrite/``, and :mod:`compiler.wei`) supplies a
:class:`compiler.backend.target.Env` for each body it compiles; :class:`compiler.backend.lowering.BodyCompiler`
does the rest.  Nothing here imports a target: both build on this package, never on each other.
"""
