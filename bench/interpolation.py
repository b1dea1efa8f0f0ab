"""Interpolation latency: an α-slider drag at 120 events/s, from event to painted frame.

Runs the Interpolation panel offscreen on the CPU with freshly initialised `vae`,
`conv-vae` and `dcgan` models built from their default configs (timing does not depend on
training), opened the way the app opens them (the model is read once and shown to the
panel, which asks the shared latent space to encode the bundled digits or draw generated
samples first). For each model a precise timer moves
the α slider 120 times a second for 5 s (back and forth, every event a new α), and the
panel's live frame reports each request it paints. Measured:
- latency_ms p50/p95/max: slider event → that request's frame painted;
- frames_painted, and stale_frames_painted: frames painted whose request was no longer
  the newest (latest-wins decoding should make this 0);
- last_frame_painted: the final slider position was the last frame shown;
- decode_ms: median time of one decode call alone, for reference.
Prints one JSON object. Targets: p95 ≤ 16 ms, zero stale frames painted.

    python bench/interpolation.py [--seconds 5] [--rate 120] [--threads 1]
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
from slider_drag import SliderDrag  # bench/, the script's own folder

MODELS = ("vae", "conv-vae", "dcgan")
TARGET_P95_MS = 16.0


def make_checkpoint(family: str, root: Path) -> Path:
    """Save a freshly initialised `family` model with its default config; return the path."""
    import torch

    from models.checkpoint import save_checkpoint
    from models.config import DataConfig
    from models.registry import build_model, config_class

    torch.manual_seed(0)
    model = build_model(family, config_class(family)())
    return save_checkpoint(root / family, model, data=DataConfig(dataset="mnist5k"),
                           class_names=tuple(str(i) for i in range(10)))


def decode_ms(path: Path, dim: int, repeats: int = 200) -> float:
    """Return the median ms of decoding one latent with `path`'s model (no Qt involved)."""
    from models.checkpoint import load_checkpoint
    from models.latent.decode import decode_latents

    model = load_checkpoint(path).model.eval()
    z = np.random.default_rng(0).normal(size=(1, dim)).astype(np.float32)
    times = []
    for _ in range(repeats):
        t = time.perf_counter()
        decode_latents(model, z)
        times.append((time.perf_counter() - t) * 1e3)
    return round(float(np.median(times)), 3)


def bench_model(panel: object, app: object, path: Path, seconds: float,
                rate: float) -> dict[str, object]:
    """Open `path` for the panel's session, drag, and return the figures of this model."""
    from models.opened import open_model

    t0 = time.perf_counter()
    panel.session.models.adopt(open_model(path), same_run=False)
    while (panel.data is None or panel.data.path != path or panel.strip_images is None) \
            and time.perf_counter() - t0 < 300:
        app.processEvents()
        time.sleep(0.005)
    load_s = time.perf_counter() - t0
    for _ in range(50):  # settle: thumbnails and the first frame
        app.processEvents()
        time.sleep(0.01)
    drag = SliderDrag(panel, panel.path.alpha, seconds, rate)
    drag.run()
    lat = np.asarray(drag.latencies)
    return {
        "latent_dim": panel.data.latent_dim,
        "load_s": round(load_s, 2),
        "events": drag.events,
        "events_per_s": round(drag.events / seconds, 1),
        "frames_painted": drag.painted,
        "stale_frames_painted": drag.stale,
        "latency_ms": {"p50": round(float(np.percentile(lat, 50)), 2),
                       "p95": round(float(np.percentile(lat, 95)), 2),
                       "max": round(float(lat.max()), 2)},
        "last_frame_painted": panel.frame.painted_tag == panel.live_request,
        "decode_ms": decode_ms(path, panel.data.latent_dim),
    }


def main() -> None:
    """Run the benchmark and print one JSON object."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=float, default=5.0)
    parser.add_argument("--rate", type=float, default=120.0)
    parser.add_argument("--threads", type=int, default=1, help="torch threads")
    parser.add_argument("--models", nargs="+", default=list(MODELS))
    args = parser.parse_args()

    import torch

    torch.set_num_threads(args.threads)
    from app.main import configure_pyqtgraph, create_application
    from app.panels.interpolation import InterpolationPanel
    from app.session import Session

    app = create_application()
    configure_pyqtgraph()
    root = Path(tempfile.mkdtemp(prefix="interp-bench-"))
    session = Session(root / "runs")
    panel = InterpolationPanel(session)
    panel.resize(1200, 700)
    panel.show()
    app.processEvents()
    out: dict[str, object] = {"device": "cpu", "torch_threads": args.threads,
                              "seconds": args.seconds, "rate_hz": args.rate,
                              "frame_px": [panel.frame.width(), panel.frame.height()]}
    for family in args.models:
        out[family] = bench_model(panel, app, make_checkpoint(family, root), args.seconds,
                                  args.rate)
    results = [out[f] for f in args.models]
    out["meets_targets"] = all(r["latency_ms"]["p95"] <= TARGET_P95_MS  # type: ignore[index]
                               and r["stale_frames_painted"] == 0 for r in results)
    session.shutdown()
    print(json.dumps(out))


if __name__ == "__main__":
    main()
