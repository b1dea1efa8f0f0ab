"""What the Toy lab draws, computed from a toy model as numpy arrays (toy lane).

`ToyView` is the immutable snapshot that crosses to the GUI thread; `ViewBuilder` makes
one from the model being trained, asking the family's view module (`views/`) for its
plots and refreshing the exact metrics about once a second. Nothing here imports torch at
module level: the model's own methods do the computing."""

from __future__ import annotations

import time
from collections.abc import Mapping
from dataclasses import dataclass, field

import numpy as np

from app.panels.toy_lab.options import OptionValue
from app.panels.toy_lab.plane import Plane
from app.panels.toy_lab.views import FAMILY_VIEWS
from app.panels.toy_lab.views.common import METRIC_SAMPLES, Grids
from app.panels.toy_lab.views.refresh import STILL
from models.toy.data import ToyData
from models.toy.metrics import grid_divergence, mode_stats

# metrics wait this many times their own cost, so they take at most a tenth of the lane
# (sampling 1000 points through 100 DDPM steps on a loaded machine took a fifth)
METRICS_EVERY_COST = 10.0


@dataclass(frozen=True)
class Metrics:
    """The live metrics line: modes covered (None off mixtures), the high-quality share,
    grid KL and JS in nats, and what the samples came from."""

    modes: int | None
    n_modes: int | None
    high_quality: float | None
    kl: float
    js: float
    source: str


@dataclass(frozen=True)
class ToyView:
    """One snapshot of a run: its family, step, training speed and last losses, the main
    plot, an optional second plot, a note for the metrics line, the slow-motion `stage`
    shown (empty outside slow motion) and the latest metrics."""

    family: str
    step: int
    steps_per_s: float
    main: Plane
    side: Plane | None = None
    note: str = ""
    stage: str = ""
    losses: dict[str, float] = field(default_factory=dict)
    metrics: Metrics | None = None

    @property
    def samples(self) -> np.ndarray | None:
        """Return the main plot's model samples."""
        return self.main.samples


def compute_metrics(samples: np.ndarray, data: ToyData, source: str) -> Metrics:
    """Return the metrics of `samples` against the true distribution of `data`."""
    div = grid_divergence(samples, data)
    if data.is_mixture:
        stats = mode_stats(samples, data)
        return Metrics(stats.modes_covered, len(data.centres), stats.high_quality,
                       div.kl, div.js, source)
    return Metrics(None, None, None, div.kl, div.js, source)


class ViewBuilder:
    """Builds ToyViews of one model (toy lane). Samples shown always come from the same
    seed, so the same weights give the same picture."""

    def __init__(self, model, control=None) -> None:
        self.model = model
        self.control = control  # its `options` are read at every build (they change live)
        self.data: ToyData = model.data
        self.grids = Grids.for_extent(self.data.extent)
        self.view_module = FAMILY_VIEWS[model.family]
        self.metrics: Metrics | None = None
        self._metrics_due = 0.0
        self._metrics_cost = 0.0
        # seconds the last build spent refreshing the metrics (0.0: it did not): they keep
        # their own budget (METRICS_EVERY_COST), so the view throttle leaves them out
        self.metrics_s_of_last_build = 0.0

    def build(self, steps_per_s: float, losses: dict[str, float],
              force_metrics: bool = False, stage: str = "", still: bool = False
              ) -> ToyView:
        """Return a snapshot of the model now; metrics are refreshed at most about once a
        second (and at most a tenth of the time), or when forced. A `still` snapshot
        (training paused or stepping) re-runs every process a view animates over the
        newest weights (views/refresh.py); while training they are re-run less often."""
        options = {**self.options, STILL: True} if still else self.options
        parts = self.view_module.build(self.model, options, self.grids)
        now = time.perf_counter()
        self.metrics_s_of_last_build = 0.0
        if force_metrics or now >= self._metrics_due:
            samples, source = self._metric_samples()
            self.metrics = compute_metrics(samples, self.data, source)
            self._metrics_cost = time.perf_counter() - now
            self.metrics_s_of_last_build = self._metrics_cost
            self._metrics_due = now + max(1.0, METRICS_EVERY_COST * self._metrics_cost)
        return ToyView(self.model.family, self.model.steps, steps_per_s, parts.main,
                       parts.side, parts.note, stage, dict(losses), self.metrics)

    @property
    def options(self) -> Mapping[str, OptionValue]:
        """Return the view options now in force (the control's, else none)."""
        return getattr(self.control, "options", None) or {}

    def _metric_samples(self) -> tuple[np.ndarray, str]:
        own = getattr(self.view_module, "metric_samples", None)
        if own is not None:
            return own(self.model)
        m = self.model
        n = METRIC_SAMPLES // 2 if m.family in ("diffusion", "score") else METRIC_SAMPLES
        return m.sample(n, seed=1), f"{n} samples"
