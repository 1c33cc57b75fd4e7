"""The event catalog (providers, packages, events, modes, bound variables and functions) and rule matching."""
