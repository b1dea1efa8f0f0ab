"""Turning exceptions raised in worker threads into one readable line plus a traceback."""

from __future__ import annotations

import traceback

# Exceptions whose message is already written for a person (raised by models/ on purpose).
_FRIENDLY = ("CheckpointError", "DataError", "ValueError", "FileNotFoundError",
             "PermissionError", "OutOfMemoryError")


def describe(exc: BaseException) -> tuple[str, str]:
    """Return (one-line message, full traceback text) for an exception."""
    text = str(exc).strip().splitlines()[0] if str(exc).strip() else ""
    name = type(exc).__name__
    # Our own expected errors subclass these (RunLockedError, ImageTooLarge, ...).
    if text and any(cls.__name__ in _FRIENDLY for cls in type(exc).__mro__):
        message = text
    else:
        message = f"{name}: {text}" if text else name
    tb = "".join(traceback.format_exception(type(exc), exc, exc.__traceback__))
    return message, tb
