"""The instrumentation runtime: C sources and the committed ``runtime.wasm`` (see README.md).

This is a package only so that ``runtime.wasm`` ships as package data and loads through
``importlib.resources``; the Python side of its ABI is :mod:`compiler.backend.runtime_abi`.
"""
