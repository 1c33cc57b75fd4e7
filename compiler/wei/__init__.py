"""The engine monitor-module target (WEI.md)."""
