"""Panels: views that observe the session; each is shown in its own dock."""
