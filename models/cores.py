"""CPU cores and the default training thread count (no torch import: the GUI asks early)."""

from __future__ import annotations

import os


def usable_cores() -> int:
    """Return the CPU cores this process may run on (its affinity where the OS says)."""
    try:
        return len(os.sched_getaffinity(0))
    except (AttributeError, OSError):  # not on macOS / Windows
        return os.cpu_count() or 1


def gui_default_threads(cpus: int | None = None) -> int | None:
    """Return the torch CPU thread count the GUI trains with by default.

    On ≤4 cores one core is left to the GUI thread: measured on 2 cores, two intra-op
    threads collapse from ~6,000 to 250-1,000 images/s as soon as anything else runs
    (docs/architecture.md, performance traps), while one thread holds ~6,000.
    None = torch's default.
    """
    cpus = cpus or usable_cores()
    return max(1, cpus - 1) if cpus <= 4 else None
