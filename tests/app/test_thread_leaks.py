"""The thread-leak check every GUI test runs under can fail: it names what is left running."""

from __future__ import annotations

import threading

import pytest
from PySide6.QtCore import QThread

from tests.app.conftest import ThreadLeakCheck


def test_a_python_thread_left_running_is_named(thread_leaks: ThreadLeakCheck) -> None:
    release = threading.Event()
    thread = threading.Thread(target=release.wait, name="deliberate-leak", daemon=True)
    thread.start()
    try:
        with pytest.raises(pytest.fail.Exception, match="Python thread 'deliberate-leak'"):
            thread_leaks.assert_none_left(0.1)
    finally:
        release.set()
        thread.join()
    assert thread_leaks.left() == []


def test_a_qthread_left_running_is_named_with_where_it_started(
        thread_leaks: ThreadLeakCheck) -> None:
    thread = QThread()
    thread.setObjectName("deliberate-qthread")
    thread.start()  # an event loop that nobody quits
    try:
        left = thread_leaks.wait(0.1)
        assert len(left) == 1
        assert "QThread 'deliberate-qthread'" in left[0]
        assert "test_thread_leaks.py" in left[0]
        # Failing also quits it, so the next tests start clean.
        with pytest.raises(pytest.fail.Exception, match="deliberate-qthread"):
            thread_leaks.assert_none_left(0.1)
        assert thread.isFinished()
    finally:
        thread.quit()
        thread.wait()


def test_threads_that_end_within_the_grace_period_are_not_leaks(
        thread_leaks: ThreadLeakCheck) -> None:
    thread = threading.Thread(target=threading.Event().wait, args=(0.3,), name="slow-but-ends")
    thread.start()
    assert thread_leaks.left() != []
    assert thread_leaks.wait(3.0) == []


def test_threads_alive_before_the_test_are_not_its_leaks() -> None:
    release = threading.Event()
    thread = threading.Thread(target=release.wait, name="older-thread", daemon=True)
    thread.start()
    try:
        assert ThreadLeakCheck(set(threading.enumerate())).left() == []
    finally:
        release.set()
        thread.join()
