"""The Diffusion panel, offscreen: a DDIM trajectory through the viewer against diffusers'
DDIMPipeline on the same UNet, steps and batch; scrub latency; GUI timer lateness.

Prints one JSON object:
- viewer_s / diffusers_s: median seconds of a whole run (the viewer's from Run to its last
  step on the GUI thread, every step streamed, cached and painted); time_ratio = their ratio
  (target ≤ 1.1), and time_ratio_min of the fastest runs. Runs alternate so both see the
  same machine load; load_average says how busy the machine was.
- scrub_ms: slider moved to a random cached step → its frame painted (the pane's paint), p50,
  p95 (target ≤ 16) and max; scrub_while_sampling_ms: the same while a run streams.
- gui_lateness_ms: lateness of a 10 ms GUI-thread QTimer while the viewer samples, p50,
  p99 and max (target max ≤ 50).
- max_abs_diff: largest pixel difference between the viewer's and the pipeline's images.

    python bench/diffusion_viewer.py [--preset small] [--n 16] [--steps 50] [--repeats 3]

A randomly initialised UNet of a CPU preset: timing does not depend on the weights.
"""

from __future__ import annotations

import argparse
import importlib
import json
import os
import random
import statistics
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import numpy as np
import torch

HEARTBEAT_MS = 10


def _percentiles(values: list[float], qs: tuple[int, ...]) -> dict[str, float]:
    if not values:
        return {f"p{q}": float("nan") for q in qs} | {"max": float("nan")}
    arr = np.asarray(values)
    out = {f"p{q}": round(float(np.percentile(arr, q)), 2) for q in qs}
    out["max"] = round(float(arr.max()), 2)
    return out


def main() -> None:
    """Run the benchmark and print the JSON object."""
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--preset", default="small", choices=("tiny", "small", "medium"))
    p.add_argument("--n", type=int, default=16)
    p.add_argument("--steps", type=int, default=50)
    p.add_argument("--repeats", type=int, default=3)
    p.add_argument("--scrubs", type=int, default=200)
    p.add_argument("--threads", type=int, default=None)
    args = p.parse_args()
    if args.threads:
        torch.set_num_threads(args.threads)

    # The app's warm-up imports torch._dynamo before any job; so does this process.
    importlib.import_module("torch._dynamo")
    from diffusers import DDIMPipeline, DDIMScheduler
    from PySide6.QtCore import QElapsedTimer, QEventLoop, QObject, QTimer, Slot
    from PySide6.QtWidgets import QApplication

    from app.main import configure_pyqtgraph
    from app.panels.diffusion import DiffusionPanel
    from app.session import Session
    from models.checkpoint import load_checkpoint, save_checkpoint
    from models.config import DataConfig
    from models.diffusion import DDPMConfig
    from models.diffusion.model import DDPM
    from models.opened import open_model

    app = QApplication.instance() or QApplication([])
    configure_pyqtgraph()
    tmp = Path(tempfile.mkdtemp(prefix="latentlab-bench-"))
    torch.manual_seed(0)
    ckpt = save_checkpoint(tmp / "ddpm", DDPM(DDPMConfig(preset=args.preset, ema=False)),
                           data=DataConfig(dataset="mnist5k"))
    model = load_checkpoint(ckpt).model.eval()  # the same weights, for the pipeline
    pipe = DDIMPipeline(unet=model.sampling_unet,
                        scheduler=DDIMScheduler.from_config(model.schedule.config))
    pipe.set_progress_bar_config(disable=True)

    session = Session(tmp / "runs")
    panel = DiffusionPanel(session)
    panel.resize(1400, 900)
    panel.show()

    def wait(cond: Callable[[], bool], timeout_s: float = 600.0) -> None:
        end = time.perf_counter() + timeout_s
        while not cond():
            if time.perf_counter() > end:
                raise TimeoutError("the viewer did not answer in time")
            app.processEvents()
            time.sleep(0.001)

    class Heartbeat(QObject):
        """Records how late a 10 ms timer fires on the GUI thread while `on` is set."""

        def __init__(self) -> None:
            super().__init__()
            self.on = False
            self.lateness: list[float] = []
            self.clock = QElapsedTimer()
            self.timer = QTimer(self)
            self.timer.setInterval(HEARTBEAT_MS)
            self.timer.timeout.connect(self.beat)

        def start(self) -> None:
            self.clock.start()
            self.timer.start()

        def arm(self) -> None:
            """Start recording; the interval running now (maybe blocked) is not counted."""
            self.clock.restart()
            self.on = True

        @Slot()
        def beat(self) -> None:
            elapsed = self.clock.nsecsElapsed() / 1e6
            self.clock.restart()
            if self.on:
                self.lateness.append(max(0.0, elapsed - HEARTBEAT_MS))

    beat = Heartbeat()
    run_loop = QEventLoop()
    panel.ended.connect(run_loop.quit)
    session.models.adopt(open_model(ckpt), same_run=False)  # as File › Open does
    wait(lambda: panel.info is not None and panel.run_button.isEnabled())
    form = panel.form
    form.sampler.setCurrentIndex(form.sampler.findData("ddim"))
    form.batch.setValue(args.n)
    form.seed.setValue(0)
    form.eta.setValue(0.0)

    def scrub_once(record_ms: list[float]) -> None:
        run = panel.primary
        assert run is not None and run.available > 1
        k = random.randrange(run.available)
        if k == panel.slider.value():
            k = (k + 1) % run.available
        pane = panel.row_a.panes["x0"]
        before = pane.paints
        t0 = time.perf_counter()
        panel.slider.setValue(k)
        # Qt paints the regions the move made dirty when it handles the window's update
        # request; the pane's paint counter proves the new frame was drawn.
        while pane.paints == before:
            app.processEvents()
        record_ms.append((time.perf_counter() - t0) * 1000)

    while_sampling: list[float] = []

    class Scrubber(QObject):
        """Scrubs every 50 ms while a run streams (a user dragging the slider)."""

        def __init__(self) -> None:
            super().__init__()
            self.timer = QTimer(self)
            self.timer.setInterval(50)
            self.timer.timeout.connect(self.tick)

        @Slot()
        def tick(self) -> None:
            run = panel.primary
            if run is not None and run.available > 1:
                scrub_once(while_sampling)

    scrubber = Scrubber()

    def viewer(steps: int, scrub: bool = False) -> tuple[float, np.ndarray]:
        form.steps.setValue(steps)
        t0 = time.perf_counter()
        run_id = panel.run()
        assert run_id is not None
        beat.arm()
        if scrub:
            scrubber.timer.start()
        while run_id in panel.run_jobs:
            run_loop.exec()  # an idle GUI thread, as in the app: no polling
        elapsed = time.perf_counter() - t0
        beat.on = False
        scrubber.timer.stop()
        record = panel.cache.runs[run_id]
        assert record.status == "done" and record.available == steps
        return elapsed, model.to_images(torch.from_numpy(record.final)).numpy()

    def diffusers(steps: int) -> tuple[float, np.ndarray]:
        t0 = time.perf_counter()
        # Our DDIM re-derives ε̂ from the clipped x̂0 when the schedule clips
        # (models/diffusion/sampling.py); the pipeline is asked for the same arithmetic.
        out = pipe(batch_size=args.n, generator=torch.Generator().manual_seed(0),
                   num_inference_steps=steps, output_type="np",
                   use_clipped_model_output=model.schedule.clip is not None).images
        return time.perf_counter() - t0, out.transpose(0, 3, 1, 2)

    beat.start()
    viewer(3), diffusers(3)  # warm-up: first calls allocate and pick kernels
    times: dict[str, list[float]] = {"viewer": [], "diffusers": []}
    diff = 0.0
    for r in range(args.repeats):
        order = [("viewer", viewer), ("diffusers", diffusers)]
        if r % 2:
            order.reverse()
        results = {}
        for name, fn in order:
            seconds, images = fn(args.steps)
            times[name].append(seconds)
            results[name] = images
        diff = max(diff, float(np.abs(results["viewer"] - results["diffusers"]).max()))
    scrubs: list[float] = []
    for _ in range(args.scrubs):
        scrub_once(scrubs)
    viewer(args.steps, scrub=True)  # one more run, scrubbed while it streams

    viewer_s = statistics.median(times["viewer"])
    diffusers_s = statistics.median(times["diffusers"])
    result = {
        "bench": "diffusion_viewer",
        "preset": args.preset, "n": args.n, "steps": args.steps, "sampler": "ddim",
        "repeats": args.repeats, "torch_threads": torch.get_num_threads(),
        "viewer_s": round(viewer_s, 3), "diffusers_s": round(diffusers_s, 3),
        "time_ratio": round(viewer_s / diffusers_s, 3),
        # The fastest of each: the least disturbed by other processes on a shared machine.
        "time_ratio_min": round(min(times["viewer"]) / min(times["diffusers"]), 3),
        "viewer_runs_s": [round(t, 3) for t in times["viewer"]],
        "diffusers_runs_s": [round(t, 3) for t in times["diffusers"]],
        "scrub_ms": _percentiles(scrubs, (50, 95)),
        "scrub_while_sampling_ms": _percentiles(while_sampling, (50, 95)),
        "gui_lateness_ms": _percentiles(beat.lateness, (50, 99)),
        "max_abs_diff": diff,
        "cache_mb": round(panel.cache.total_bytes / 1024**2, 1),
        "load_average": round(os.getloadavg()[0], 2),
    }
    beat.timer.stop()
    panel.close()
    session.shutdown(2.0)
    print(json.dumps(result))


if __name__ == "__main__":
    main()
