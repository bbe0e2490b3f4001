"""Snapshot tests reuse the deterministic builders in tests/support/ui_fakes.py."""
