"""Reusable widgets (no knowledge of the session)."""
