"""Ctrl-C during `latentlab train`: the first stops after the current step, the second aborts."""

from __future__ import annotations

import signal
import sys
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from types import FrameType
from typing import Any

FIRST_CTRL_C = ("\nstopping after this step… (Ctrl-C again to abort without saving the "
                "current step)")


@contextmanager
def stop_on_ctrl_c(trainer: Any) -> Iterator[None]:
    """Within the block, a first SIGINT asks `trainer` to stop at the next step boundary
    (it then saves and yields TrainStopped); a second raises KeyboardInterrupt as usual.

    Only the main thread can install a handler; elsewhere this does nothing. The previous
    handler is back after the block.
    """
    if threading.current_thread() is not threading.main_thread():
        yield
        return
    previous = signal.getsignal(signal.SIGINT)

    def first(signum: int, frame: FrameType | None) -> None:
        signal.signal(signal.SIGINT, signal.default_int_handler)
        trainer.request_stop()
        print(FIRST_CTRL_C, file=sys.stderr, flush=True)

    signal.signal(signal.SIGINT, first)
    try:
        yield
    finally:
        signal.signal(signal.SIGINT, previous if previous is not None
                      else signal.default_int_handler)


def interrupted_message(trainer: Any) -> str:
    """Return what an aborted run kept: `last/` at a step, or nothing yet."""
    saved = trainer.saved_step
    if saved is None:
        return (f"interrupted inside step {trainer.step + 1}; nothing saved yet "
                f"(start again without --resume)")
    lost = "" if saved == trainer.step else \
        f"; the {trainer.step - saved} steps after it were not saved (the interrupt " \
        f"landed inside a step or a checkpoint write)"
    return (f"interrupted; saved {trainer.run_dir.last_checkpoint} at step {saved}{lost} "
            f"(continue with --resume)")
