"""The whamm language front end: grammar, parser, AST, types, checker, constant folder, diagnostics."""
