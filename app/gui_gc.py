"""Python's cyclic garbage collector runs on the GUI thread only (pyqtgraph's
GarbageCollector: automatic collection off, a 1 s timer collects by generation).

Why: a collection runs on whichever thread happens to allocate past the threshold, and
the job service's lanes allocate a lot. When a cycle holding a Qt wrapper was collected on
a lane, its QObject was destroyed there: Qt took its signal-slot lock, then waited for the
GIL to call back into Python, while the GUI thread held the GIL and waited for that lock
in QObject::connect — the window froze for good (seen once in the monkey test).
"""

from __future__ import annotations

import gc
from typing import Any

GC_INTERVAL_S = 1.0
_collector: Any = None


def collect_on_gui_thread() -> None:
    """Turn automatic collection off and collect on a GUI-thread timer (GUI thread; call
    once a QApplication exists; calling again only turns automatic collection off again)."""
    global _collector
    if _collector is None:
        from pyqtgraph.util.garbage_collector import GarbageCollector

        _collector = GarbageCollector(interval=GC_INTERVAL_S)
    gc.disable()
