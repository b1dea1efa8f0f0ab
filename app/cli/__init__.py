"""The `latentlab` command line: gui, train, sample, eval, info, self-test.

Nothing here imports Qt at module level, so `latentlab train` runs on a headless machine.
Exit status: 0 success, 2 usage error, 1 any other error (one `error:` line on stderr).
"""

from __future__ import annotations

import argparse
import sys
import warnings
from collections.abc import Callable, Sequence

from app.cli.errors import UsageError, expected_errors
from app.cli.parser import build_parser

__all__ = ["UsageError", "build_parser", "main"]


def main(argv: Sequence[str] | None = None) -> int:
    """Run the command line; return the exit status."""
    parser = build_parser()
    argv = list(sys.argv[1:] if argv is None else argv)
    commands = {"gui", "train", "sample", "eval", "info", "self-test"}
    lead = 1 if argv[:1] == ["--debug"] else 0
    if not argv[lead:] or (argv[lead] not in commands and argv[lead] not in ("-h", "--help")):
        argv.insert(lead, "gui")  # `latentlab [--checkpoint PATH]` opens the GUI
    args = parser.parse_args(argv)
    handler: Callable[[argparse.Namespace], int] = args.handler
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("default")
            return handler(args)
    except UsageError as exc:
        parser.exit(2, f"latentlab: error: {exc}\n")
    except KeyboardInterrupt:
        print("error: interrupted", file=sys.stderr)
        return 1
    except expected_errors() as exc:
        if args.debug:
            raise
        message = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
        print(f"error: {message}", file=sys.stderr)
        return 1
    except Exception as exc:  # a bug: still one line unless --debug
        if args.debug:
            raise
        print(f"error: unexpected {type(exc).__name__}: {exc} (rerun with --debug)",
              file=sys.stderr)
        return 1
    return 0

