"""What the command line reports: usage errors (exit 2) and the expected failures (exit 1)."""

from __future__ import annotations


class UsageError(Exception):
    """A mistake in the command's arguments (exit status 2)."""


def option(name: str) -> str:
    """Return the command-line spelling of a config field name (`beta1_g` → `--beta1-g`)."""
    return "--" + name.replace("_", "-")


def expected_errors() -> tuple[type[BaseException], ...]:
    """Return the exception types that are a user's mistake or a bad file, not a bug."""
    from models.checkpoint.errors import CheckpointError
    from models.data.dataset import DataError

    return (CheckpointError, DataError, ValueError, OSError, RuntimeError)
