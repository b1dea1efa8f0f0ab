"""Style dock latency: truncation, mixing, layer-edit and direction slider drags at 120
events/s, from event to painted frame.

(The direction slider is the layer-edit amount in its "principal direction" mode:
w + a·σ_k·v_k with GANSpace directions from models/stylegan/directions.py.)
Runs the Style dock offscreen on the CPU with a freshly initialised `stylegan` built from
its default config (timing does not depend on training; `--checkpoint` times a trained
one), opened the way the app opens it. For each slider, the same method as
bench/interpolation.py: a precise timer moves the slider 120 times a second for 5 s (back
and forth, every event a new position) and the section reports each request it paints.
Each slider is dragged twice:
- warm: after the section has rendered every position of its settings (what it does by
  itself once shown: `fill_s` says how long that took), so the drag repaints kept frames;
- cold: right after a setting changed (new seeds), while the lane is still rendering —
  the worst case, the lane's render time plus queueing.
Measured per drag: latency_ms p50/p95/max (slider event → that request's frame painted),
frames_painted, stale_frames_painted (a frame painted whose request was no longer the
newest), last_frame_painted; and render_ms, the median time of rendering one position
alone on this thread (no Qt), for reference. Prints one JSON object: `p95_ms` (the warm
p95 per slider), `ratio_to_target` (the worst warm p95 / 16 ms) and the details.
Targets: warm p95 ≤ 16 ms, zero stale frames painted.

    python bench/stylegan.py [--seconds 5] [--rate 120] [--threads 1] [--checkpoint RUN]
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import numpy as np
from slider_drag import SliderDrag  # bench/, the script's own folder

TARGET_P95_MS = 16.0
SLIDERS = ("truncation", "mixing", "layer_edit", "direction")


def make_checkpoint(root: Path) -> Path:
    """Save a freshly initialised `stylegan` with its default config; return the path."""
    import torch

    from models.checkpoint import save_checkpoint
    from models.config import DataConfig
    from models.registry import build_model, config_class

    torch.manual_seed(0)
    model = build_model("stylegan", config_class("stylegan")())
    return save_checkpoint(root / "stylegan", model, data=DataConfig(dataset="mnist5k"),
                           class_names=tuple(str(i) for i in range(10)))


def render_ms(section: Any, opened: Any, repeats: int = 20) -> float:
    """Return the median ms of rendering one position of `section`'s settings (no Qt)."""
    from app.panels.style.render import StyleRenderer

    renderer = StyleRenderer(opened)
    render = section.renderer_for()
    render(renderer, 0)  # the model copy and the seeds' w, made once in the dock too
    times = []
    for i in range(repeats):
        t = time.perf_counter()
        render(renderer, i % (section.slider.maximum() + 1))
        times.append((time.perf_counter() - t) * 1e3)
    return round(float(np.median(times)), 3)


class Drag(SliderDrag):
    """A drag on a Style section's slider, four sweeps end to end (GUI thread)."""

    def __init__(self, section: Any, seconds: float, rate: float) -> None:
        super().__init__(section, section.slider, seconds, rate, sweeps=4.0, tail_ms=1500,
                         id_before_set=True)
        self.section = section

    def figures(self) -> dict[str, Any]:
        """Return this drag's figures."""
        lat = np.asarray(self.latencies or [np.nan])
        view = self.section.view
        return {"events": self.events, "frames_painted": self.painted,
                "stale_frames_painted": self.stale,
                "latency_ms": {"p50": round(float(np.percentile(lat, 50)), 2),
                               "p95": round(float(np.percentile(lat, 95)), 2),
                               "max": round(float(np.max(lat)), 2)},
                "last_frame_painted": view.painted_tag == self.section.live_request}


def wait(app: Any, condition: Any, seconds: float = 300.0) -> float:
    """Process events until `condition()`; return the seconds it took."""
    t0 = time.perf_counter()
    while not condition() and time.perf_counter() - t0 < seconds:
        app.processEvents()
        time.sleep(0.002)
    return time.perf_counter() - t0


def new_seed(section: Any) -> None:
    """Change the section's first seed (a new setting: every position to render again)."""
    spin = getattr(section, "seed", None) or section.rows_seed
    spin.setValue(spin.value() + 1000)


def bench_slider(app: Any, panel: Any, name: str, opened: Any, seconds: float,
                 rate: float) -> dict[str, Any]:
    """Show `name`'s section, drag warm (every position kept), then cold; return figures."""
    section = {"truncation": panel.truncation, "mixing": panel.mixing,
               "layer_edit": panel.edit, "direction": panel.edit}[name]
    panel.tabs.setCurrentWidget(section)
    if section is panel.edit:  # the amount slider, toward a target or along a direction
        mode = "direction" if name == "direction" else "toward"
        section.mode.setCurrentIndex(section.mode.findData(mode))
    fill_s = wait(app, section.complete)
    for _ in range(30):
        app.processEvents()
        time.sleep(0.01)
    warm = Drag(section, seconds, rate)
    warm.run()
    new_seed(section)
    cold = Drag(section, seconds, rate)
    cold.run()
    return {"positions": section.slider.maximum() + 1, "fill_s": round(fill_s, 2),
            "warm": warm.figures(), "cold": cold.figures(),
            "render_ms": render_ms(section, opened)}


def main() -> None:
    """Run the benchmark and print one JSON object."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=float, default=5.0)
    parser.add_argument("--rate", type=float, default=120.0)
    parser.add_argument("--threads", type=int, default=1, help="torch threads")
    parser.add_argument("--checkpoint", type=Path, help="a trained stylegan (default: a "
                        "fresh one from the default config)")
    args = parser.parse_args()

    import torch

    torch.set_num_threads(args.threads)
    from app.main import configure_pyqtgraph, create_application
    from app.panels.style import StylePanel
    from app.session import Session
    from models.opened import open_model

    app = create_application()
    configure_pyqtgraph()
    root = Path(tempfile.mkdtemp(prefix="stylegan-bench-"))
    session = Session(root / "runs")
    panel = StylePanel(session)
    panel.resize(1200, 700)
    panel.show()
    app.processEvents()
    opened = open_model(args.checkpoint or make_checkpoint(root))
    session.models.adopt(opened, same_run=False)
    wait(app, lambda: panel.layers is not None)
    out: dict[str, Any] = {"device": "cpu", "torch_threads": args.threads,
                           "seconds": args.seconds, "rate_hz": args.rate,
                           "model": str(args.checkpoint) if args.checkpoint else "fresh",
                           "frame_px": [panel.truncation.view.width(),
                                        panel.truncation.view.height()]}
    for name in SLIDERS:
        out[name] = bench_slider(app, panel, name, opened, args.seconds, args.rate)
    out["p95_ms"] = {name: out[name]["warm"]["latency_ms"]["p95"] for name in SLIDERS}
    out["target_p95_ms"] = TARGET_P95_MS
    out["ratio_to_target"] = round(max(out["p95_ms"].values()) / TARGET_P95_MS, 3)
    out["meets_targets"] = all(out[n]["warm"]["latency_ms"]["p95"] <= TARGET_P95_MS
                               and out[n]["warm"]["stale_frames_painted"] == 0
                               for n in SLIDERS)
    session.shutdown()
    print(json.dumps(out))


if __name__ == "__main__":
    main()
