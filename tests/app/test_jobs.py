"""The job service: latest wins per channel, graceful stops, pause, errors, bounded close."""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator
from typing import Any

import pytest

from app.jobs import Job, JobPaused, JobResumed, JobService


@pytest.fixture
def service(qtbot: Any) -> Iterator[JobService]:
    svc = JobService()
    yield svc
    svc.await_all(2.0)


def counting(n: int, delay: float = 0.0):
    def work(job: Job) -> Iterator[int]:
        for i in range(n):
            time.sleep(delay)
            yield i
    return work


def test_events_arrive_in_order_then_done(qtbot: Any, service: JobService) -> None:
    got: list[Any] = []
    service.submit("a", counting(5), on_event=got.append,
                   on_done=lambda s: got.append(s))
    qtbot.waitUntil(lambda: "done" in got, timeout=5000)
    assert got == [0, 1, 2, 3, 4, "done"]


def test_a_newer_job_on_a_channel_cancels_the_older_and_drops_its_results(
        qtbot: Any, service: JobService) -> None:
    old: list[Any] = []
    new: list[Any] = []
    ends: dict[str, str] = {}
    service.submit("a", counting(1000, 0.005), on_event=old.append,
                   on_done=lambda s: ends.__setitem__("old", s))
    qtbot.waitUntil(lambda: len(old) > 2, timeout=5000)
    service.submit("a", counting(3), on_event=new.append,
                   on_done=lambda s: ends.__setitem__("new", s))
    qtbot.waitUntil(lambda: "new" in ends, timeout=5000)
    seen = len(old)
    qtbot.wait(50)
    assert ends == {"old": "cancelled", "new": "done"}
    assert new == [0, 1, 2]
    assert len(old) == seen < 1000


def test_other_channels_of_a_lane_are_kept(qtbot: Any, service: JobService) -> None:
    ends: dict[str, str] = {}
    service.submit("decode", counting(3, 0.01), channel="hover",
                   on_done=lambda s: ends.__setitem__("hover", s))
    service.submit("decode", counting(3), channel="grid",
                   on_done=lambda s: ends.__setitem__("grid", s))
    qtbot.waitUntil(lambda: len(ends) == 2, timeout=5000)
    assert ends == {"hover": "done", "grid": "done"}


def test_a_graceful_job_finishes_itself_and_keeps_reporting(
        qtbot: Any, service: JobService) -> None:
    stop = threading.Event()
    got: list[Any] = []

    def work(job: Job) -> Iterator[str]:
        while not stop.is_set():
            time.sleep(0.005)
            yield "step"
        yield "saved"

    job = service.submit("train", work, stop=stop.set, on_event=got.append,
                         on_done=lambda s: got.append(s))
    qtbot.waitUntil(lambda: len(got) > 2, timeout=5000)
    job.cancel()
    qtbot.waitUntil(lambda: got[-1] == "done", timeout=5000)
    assert got[-2] == "saved"


def test_pause_waits_between_yields_until_resumed(qtbot: Any, service: JobService) -> None:
    got: list[Any] = []
    job = service.submit("a", counting(10_000, 0.001), on_event=got.append)
    qtbot.waitUntil(lambda: len(got) > 3, timeout=5000)
    job.pause()
    qtbot.waitUntil(lambda: any(isinstance(e, JobPaused) for e in got), timeout=5000)
    n = len(got)
    qtbot.wait(100)
    assert len(got) == n
    job.resume()
    qtbot.waitUntil(lambda: len(got) > n + 3, timeout=5000)
    assert any(isinstance(e, JobResumed) for e in got)
    job.cancel()


def test_an_exception_becomes_one_message_and_a_failed_end(
        qtbot: Any, service: JobService) -> None:
    errors: list[str] = []
    ends: list[str] = []

    def work(job: Job) -> Iterator[int]:
        yield 1
        raise RuntimeError("shape mismatch in layer 3")

    service.submit("a", work, on_error=lambda m, tb: errors.append(m), on_done=ends.append)
    qtbot.waitUntil(lambda: bool(ends), timeout=5000)
    assert ends == ["failed"] and "shape mismatch in layer 3" in errors[0]


def test_close_abandons_a_job_blocked_in_io_within_the_timeout(qtbot: Any) -> None:
    service = JobService()
    release = threading.Event()
    started = threading.Event()

    def blocked(job: Job) -> Iterator[int]:
        started.set()
        release.wait()  # stands for a read of a FIFO or a stalled network drive
        yield 1

    service.submit("follow", blocked)
    service.submit("other", counting(1000, 0.005))
    assert started.wait(5)
    t0 = time.monotonic()
    assert service.await_all(0.5) is False
    assert time.monotonic() - t0 < 1.0
    assert service.abandoned == ["follow"]
    release.set()  # let the abandoned thread end so nothing leaks into other tests
    qtbot.waitUntil(lambda: not service.threads_running(), timeout=5000)
    with pytest.raises(RuntimeError):
        service.submit("a", counting(1))


def test_expected_errors_and_their_subclasses_show_as_their_message_alone() -> None:
    from app.jobs.errors import describe
    from models.training.run_lock import RunLockedError

    assert describe(RunLockedError("runs/a is being written by process 12"))[0] == \
        "runs/a is being written by process 12"
    assert describe(KeyError("x"))[0] == "KeyError: 'x'"  # a bug keeps its name
