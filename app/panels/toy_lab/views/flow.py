"""The normalizing flow's view (toy lane): the exact log-density in data space, and beside
it the flow's spaces layer by layer — base space z (data mapped to z = f⁻¹(x) beside
N(0, I)) at layer 0, the base grid warped through the first k couplings, data space at K.

Cost (the flow's spline layers are the dearest view to compute): per view, the samples
through all couplings; while training, log p on a 48×48 grid a quarter of its rows at a
time, the base grid through the first k and the data back through the last K − k every
other view, the note's round trip and held-out likelihood about once a second (a view
after a pause, a single step or an option change computes everything afresh)."""

from __future__ import annotations

import time
import weakref
from collections.abc import Mapping
from dataclasses import dataclass, field

import numpy as np

from app.panels.toy_lab.options import OptionValue, ViewOption
from app.panels.toy_lab.plane import Plane
from app.panels.toy_lab.views.common import (
    LATENT_EXTENT,
    SHOWN_SAMPLES,
    FamilyParts,
    Grids,
    grid_points,
    held_out_points,
    spread_points,
)

DEFAULT_COUPLINGS = 4  # ToyFlowConfig's couplings (a test checks): the panel's default
COUPLINGS_MAX = 8  # the most couplings the panel's control offers
LAYER_MAX = COUPLINGS_MAX  # the Layer slider's widest end (the panel ends it at the couplings)
OPTIONS = (
    ViewOption("flow_layer", "Layer shown", "slider", 0.0,
               "The flow's spaces: 0 is base space z (data mapped back to z beside "
               "N(0, I)), k the base grid after k couplings, the end data space",
               minimum=0.0, maximum=float(LAYER_MAX), step=1.0, decimals=0),
)
LOGP_FLOOR = -12.0  # the heatmap's floor: far tails would wash out the colours
GRID_LINES = 9  # base grid lines per direction, on [-GRID_REACH, GRID_REACH]
GRID_REACH = 2.0
LINE_POINTS = 41  # points along each grid line: the warped lines bend smoothly
CIRCLE_POINTS = 48
SIDE_DATA = 400  # data points mapped back through the flow
SIDE_SAMPLES = 200  # base samples on the side plot (more would hide the green points)
MARKS = 5  # orange points followed from x to z
HELD_OUT = 512  # fresh points for the held-out log-likelihood and round trip
HEAT_BINS = 48  # fewer cells than other families' 64: the flow's log p is its dearest part
HEAT_PARTS = 4  # the heat's rows are refreshed in this many interleaved parts
LIVE_GAP_S = 0.25  # views closer than this with new weights are a live stream
NOTE_EVERY_S = 1.0


def base_grid(lines: int = GRID_LINES, reach: float = GRID_REACH,
              points: int = LINE_POINTS) -> np.ndarray:
    """Return the base grid as polylines (2·lines, points, 2): `lines` lines of constant
    y, then `lines` of constant x, on [-reach, reach]²."""
    c = np.linspace(-reach, reach, lines, dtype=np.float32)
    t = np.linspace(-reach, reach, points, dtype=np.float32)
    cc, tt = np.meshgrid(c, t, indexing="ij")
    rows = np.stack([tt, cc], 2)
    cols = np.stack([cc, tt], 2)
    return np.concatenate([rows, cols]).astype(np.float32)


def sigma_circles(points: int = CIRCLE_POINTS) -> np.ndarray:
    """Return the 1σ and 2σ circles of N(0, I) as closed polylines (2, points + 1, 2)."""
    a = np.linspace(0, 2 * np.pi, points + 1, dtype=np.float32)
    unit = np.stack([np.cos(a), np.sin(a)], 1)
    return np.stack([unit, 2 * unit]).astype(np.float32)


def polyline_segments(lines: np.ndarray) -> np.ndarray:
    """Return the line pieces (k, 4) joining consecutive points of polylines (m, p, 2)."""
    return np.concatenate([lines[:, :-1], lines[:, 1:]], 2).reshape(-1, 4).astype(np.float32)


def layer_of(options: Mapping[str, OptionValue], couplings: int) -> int:
    """Return the couplings applied in the side plot: the slider's value (at most the
    flow's couplings), LAYER_MAX meaning all of them (also for a flow with more)."""
    value = round(float(options.get("flow_layer", 0.0)))
    return couplings if value >= LAYER_MAX else max(0, min(value, couplings))


@dataclass
class _State:
    """What one model's views keep between builds (toy lane only)."""

    shown: np.ndarray  # data points mapped back (SIDE_DATA, 2), marks last
    held_out: np.ndarray
    held_out_source: str
    z_samples: np.ndarray
    guides: np.ndarray  # the base grid's and circles' points (GRID, then CIRCLES)
    heat_points: np.ndarray
    heat: np.ndarray = field(default_factory=lambda: np.zeros(HEAT_BINS ** 2, np.float32))
    heat_steps: np.ndarray = field(default_factory=lambda: np.full(HEAT_PARTS, -1))
    next_part: int = 0
    side: tuple[int, np.ndarray, np.ndarray] | None = None  # k, grid and data after k
    side_reused: bool = False
    note: str = ""
    note_steps: int = -1
    note_due: float = 0.0
    last_steps: int = -1
    last_time: float = 0.0


GRID, CIRCLES = base_grid(), sigma_circles()
_STATES: weakref.WeakKeyDictionary = weakref.WeakKeyDictionary()


def _state(m) -> _State:
    state = _STATES.get(m)
    if state is None:
        pts = m.data.points
        shown = pts[np.linspace(0, len(pts) - 1, min(SIDE_DATA, len(pts))).astype(int)]
        shown = np.concatenate([shown, shown[spread_points(shown, MARKS)]])
        held, fresh = held_out_points(m.data, HELD_OUT)
        source = "held-out" if fresh else "training data"
        state = _State(shown.astype(np.float32), held, source,
                       m.base_samples(SHOWN_SAMPLES, seed=0),
                       np.concatenate([GRID.reshape(-1, 2), CIRCLES.reshape(-1, 2)]),
                       grid_points(m.data.extent, HEAT_BINS))
        _STATES[m] = state
    return state


def _refresh_heat(m, state: _State, live: bool) -> np.ndarray:
    """Return log p on the heat grid (n, n): while live, one interleaved part of the rows
    is recomputed (each part is a few views old at most); otherwise every stale part."""
    points, n = state.heat_points, HEAT_BINS
    stale = [p for p in range(HEAT_PARTS) if state.heat_steps[p] != m.steps]
    if live and stale:
        part = state.next_part % HEAT_PARTS
        stale = [part if part in stale else stale[0]]
        state.next_part = stale[0] + 1
    rows = np.arange(n)
    for p in stale:
        idx = (rows[rows % HEAT_PARTS == p][:, None] * n + np.arange(n)).ravel()
        state.heat[idx] = m.log_prob(points[idx])
        state.heat_steps[p] = m.steps
    return state.heat.reshape(n, n)


def _side_spaces(m, state: _State, k: int, live: bool) -> tuple[np.ndarray, np.ndarray]:
    """Return the base grid and circles after k couplings, and the data (marks last) taken
    back to there. While live they are recomputed every other view (the side plot moves
    slowly; its samples are fresh every view), otherwise always."""
    if live and not state.side_reused and state.side is not None and state.side[0] == k:
        state.side_reused = True
        return state.side[1], state.side[2]
    carried = m.layers_forward(state.guides, upto=k)[-1]
    back = m.layers_inverse(state.shown, downto=k)[0]
    state.side, state.side_reused = (k, carried, back), False
    return carried, back


def _held_out_note(m, state: _State, live: bool, now: float) -> str:
    """Return the note: the round trip's error and the mean exact log-likelihood of the
    held-out points, refreshed about once a second while live (a number changing 30 times
    a second cannot be read) and whenever the weights changed otherwise."""
    if state.note_steps != m.steps and (not live or now >= state.note_due):
        ll = float(np.mean(m.log_prob(state.held_out)))
        error = m.roundtrip_error(state.held_out)
        state.note = f"x→z→x error {error:.0e} · {state.held_out_source} log p {ll:.2f} nats"
        state.note_steps = m.steps
        state.note_due = now + NOTE_EVERY_S
    return state.note


def build(model, options: Mapping[str, OptionValue], grids: Grids) -> FamilyParts:
    """Return the main plot (data space: exact log p(x), samples, marked points) and the
    side plot (the space after k couplings: the base grid and 1σ/2σ circles carried
    through the first k, data taken back through the last K − k, samples, the marked
    points), with the round-trip error and held-out log-likelihood in the note."""
    m = model
    state = _state(m)
    now = time.perf_counter()
    # training on: new weights since a view a moment ago (the first view, single steps
    # and views after a pause or an option change compute everything afresh)
    live = m.steps != state.last_steps and now - state.last_time < LIVE_GAP_S
    state.last_steps, state.last_time = m.steps, now

    couplings = m.config.couplings
    k = layer_of(options, couplings)
    ahead = m.layers_forward(state.z_samples)
    samples = ahead[-1]
    carried, back = _side_spaces(m, state, k, live)
    heat = _refresh_heat(m, state, live)
    note = _held_out_note(m, state, live, now)

    e = m.data.extent
    main = Plane(title="heat: exact log p(x) · purple: samples · green: data · "
                       "orange: marked in both plots",
                 extent=e, heat=np.maximum(heat, LOGP_FLOOR),
                 heat_label="log p(x), exact", samples=samples,
                 marks=state.shown[-MARKS:])
    n_grid = GRID.size // 2
    segments = polyline_segments(carried[:n_grid].reshape(GRID.shape))
    ellipses = None
    if k == 0:  # N(0, I)'s circles, drawn in the samples' colour
        ellipses = np.array([[0, 0, r, r] for r in (1, 2)], np.float32)
        title = "base space z · green: f⁻¹(data) · purple: N(0, I) · rings: 1σ, 2σ"
    else:  # the circles go with the grid, warped like it
        segments = np.concatenate(
            [segments, polyline_segments(carried[n_grid:].reshape(CIRCLES.shape))])
        space = ": data space" if k == couplings else ""
        title = f"after {k} of {couplings} couplings{space} · grey: z grid, rings warped"
    side = Plane(title=title, extent=max(LATENT_EXTENT, e), real=back[:-MARKS],
                 samples=ahead[k][:SIDE_SAMPLES], marks=back[-MARKS:], segments=segments,
                 ellipses=ellipses)
    return FamilyParts(main, side, note)
