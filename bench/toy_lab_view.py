"""The Toy lab's view while training, offscreen: frames drawn per second and the GUI
timer's lateness.

Prints one JSON object; per family (trained on 8 Gaussians for --seconds after a warm-up):
- fps: frames the main plot painted per second (a new snapshot, or the next frame of an
  animated process); target ≥ 30. `redraws_per_s`: the panel's redraws that had something
  new to show (the plot may skip an animation frame it has no need to paint).
- views_per_s: snapshots the toy lane delivered per second (≤ 30 by design).
- steps_per_s: training steps per second while measured (steps the snapshots advanced).
- steps_per_s_hidden: the same run's training speed over the next --seconds with the
  panel hidden (behind another dock's tab: snapshots and metrics go on, nothing is drawn);
  `view_cost` is the share of training speed showing the view takes:
  1 − steps_per_s / steps_per_s_hidden.
- redraw_ms: time of the panel's redraw on the GUI thread, p50 / p99 / max.
- gui_lateness_ms: lateness of a 10 ms GUI-thread QTimer while training, p50 / p99 / max
  (target p99 ≤ 10).
- gui_cpu_share: CPU seconds the GUI thread used per second while shown (what drawing
  takes from a core the lane may need); steps_per_lane_cpu_s and its `_hidden` twin:
  training steps per CPU second of the toy lane's thread, shown and hidden — on a busy
  shared machine wall-clock rates mostly measure the others' load, these do not.
- load_average: how busy the machine was (it is shared).
- hog: with --hog, another process spinning on a core the whole time (users' laptops are
  never idle: the targets hold with one competing process).

    python bench/toy_lab_view.py [--families gan,diffusion] [--seconds 8] [--hog]
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import time
from pathlib import Path

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import numpy as np
from cpu_hog import cpu_hog  # bench/, the script's own folder

HEARTBEAT_MS = 10


def _percentiles(values: list[float]) -> dict[str, float]:
    if not values:
        return {"p50": float("nan"), "p99": float("nan"), "max": float("nan")}
    a = np.asarray(values)
    return {"p50": round(float(np.percentile(a, 50)), 2),
            "p99": round(float(np.percentile(a, 99)), 2), "max": round(float(a.max()), 2)}


def paint_counter():
    """Return a QObject event filter counting the paint events of what it watches."""
    from PySide6.QtCore import QEvent, QObject

    class Counter(QObject):
        count = 0

        def eventFilter(self, watched, event) -> bool:  # Qt override
            if event.type() == QEvent.Type.Paint:
                self.count += 1
            return False

    return Counter()


def lane_cpu_s() -> float:
    """Return the CPU seconds the toy lane's thread has used (Linux: /proc)."""
    import threading

    for thread in threading.enumerate():
        if thread.name == "latentlab-toy" and thread.native_id is not None:
            fields = Path(f"/proc/self/task/{thread.native_id}/stat").read_text()
            ticks = fields.rsplit(")", 1)[1].split()
            return (int(ticks[11]) + int(ticks[12])) / os.sysconf("SC_CLK_TCK")
    return float("nan")


def measure(app, panel, family: str, seconds: float, warm_up: float) -> dict:
    """Train `family` for warm_up + seconds; return its figures over the last `seconds`."""
    from PySide6.QtCore import QEventLoop, Qt, QTimer

    panel.reset()
    panel.controls.family.setCurrentText(family)
    panel.play()
    end = time.perf_counter() + warm_up
    # the warm-up lasts until the first snapshot too (a loaded machine builds slowly)
    while time.perf_counter() < end or panel.latest is None:
        app.processEvents()
        time.sleep(0.001)

    redraws: list[float] = []
    original = panel.redraw

    def timed() -> None:
        t0 = time.perf_counter()
        original()
        redraws.append((time.perf_counter() - t0) * 1000)

    panel.timer.timeout.disconnect(original)
    panel.timer.timeout.connect(timed)
    lateness: list[float] = []
    last = [time.perf_counter()]

    def beat() -> None:
        now = time.perf_counter()
        lateness.append(max(0.0, (now - last[0]) * 1000 - HEARTBEAT_MS))
        last[0] = now

    heartbeat = QTimer()
    heartbeat.setTimerType(Qt.TimerType.PreciseTimer)
    heartbeat.timeout.connect(beat)
    frames0, views, seen = panel.frames_drawn, [0], [panel.latest]
    paints = paint_counter()
    panel.canvas.viewport().installEventFilter(paints)
    step0 = seen[0].step

    def count_views() -> None:  # views arrive ≤ 32/s: a 5 ms poll sees each one
        if panel.latest is not seen[0]:
            seen[0], views[0] = panel.latest, views[0] + 1

    poll = QTimer()
    poll.timeout.connect(count_views)
    # the application's own event loop, as in the app (app.exec): the GUI thread waits in
    # Qt for its next event and enters Python only for the callbacks; a processEvents and
    # sleep loop would take the GIL back after every sleep
    loop = QEventLoop()
    t0 = time.perf_counter()
    gui0, lane0 = time.thread_time(), lane_cpu_s()
    last[0] = t0
    heartbeat.start(HEARTBEAT_MS)
    poll.start(5)
    QTimer.singleShot(round(seconds * 1000), loop.quit)
    loop.exec()
    poll.stop()
    views = views[0]
    elapsed = time.perf_counter() - t0
    gui_cpu, lane_cpu = time.thread_time() - gui0, lane_cpu_s() - lane0
    heartbeat.stop()
    panel.timer.timeout.disconnect(timed)
    panel.timer.timeout.connect(original)
    view = panel.latest
    panel.canvas.viewport().removeEventFilter(paints)
    out = {"fps": round(paints.count / elapsed, 1),
           "redraws_per_s": round((panel.frames_drawn - frames0) / elapsed, 1),
           "views_per_s": round(views / elapsed, 1),
           "steps_per_s": round((view.step - step0) / elapsed, 1), "step": view.step,
           "redraw_ms": _percentiles(redraws), "gui_lateness_ms": _percentiles(lateness)}
    out["gui_cpu_share"] = round(gui_cpu / elapsed, 3)
    out["steps_per_lane_cpu_s"] = round((view.step - step0) / lane_cpu, 1)
    panel.hide()  # the same run, nothing drawn
    step1, t1, lane1 = view.step, time.perf_counter(), lane_cpu_s()
    loop = QEventLoop()
    QTimer.singleShot(round(seconds * 1000), loop.quit)
    loop.exec()
    hidden = (panel.latest.step - step1) / (time.perf_counter() - t1)
    out["steps_per_lane_cpu_s_hidden"] = round((panel.latest.step - step1)
                                               / (lane_cpu_s() - lane1), 1)
    panel.pause()
    panel.show()
    out["steps_per_s_hidden"] = round(hidden, 1)
    out["view_cost"] = round(1 - out["steps_per_s"] / hidden, 3) if hidden > 0 else None
    return out


def main() -> None:
    """Run the benchmark and print the JSON object."""
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--families", default="gan,diffusion")
    p.add_argument("--seconds", type=float, default=8.0)
    p.add_argument("--warm-up", type=float, default=2.0)
    p.add_argument("--hog", action="store_true",
                   help="run a process spinning on one core meanwhile")
    args = p.parse_args()
    with cpu_hog(args.hog):
        run(args)


def run(args: argparse.Namespace) -> None:
    """Measure every family asked for and print the JSON object."""

    from PySide6.QtWidgets import QApplication

    app = QApplication.instance() or QApplication([])
    from app.jobs import JobService
    from app.main import configure_pyqtgraph
    from app.panels.toy_lab import ToyLabPanel

    configure_pyqtgraph()
    import torch  # the window's warm-up job loads it before the toy lab may train

    jobs = JobService()
    panel = ToyLabPanel(jobs)
    panel.resize(1000, 560)
    panel.show()
    panel.set_torch_ready(True)
    out: dict = {"dataset": "8gaussians", "panel_size": [1000, 560], "torch": torch.__version__,
                 "hog": args.hog, "families": {}}
    for family in args.families.split(","):
        out["families"][family] = measure(app, panel, family, args.seconds, args.warm_up)
    panel.shutdown()
    jobs.await_all(2.0)
    out["load_average"] = [round(x, 2) for x in os.getloadavg()]
    print(json.dumps(out))


if __name__ == "__main__":
    main()
