"""Snapshot tests reuse the deterministic builders of the pilot suite (tests/pilot/ui_fakes.py)."""
