"""Latent map speed: first render, hover look-up, pan and zoom frames at 70k and 200k points.

Runs the Latent Map panel offscreen on synthetic latents (10 Gaussian clusters, like
MNIST's 70,000 digits; mnist5k has only 5,000) and times, on the GUI thread:
- first_render_s: map data in → scatter, legend, KD-tree built → first frame painted;
- hover_ms: one hover (KD-tree look-up, highlight ring, thumbnail), median and p95;
- pan_ms / zoom_ms: one view change plus a synchronous repaint of the plot, median and p95.
Prints one JSON object. Targets (70k): first render ≤ 0.5 s, hover ≤ 2 ms, pan ≤ 16 ms,
zoom ≤ 33 ms; 200k: pan ≤ 50 ms.

    python bench/latent_map.py [--points 70000 200000] [--frames 30]
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import tempfile
import time
from pathlib import Path

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import numpy as np

TARGETS = {"first_render_s": 0.5, "hover_ms": 2.0, "pan_ms": 16.0, "zoom_ms": 33.0}


def synthetic_map(n: int, seed: int = 0) -> tuple[np.ndarray, np.ndarray]:
    """Return (N×2 float32 latents in 10 clusters, N labels)."""
    rng = np.random.default_rng(seed)
    labels = rng.integers(0, 10, n)
    centres = np.stack([np.cos(np.arange(10) * 0.63), np.sin(np.arange(10) * 0.63)], 1) * 2.5
    latents = centres[labels] + rng.normal(scale=0.6, size=(n, 2))
    return latents.astype(np.float32), labels.astype(np.int64)


def stats(values: list[float]) -> dict[str, float]:
    """Return median and p95 of `values` (ms), rounded."""
    arr = np.asarray(values)
    return {"median": round(float(np.median(arr)), 3),
            "p95": round(float(np.percentile(arr, 95)), 3)}


def bench_points(panel: object, app: object, n: int, frames: int) -> dict[str, object]:
    """Return the timings of one map of `n` points shown in `panel`."""
    from app.session.latent_types import LATENT_2D, MapData, ProjectionResult

    latents, labels = synthetic_map(n)
    images = np.zeros((n, 28, 28, 1), np.uint8)
    data = MapData(n, Path("synthetic"), "vae", 0, "synthetic", tuple(map(str, range(10))),
                   latents, labels, images, False, False, True)
    result = ProjectionResult(n, LATENT_2D, latents)
    viewport = panel.plot.viewport()

    t0 = time.perf_counter()
    panel._on_map(data)
    panel._on_projected(result)
    app.processEvents()
    viewport.repaint()
    first_render = time.perf_counter() - t0

    rng = np.random.default_rng(1)
    hover = []
    for i in rng.choice(n, 200, replace=False):
        x, y = latents[i] + rng.normal(scale=0.01, size=2)
        t = time.perf_counter()
        panel.hover_at(float(x), float(y))
        hover.append((time.perf_counter() - t) * 1e3)
    panel.hover_at(1e9, 1e9)  # no ring, no thumbnail in the frames below

    def frame_times(change: object) -> list[float]:
        out = []
        for k in range(frames):
            t = time.perf_counter()
            change(k)
            viewport.repaint()
            out.append((time.perf_counter() - t) * 1e3)
        return out

    (x0, x1), _ = panel.view_box.viewRange()
    step = (x1 - x0) / 100
    pan = frame_times(lambda k: panel.view_box.translateBy(
        x=step if (k // 10) % 2 == 0 else -step))
    zoom = frame_times(lambda k: panel.view_box.scaleBy(
        (0.97, 0.97) if (k // 10) % 2 == 0 else (1 / 0.97, 1 / 0.97)))
    return {"first_render_s": round(first_render, 3), "hover_ms": stats(hover),
            "pan_ms": stats(pan), "zoom_ms": stats(zoom)}


def main() -> None:
    """Run the benchmark and print one JSON object."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--points", type=int, nargs="+", default=[70_000, 200_000])
    parser.add_argument("--frames", type=int, default=30)
    args = parser.parse_args()

    from app.main import configure_pyqtgraph, create_application
    from app.panels.latent_map import LatentMapPanel
    from app.session import Session
    from models.latent import spatial  # noqa: F401  (the map job imports it while encoding)

    app = create_application()
    configure_pyqtgraph()
    session = Session(Path(tempfile.mkdtemp(prefix="latentmap-bench-")))
    panel = LatentMapPanel(session)
    panel.resize(1000, 700)
    panel.show()
    app.processEvents()
    panel.plot.viewport().repaint()
    out: dict[str, object] = {"plot_px": [panel.plot.width(), panel.plot.height()]}
    for n in args.points:
        out[str(n)] = bench_points(panel, app, n, args.frames)
    first = out.get("70000")
    if isinstance(first, dict):
        out["meets_targets_70k"] = all(
            (first[k]["median"] if isinstance(first[k], dict) else first[k]) <= v
            for k, v in TARGETS.items())
    big = out.get("200000")
    if isinstance(big, dict):
        out["usable_200k"] = big["pan_ms"]["median"] <= 50.0
    session.shutdown()
    print(json.dumps(out))


if __name__ == "__main__":
    main()
