"""The trainer's background writer: files written on one thread, in submission order."""

from __future__ import annotations

import threading
from collections.abc import Callable
from concurrent.futures import Future, ThreadPoolExecutor


class BackgroundWriter:
    """Runs write jobs (checkpoint commits, PNGs, log lines) on one thread, in order.

    Flushing a checkpoint to disk is most of an epoch end's time on a small model; here it
    overlaps the next epoch's training. One thread keeps jobs in order (epoch 3's `last/`
    never lands before epoch 2's). A failed job is kept and raised by the next
    `raise_failure()` or `wait()` on the submitting thread, so a full disk still stops
    the run with its message.
    """

    def __init__(self) -> None:
        self._pool = ThreadPoolExecutor(max_workers=1, thread_name_prefix="trainer-writer")
        self._pending: list[Future[None]] = []
        self._failure: BaseException | None = None
        self._lock = threading.Lock()

    def submit(self, job: Callable[[], object]) -> None:
        """Run `job` on the writer thread after every job submitted before it."""
        def run() -> None:
            try:
                job()
            except BaseException as exc:
                with self._lock:
                    self._failure = self._failure or exc
                raise

        self._pending = [f for f in self._pending if not f.done()] + [self._pool.submit(run)]

    def raise_failure(self) -> None:
        """Raise the first failed job's exception, if any (once)."""
        with self._lock:
            failure, self._failure = self._failure, None
        if failure is not None:
            raise failure

    def wait(self) -> None:
        """Block until every submitted job is done; raise the first failure."""
        pending, self._pending = self._pending, []
        for future in pending:
            future.exception()  # only waits: run() recorded any failure
        self.raise_failure()

    def close(self) -> None:
        """Finish the pending jobs and end the thread (failures are not raised here)."""
        self._pool.shutdown(wait=True)
