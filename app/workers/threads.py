"""Worker threads: made, and joined, the one safe way (GUI thread)."""

from __future__ import annotations

from collections.abc import Sequence

from PySide6.QtCore import QObject, QThread


def worker_thread(worker: QObject, name: str, parent: QObject) -> QThread:
    """Return a not-yet-started thread named `latentlab-<name>` that `worker` now lives in.

    The worker is deleted in its own thread once the thread finishes.
    """
    thread = QThread(parent)
    thread.setObjectName(f"latentlab-{name}")
    worker.moveToThread(thread)
    thread.finished.connect(worker.deleteLater)
    return thread


def quit_and_join(threads: Sequence[QThread], timeout_ms: int) -> bool:
    """Quit every thread and wait for them; return True if all ended within `timeout_ms`.

    A thread still busy then is waited for without limit: destroying a running QThread
    crashes the process, and its current step or frame is short.
    """
    for thread in threads:
        thread.quit()  # takes effect once the thread's current slot returns
    ok = True
    for thread in threads:
        ok = thread.wait(timeout_ms) and ok
    if not ok:
        for thread in threads:
            thread.wait()
    return ok


def running_names(threads: Sequence[QThread | None]) -> list[str]:
    """Return the object names of the threads still running (for tests and the self-test)."""
    return [t.objectName() for t in threads if t is not None and t.isRunning()]
