"""GUI responsiveness while training: heartbeat lateness and training throughput.

Runs the main window offscreen and trains `vae` and `conv-vae` through the worker for
about 20 s each while a 10 ms QTimer on the GUI thread measures how late it fires; the
same training with no GUI (the trainer iterated directly) gives the reference images/s.
Prints one JSON object. Targets: max lateness ≤ 50 ms, p99 ≤ 10 ms, throughput ratio ≥ 0.9.

    python bench/ui_responsiveness.py [--seconds 20] [--models vae conv-vae]
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

HEARTBEAT_MS = 10
WARMUP_S = 2.0  # skip the first seconds of a job: data to device, first epoch's allocations
BATCH = 128


def headless_images_per_s(configs: tuple, seconds: float, root: Path) -> float:
    """Return images/s of the trainer iterated directly (no Qt), after WARMUP_S.

    `configs` are the GUI's own (family, model, train, data): the same training.
    """
    from models.data import load_dataset
    from models.training import Trainer, TrainStep

    family, model, train, data = configs
    trainer = Trainer(family, model, train, data, root / f"headless-{family}",
                      dataset=load_dataset(data))
    t_start = None
    n0 = 0
    t0 = time.perf_counter()
    gen = trainer.run()
    for ev in gen:
        if not isinstance(ev, TrainStep):
            continue
        now = time.perf_counter()
        if t_start is None and now - t0 >= WARMUP_S:
            t_start, n0 = now, ev.step
        if t_start is not None and now - t_start >= seconds:
            rate = (ev.step - n0) * BATCH / (now - t_start)
            gen.close()
            return rate
    raise RuntimeError("training ended early")


def set_up(window, family: str) -> tuple:
    """Set the window's setup panel for `family`; return its (family, model, train, data)."""
    panel = window.setup_panel
    panel.set_family(family)
    panel.set_dataset("mnist5k")
    panel.train_form.set_values({"epochs": 10_000, "batch_size": BATCH})
    return panel.job_configs()


def gui_run(family: str, seconds: float, app, window, session) -> dict:
    """Train `family` through the window's worker; return lateness stats and images/s."""
    import numpy as np
    from PySide6.QtCore import QEventLoop, Qt, QTimer

    from app.session import JobState

    def spin(cond, timeout):
        end = time.monotonic() + timeout
        while not cond():
            if time.monotonic() > end:
                raise RuntimeError("timed out")
            app.processEvents(QEventLoop.ProcessEventsFlag.AllEvents, 20)
            time.sleep(0.002)

    set_up(window, family)
    window.act_train.trigger()
    spin(lambda: session.state is JobState.TRAINING, 120)
    t_train = time.perf_counter()
    spin(lambda: time.perf_counter() - t_train >= WARMUP_S, WARMUP_S + 5)

    lateness: list[float] = []
    last = [time.perf_counter()]

    def beat() -> None:
        now = time.perf_counter()
        lateness.append(max(0.0, (now - last[0]) * 1000.0 - HEARTBEAT_MS))
        last[0] = now

    timer = QTimer()
    timer.setTimerType(Qt.TimerType.PreciseTimer)
    timer.setInterval(HEARTBEAT_MS)
    timer.timeout.connect(beat)
    step0, t0 = session.history.last_step, time.perf_counter()
    last[0] = t0
    cpu0 = time.thread_time()
    timer.start()
    # The real event loop, as a user has it (exec on a nested loop, quit by a timer).
    loop = QEventLoop()
    QTimer.singleShot(int(seconds * 1000), loop.quit)
    loop.exec()
    timer.stop()
    step1, t1 = session.history.last_step, time.perf_counter()
    gui_cpu = (time.thread_time() - cpu0) / (t1 - t0)
    session.stop()
    spin(lambda: session.state is JobState.IDLE, 60)
    arr = np.asarray(lateness)
    return {"p50_ms": round(float(np.percentile(arr, 50)), 2),
            "p99_ms": round(float(np.percentile(arr, 99)), 2),
            "max_ms": round(float(arr.max()), 2), "beats": len(arr),
            "gui_thread_cpu_pct": round(100 * gui_cpu, 1),
            "images_per_s": round((step1 - step0) * BATCH / (t1 - t0), 1)}


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=float, default=20.0)
    parser.add_argument("--models", nargs="+", default=["vae", "conv-vae"])
    args = parser.parse_args()
    load_start = os.getloadavg()[0]  # others' work on the machine skews every number here
    with tempfile.TemporaryDirectory(prefix="latentlab-bench-") as tmp:
        root = Path(tmp)
        os.environ["LATENTLAB_SETTINGS"] = str(root / "settings.ini")
        import torch

        from app.main import build_window, create_application

        app = create_application()
        window, session = build_window(root / "runs")
        window.show()
        session.start()
        end = time.monotonic() + 180
        while not session.torch_ready and time.monotonic() < end:
            app.processEvents()
            time.sleep(0.01)
        from models.cores import default_threads

        threads = default_threads()
        results = {}
        for family in args.models:
            configs = set_up(window, family)
            headless = headless_images_per_s(configs, args.seconds, root)
            gui = gui_run(family, args.seconds, app, window, session)
            gui["headless_images_per_s"] = round(headless, 1)
            gui["throughput_ratio"] = round(gui["images_per_s"] / headless, 3)
            results[family] = gui
        window.close()
        worst = {"max_ms": max(r["max_ms"] for r in results.values()),
                 "p99_ms": max(r["p99_ms"] for r in results.values()),
                 "throughput_ratio": min(r["throughput_ratio"] for r in results.values())}
        out = {"bench": "ui_responsiveness", "seconds": args.seconds, "batch_size": BATCH,
               "torch_threads": torch.get_num_threads(), "default_threads": threads,
               "cpus": os.cpu_count(),
               "load_avg_1min_start": round(load_start, 2),
               "load_avg_1min": round(os.getloadavg()[0], 2), "models": results,
               "worst": worst,
               "targets_met": worst["max_ms"] <= 50 and worst["p99_ms"] <= 10
               and worst["throughput_ratio"] >= 0.9}
        print(json.dumps(out))
    return 0


if __name__ == "__main__":
    sys.exit(main())
