"""When a view re-runs a costly process over newer weights (a reverse process, fresh
Langevin chains) instead of showing the last run's result (toy lane; no Qt, no torch).

While training, each view is built up to 30 times a second, but an animated process is
watched for a whole cycle (about 1.6 s): re-running it at every build took 44 ms
(diffusion) to 114 ms (score) a build from training. A run is re-done when its settings
change (a slider moved: at once), or when the model trained since it and either the
build is a still one (paused, a single step, the first: the picture then stays up) or
`every_s` has passed — and never more often than keeps its share of the lane's time
under `share`; meanwhile the particles animate the last run's result."""

from __future__ import annotations

import itertools
import time
import weakref
from collections.abc import Callable, Hashable, Mapping
from typing import Any

STILL = "_still"  # set in a build's options when training is not running (snapshot.py)
EVERY_S = 1.5  # about one animation cycle of the panel (60 frames and a 40-tick hold)
SHARE = 0.08  # at most this share of the lane's time goes to one kind of re-run


def is_still(options: Mapping[str, object]) -> bool:
    """Return True when the build is a still one: training is paused or stepping."""
    return bool(options.get(STILL, False))


# per model, by name: (settings, training step, when run, its cost in s, run number,
# the result)
_runs: weakref.WeakKeyDictionary = weakref.WeakKeyDictionary()
_count = itertools.count(1)


def refreshed(model, name: str, settings: Hashable, compute: Callable[[], Any],
              still: bool, every_s: float | None = None, share: float | None = None) -> Any:
    """Return `compute()`'s result for `model`, re-run as the module docstring says: when
    `settings` differ from the last run's, or when the model's step differs and either
    `still` or max(`every_s`, the run's cost / `share`) has passed since it ran."""
    every = EVERY_S if every_s is None else every_s
    share = SHARE if share is None else share
    mine = _runs.setdefault(model, {})
    last = mine.get(name)
    now = time.perf_counter()
    if last is not None and last[0] == settings:
        _settings, step, when, cost, _number, value = last
        if step == model.steps or (not still and now - when < max(every, cost / share)):
            return value
    value = compute()
    mine[name] = (settings, model.steps, now, time.perf_counter() - now, next(_count), value)
    return value


def run_number(model, name: str) -> int:
    """Return a number naming the last run of `name` for `model` (0: none yet): what
    was derived from that run's result is up to date while the number is the same."""
    last = _runs.get(model, {}).get(name)
    return 0 if last is None else last[4]
