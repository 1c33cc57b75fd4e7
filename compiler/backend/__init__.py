"""What both targets share: instruction building, storage classes, the lowering of whamm bodies to Wasm,
string helpers, and the instrumentation runtime (``runtime/``) with its ABI and linker.

A target (:mod:`compiler.rewrite`, :mod:`compiler.wei`) supplies a :class:`compiler.backend.target.Env`
for each body it compiles; :class:`compiler.backend.lowering.BodyCompiler` does the rest.
"""
