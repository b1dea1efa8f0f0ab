"""A process spinning on one core while a benchmark measures: users' laptops are never
idle, so speed is checked beside this load as well as on a quiet machine."""

from __future__ import annotations

import subprocess
import sys
from collections.abc import Iterator
from contextlib import contextmanager


@contextmanager
def cpu_hog(active: bool = True) -> Iterator[None]:
    """Run `while True: pass` in another process for the duration of the block (nothing
    when `active` is False); the process is killed and reaped on the way out."""
    proc = subprocess.Popen([sys.executable, "-c", "while True: pass"]) if active else None
    try:
        yield
    finally:
        if proc is not None:
            proc.kill()
            proc.wait()
