"""Tests of the engine target (compiler/wei); a package so its module names cannot clash with other test directories."""
