"""The parser class every `latentlab` (sub)command uses: one-line errors, helpful help."""

from __future__ import annotations

import argparse
import difflib
import re
import sys
from pathlib import Path
from typing import NoReturn

_INVALID_CHOICE = re.compile(r"invalid choice: '(?P<given>[^']*)' \(choose from (?P<known>.*)\)")


class Parser(argparse.ArgumentParser):
    """An ArgumentParser whose usage errors are one line pointing at `--help`, exit 2.

    argparse prints the whole usage block first; for `train` that is 37 lines burying
    the one that matters.
    """

    def __init__(self, *args: object, **kwargs: object) -> None:
        kwargs.setdefault("formatter_class", HelpFormatter)
        super().__init__(*args, **kwargs)  # type: ignore[arg-type]

    def error(self, message: str) -> NoReturn:
        """Print `<prog>: error: <message> (see '<prog> --help')` and exit 2."""
        self.exit(2, f"{self.prog}: error: {_with_suggestion(message)} "
                     f"(see '{self.prog} --help')\n")


def _with_suggestion(message: str) -> str:
    """Return argparse's message with a `did you mean` for a mistyped choice."""
    match = _INVALID_CHOICE.search(message)
    if not match:
        return message
    known = re.findall(r"'([^']*)'", match["known"]) or match["known"].split(", ")
    close = difflib.get_close_matches(match["given"], known, n=1)
    if not close:
        return message
    # The full list is one `--help` away; the likely fix is shorter to read.
    return message[:match.start("known") - len("(choose from ")] + \
        f"(did you mean '{close[0]}'?)"


class HelpFormatter(argparse.HelpFormatter):
    """Help that shows each option's default when it has one worth showing."""

    def _get_help_string(self, action: argparse.Action) -> str:
        text = action.help or ""
        if "%(default)" in text or "(default" in text:
            return text
        default = action.default
        if default is None or default is argparse.SUPPRESS or isinstance(default, bool):
            return text  # flags say what they turn on; SUPPRESS options say it in their help
        if not action.option_strings:
            return text
        return f"{text} (default: %(default)s)"


class VersionAction(argparse.Action):
    """`--version`: print `latentlab <version>` and exit 0, looking the version up only then.

    importlib.metadata takes ~0.2 s to find it: not a cost every start-up should pay.
    """

    def __init__(self, option_strings: list[str], dest: str = argparse.SUPPRESS,
                 help: str | None = None) -> None:
        super().__init__(option_strings, dest, nargs=0, default=argparse.SUPPRESS, help=help)

    def __call__(self, parser: argparse.ArgumentParser, namespace: argparse.Namespace,
                 values: object, option_string: str | None = None) -> None:
        sys.stdout.write(f"latentlab {version()}\n")
        parser.exit(0)


def version() -> str:
    """Return the installed latentlab version (pyproject.toml's when run from a checkout)."""
    from importlib.metadata import PackageNotFoundError
    from importlib.metadata import version as dist_version

    try:
        return dist_version("latentlab")
    except PackageNotFoundError:
        pass
    pyproject = Path(__file__).resolve().parents[2] / "pyproject.toml"
    try:
        import tomllib

        return str(tomllib.loads(pyproject.read_text(encoding="utf-8"))["project"]["version"])
    except (ImportError, OSError, KeyError, ValueError):
        from models import __version__

        return __version__


def fail(prog: str, message: str) -> NoReturn:
    """Print a one-line usage error for `prog` and exit 2 (for checks made after parsing)."""
    sys.stderr.write(f"{prog}: error: {message} (see '{prog} --help')\n")
    raise SystemExit(2)
