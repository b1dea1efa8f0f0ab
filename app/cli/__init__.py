"""The `latentlab` command line: gui, train, sample, eval, info, compare, anomaly, self-test.

Nothing here imports Qt or torch at module level, so `latentlab train` runs on a headless
machine and usage errors, `--help` and `--version` answer at once.
Exit status: 0 success, 2 usage error (one line pointing at `--help`), 1 any other error
(one `error:` line on stderr; `--debug`, before or after the command, shows the traceback).
"""

from __future__ import annotations

import argparse
import difflib
import os
import sys
import warnings
from collections.abc import Callable, Sequence

from app.cli.argparser import fail
from app.cli.errors import UsageError, expected_errors
from app.cli.parser import COMMANDS, build_parser
from app.cli.toy import build_toy_parser, wants_toy
from models.cores import quiet_openmp

__all__ = ["UsageError", "build_parser", "main"]


def route(argv: list[str]) -> list[str]:
    """Return `argv` with the default command `gui` inserted where no command is named.

    `latentlab`, `latentlab --checkpoint X` and `latentlab --debug` open the GUI; a word
    that is not a command is a usage error suggesting the closest one.
    """
    i = 0
    while i < len(argv) and argv[i] == "--debug":
        i += 1
    top_level = ("-h", "--help", "--version")
    if i == len(argv) or (argv[i].startswith("-") and argv[i] not in top_level):
        return [*argv[:i], "gui", *argv[i:]]
    word = argv[i]
    if word in COMMANDS or word in top_level:
        return argv
    close = difflib.get_close_matches(word, COMMANDS, n=1)
    hint = f" (did you mean '{close[0]}'?)" if close else f"; commands: {', '.join(COMMANDS)}"
    sys.stderr.write(f"latentlab: error: unknown command '{word}'{hint}\n")
    raise SystemExit(2)


def _one_line_warning(message: Warning | str, category: type[Warning], filename: str,
                      lineno: int, file: object = None, line: str | None = None) -> None:
    """Print a warning as `warning: <message>` (Python's shows a file, line and source)."""
    print(f"warning: {str(message).strip().splitlines()[0]}", file=sys.stderr)


def main(argv: Sequence[str] | None = None) -> int:
    """Run the command line; return the exit status (usage errors raise SystemExit(2))."""
    quiet_openmp()  # before any command imports torch: idle OpenMP threads sleep, not spin
    try:
        return _main(list(sys.argv[1:] if argv is None else argv))
    except KeyboardInterrupt:
        # Ctrl+C while parsing or importing; `train` handles its own (it saves first).
        print("error: interrupted", file=sys.stderr)
        return 1


def _main(argv: list[str]) -> int:
    argv = route(argv)
    parser = build_toy_parser() if wants_toy(argv) else build_parser()
    args = parser.parse_args(argv)
    handler: Callable[[argparse.Namespace], int] = args.handler
    debug = bool(getattr(args, "debug", False))
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("default")
            if not debug:
                warnings.showwarning = _one_line_warning
            precheck = getattr(args, "precheck", None)
            if precheck is not None:  # usage errors found before the handler loads torch
                precheck(args)
            return handler(args)
    except UsageError as exc:
        fail(args.command_parser.prog, str(exc))
    except BrokenPipeError:
        # `latentlab info … | head`: the reader left; stay quiet like other tools do.
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
        return 1
    except expected_errors() as exc:
        if debug:
            raise
        text = str(exc).strip()
        message = text.splitlines()[0] if text else type(exc).__name__
        print(f"error: {message}", file=sys.stderr)
        return 1
    except Exception as exc:  # a bug: still one line unless --debug
        if debug:
            raise
        first = str(exc).strip().splitlines()[:1]
        print(f"error: unexpected {type(exc).__name__}: {''.join(first)} "
              "(rerun with --debug)", file=sys.stderr)
        return 1
