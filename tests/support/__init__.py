"""Builders shared by tests (signals and recordings with known truth)."""
