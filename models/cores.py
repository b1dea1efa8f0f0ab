"""CPU cores and the training thread count (no torch import: entries ask before torch loads)."""

from __future__ import annotations

import os
from collections.abc import MutableMapping

MAX_DEFAULT_THREADS = 8


def usable_cores() -> int:
    """Return the CPU cores this process may run on (its affinity where the OS says)."""
    try:
        return len(os.sched_getaffinity(0))
    except (AttributeError, OSError):  # not on macOS / Windows
        return os.cpu_count() or 1


def default_threads(cpus: int | None = None) -> int:
    """Return the torch CPU thread count training uses when the user names none.

    The one rule for the GUI, the command line and notebooks (`set_threads(None)`): one
    core left free (for the GUI thread, the checkpoint writer, anything else running), at
    most MAX_DEFAULT_THREADS — so 1 thread on 1 or 2 cores, 3 on 4, 7 on 8.
    Measured on 2 cores (bench/threads.py --priority; docs/architecture.md): 1 thread is
    the best of the choices `quiet_openmp()` leaves, idle and beside a CPU hog; torch's
    stock two spinning threads are 1.3-1.6× faster idle but 2-58× slower beside the hog.
    The cap of 8 is not measured: this app's models are small, and every parallel region
    wakes every thread.
    """
    cpus = cpus or usable_cores()
    return max(1, min(cpus - 1, MAX_DEFAULT_THREADS))


def quiet_openmp(environ: MutableMapping[str, str] | None = None) -> None:
    """Make idle OpenMP threads sleep instead of spinning, unless the user chose otherwise.

    torch's Linux wheels use GNU OpenMP (libgomp), whose idle threads spin for a while
    before sleeping: beside any other busy process that spinning made two threads on two
    cores 10-40× slower. OMP_WAIT_POLICY=PASSIVE makes them sleep at once. libgomp reads
    it when it loads, so this must run BEFORE `import torch` (the command line's first
    line does it); afterwards it changes nothing in this process.
    """
    env = os.environ if environ is None else environ
    if not any(k in env for k in ("OMP_WAIT_POLICY", "GOMP_SPINCOUNT", "KMP_BLOCKTIME")):
        env["OMP_WAIT_POLICY"] = "PASSIVE"
