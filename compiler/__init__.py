"""The whamm compiler: a library with no terminal code.

Data flows one way: text -> AST -> checked program -> sites -> emitted module -> run -> report.
Sub-packages: ``wasm`` (binary format), ``lang`` (front end), ``events`` (catalog and rule matching),
``rewrite`` (bytecode rewriting target), ``wei`` (engine monitor target).  ``cli`` maps the ``whamm``
command onto them.
"""
