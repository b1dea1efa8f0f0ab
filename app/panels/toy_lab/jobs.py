"""The Toy lab's training job: build the model, train while the control says so, and yield
view snapshots at most about 30 times a second (toy lane)."""

from __future__ import annotations

import sys
import time
from collections.abc import Iterator

from app.jobs import Job
from app.panels.toy_lab.control import ToyControl
from app.panels.toy_lab.slow_motion import SlowStep
from app.panels.toy_lab.snapshot import ToyView, ViewBuilder
from models.toy.data import ToyData

TOY_LANE = "toy"
MAX_VIEWS_PER_S = 32.0  # "about 30": a little over, so the view keeps ≥ 30 fps
VIEW_SHARE = 0.4  # at most this share of the lane's time goes to building views
IDLE_WAIT_S = 0.05  # while paused the job yields this often, so it can be cancelled
# How long a thread may hold the GIL while another waits for it (Python's default: 5 ms).
# The toy lane runs Python between tiny torch ops all the time; the GUI thread re-enters
# Python for every timer tick and every pyqtgraph item it paints, and at 5 ms a wait its
# timer ran 14–16 ms late (p99) with one other process competing for a core.
# At 0.5 ms its paint events took half as long with the lane training (profiled).
SWITCH_INTERVAL_S = 0.0005
# The lane's scheduling niceness above the process's (Linux): beside a competing process the
# GUI thread, waking for each tick, then wins the core from the lane at once.
LANE_NICENESS = 3


def lower_lane_priority() -> None:
    """Make the calling thread (the toy lane) LANE_NICENESS nicer than the process, once:
    an unprivileged thread cannot take niceness back, and the lane keeps it for its next
    runs. Nothing where threads have no niceness of their own (not Linux)."""
    import os
    import threading

    if not sys.platform.startswith("linux"):
        return
    tid = threading.get_native_id()
    try:
        target = os.getpriority(os.PRIO_PROCESS, os.getpid()) + LANE_NICENESS
        if os.getpriority(os.PRIO_PROCESS, tid) < target:
            os.setpriority(os.PRIO_PROCESS, tid, target)
    except OSError:
        pass  # not permitted here: the lane runs at the process's priority


def toy_training(control: ToyControl, data: ToyData, family: str, seed: int,
                 settings: dict[str, object]):
    """Return the job's work: train a new `family` model on `data` from `seed` with the
    config `settings`, yielding ToyViews (the first at step 0) and None heartbeats."""

    def work(job: Job) -> Iterator[ToyView | None]:
        lower_lane_priority()
        previous = sys.getswitchinterval()
        sys.setswitchinterval(min(previous, SWITCH_INTERVAL_S))
        try:
            yield from train(job)
        finally:
            sys.setswitchinterval(previous)

    def train(job: Job) -> Iterator[ToyView | None]:
        import torch

        from models.toy.base import last_of
        from models.toy.families import build_toy  # torch: on the lane, never the GUI

        # These MLPs are tiny: more threads only add wake-ups, and beside the GUI thread on
        # 2 cores torch's default OpenMP threads ran 100× slower (3 steps/s, not 330).
        # OpenMP's thread count is per calling thread, so this sets the toy lane's.
        torch.set_num_threads(1)
        model = build_toy(family, data, seed=seed, **settings)
        views = ViewBuilder(model, control)
        apply_live = getattr(views.view_module, "apply_live", None)  # options read per step
        slow = None  # a family whose steps have stages can show them in slow motion
        if hasattr(views.view_module, "staged_step"):
            slow = SlowStep(control, views, views.view_module.staged_step,
                            views.view_module.slow_motion)
        losses: dict[str, float] = {}
        yield views.build(0.0, losses, force_metrics=True, still=True)
        due = 0.0
        window_t0, window_steps = time.perf_counter(), 0
        rate = 0.0
        settled = True  # the last view shows the model as it is, built while not training
        while True:
            if not (settled or control.playing or control.stopped):
                # paused between a view built while training and now: show the model as
                # it stays, every animated process re-run over its weights
                settled = True
                yield views.build(rate, losses, force_metrics=True, still=True)
                continue
            action = control.next_action(IDLE_WAIT_S)
            if action == "stop":
                return
            if action == "idle":
                window_t0, window_steps = time.perf_counter(), 0  # rate counts play only
                yield None
                continue
            if action == "step":
                if apply_live is not None:
                    apply_live(model, control.options)
                if slow is not None and slow.on():
                    staged = yield from slow.run(rate)
                    if staged is None:
                        return  # stopped mid-step
                    losses = staged
                    window_steps += 1
                    settled = False
                    if control.playing and slow.on():
                        now = time.perf_counter()  # the next step's first stage follows
                        rate = window_steps / max(now - window_t0, 1e-9)
                        window_t0, window_steps = now, 0
                        continue
                else:
                    losses = last_of(model.run(1)).losses
                    window_steps += 1
                    settled = False
            now = time.perf_counter()
            if action == "step" and control.playing and now < due:
                yield None  # a heartbeat: a cancel lands here, between steps
                continue
            if now - window_t0 >= 0.25 or not control.playing:
                rate = window_steps / max(now - window_t0, 1e-9) if control.playing else rate
                window_t0, window_steps = now, 0
            # a view waits for the step under way: that lateness comes off the next wait,
            # or 7 ms flow steps alone would hold the view under 30 views/s
            late = min(max(now - due, 0.0), 1.0 / MAX_VIEWS_PER_S)
            settled = not control.playing
            view = views.build(rate, losses, force_metrics=settled, still=settled)
            # the metrics' refresh (about once a second, up to ~40 ms for the EBM's chains)
            # has its own budget: charged to the view it cost the EBM 1–2 views a second
            cost = time.perf_counter() - now - views.metrics_s_of_last_build
            # throttle what crosses threads: ≤ 30 views/s, and views never take more
            # than VIEW_SHARE of the time (slow families get fewer, training goes on)
            due = now + max(1.0 / MAX_VIEWS_PER_S - late, cost / VIEW_SHARE)
            yield view

    return work
