"""Garbage cycles are collected on the GUI thread only, never on a worker thread that
happens to allocate (a Qt object destroyed on a lane deadlocked the window once)."""

from __future__ import annotations

import gc
import threading
from typing import Any

from app.gui_gc import collect_on_gui_thread

COLLECTED_ON: list[int] = []  # the threads that freed a Cycle


class Cycle:
    """A reference cycle that records which thread collected it."""

    def __init__(self) -> None:
        self.me = self

    def __del__(self) -> None:
        COLLECTED_ON.append(threading.get_ident())


def test_a_cycle_dropped_while_a_worker_allocates_is_collected_on_the_gui_thread(
        qtbot: Any) -> None:
    collect_on_gui_thread()
    assert not gc.isenabled()
    COLLECTED_ON.clear()
    Cycle()  # unreachable at once: only the cyclic collector can free it

    def allocate() -> None:  # far past the generation-0 threshold
        for _ in range(50_000):
            a: list[Any] = []
            a.append(a)

    worker = threading.Thread(target=allocate)
    worker.start()
    worker.join()
    assert COLLECTED_ON == []  # automatic collection would have run on the worker
    qtbot.waitUntil(lambda: bool(COLLECTED_ON), timeout=5_000)
    assert COLLECTED_ON == [threading.get_ident()]
