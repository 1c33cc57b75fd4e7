"""The bytecode-rewriting target (REWRITING.md)."""
