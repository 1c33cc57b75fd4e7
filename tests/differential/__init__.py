"""Differential tests: generated scripts (tests/gen) compiled two ways must give the same report."""
