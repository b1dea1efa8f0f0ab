"""Close latency: seconds from closing the main window until close returns, in every state.

Each state runs in a fresh process: the window is built offscreen, torch loads, the state
is reached (training mid-epoch or at an epoch end, a diffusion model loading or sampling,
t-SNE running, a followed run whose preview is a FIFO, a job blocked reading a FIFO),
then `window.close()` is timed. Training states also check that the last step was
checkpointed and no temporary file was left. Every state runs on a quiet machine and
beside a one-core CPU hog. Prints one JSON object; target `max_s` ≤ 2.0 (the idle close
is the reference measured in the same run).

    python bench/close_latency.py [--states idle tsne ...] [--no-hog]
"""

from __future__ import annotations

import argparse
import json
import multiprocessing
import os
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
DEMOS = ROOT / "resources" / "demos"
TARGET_S = 2.0
STATES = ("idle", "training_mid_epoch", "training_epoch_end", "diffusion_training_mid_epoch",
          "diffusion_training_epoch_end", "diffusion_loading", "diffusion_sampling", "tsne",
          "follow_fifo", "blocked_io_job")


# --- the child: one state, one window ---------------------------------------------------------
def wait(app: Any, condition: Callable[[], bool], timeout_s: float, what: str) -> None:
    """Process events until `condition()` holds; raise TimeoutError naming `what`."""
    deadline = time.monotonic() + timeout_s
    while not condition():
        if time.monotonic() > deadline:
            raise TimeoutError(f"timed out waiting for {what}")
        app.processEvents()
        time.sleep(0.005)


def pause(app: Any, seconds: float) -> None:
    """Process events for `seconds`."""
    until = time.monotonic() + seconds
    wait(app, lambda: time.monotonic() >= until, seconds + 1, "")


def train(app: Any, window: Any, family: str, options: dict[str, Any]) -> None:
    """Start training `family` on the bundled digits from the setup panel."""
    panel = window.setup_panel
    panel.set_family(family)
    panel.set_dataset("mnist5k")
    if options:
        panel.model_form.set_values(options)
    panel.train_form.set_values({"epochs": 1000, "batch_size": 64})
    window.start_training()
    wait(app, lambda: window.session.history.last_step > 0, 120, "the first step")


def at_epoch_end(app: Any, session: Any) -> None:
    """Return once the trainer has finished an epoch's steps (its epoch end is running)."""
    wait(app, lambda: session.history.shape.steps_per_epoch > 0, 60, "the run's shape")
    spe = session.history.shape.steps_per_epoch
    wait(app, lambda: session.history.last_step >= spe, 600, "the end of epoch 1")


def make_fifo_run(root: Path) -> Path:
    """Return a run folder whose first epoch's preview PNG is a FIFO nobody writes."""
    run = root / "fifo-run"
    (run / "samples").mkdir(parents=True)
    (run / "run.json").write_text(json.dumps({"family": "vae", "train": {"epochs": 3}}))
    os.mkfifo(run / "samples" / "epoch-0001.png")
    os.mkfifo(run / "samples" / "recon-epoch-0001.png")
    lines = [{"kind": "step", "step": i, "loss": 1.0 / i} for i in range(1, 20)]
    lines.append({"kind": "epoch", "epoch": 1, "step": 19, "preview": "samples/epoch-0001.png"})
    (run / "metrics.jsonl").write_text("".join(json.dumps(x) + "\n" for x in lines))
    return run


def reach(state: str, app: Any, window: Any, root: Path) -> Path | None:
    """Put the window in `state`; return the run folder that must be checkpointed, if any."""
    session = window.session
    if state == "idle":
        return None
    if state.startswith("diffusion_training"):
        train(app, window, "ddpm", {"preset": "tiny"})
        if state.endswith("epoch_end"):
            at_epoch_end(app, session)
        return session.history.shape.run_dir
    if state.startswith("training"):
        train(app, window, "vae", {})
        if state.endswith("epoch_end"):
            at_epoch_end(app, session)
        else:
            pause(app, 0.5)
        return session.history.shape.run_dir
    if state == "diffusion_loading":
        window.open_path(DEMOS / "cddpm-tiny")
        pause(app, 0.2)
    elif state == "diffusion_sampling":
        window.open_path(DEMOS / "cddpm-tiny")
        wait(app, lambda: session.model is not None, 60, "the diffusion demo")
        pause(app, 1.0)
        window.act_sample.trigger()
        pause(app, 0.5)
    elif state == "tsne":
        window.open_path(DEMOS / "conv-vae-16")
        window.latent_dock.show()
        window.latent_dock.raise_()
        wait(app, lambda: session.latent.shown_generation > 0, 120, "the latent map")
        session.latent.project("t-SNE")
        pause(app, 1.0)
    elif state == "follow_fifo":
        window.open_path(make_fifo_run(root))
        pause(app, 1.0)
    elif state == "blocked_io_job":
        fifo = root / "stalled-drive"
        os.mkfifo(fifo)

        def blocked(job: Any) -> Any:
            with open(fifo, "rb") as f:  # blocks until a writer appears: never
                yield f.read()

        session.jobs.submit("export", blocked)
        pause(app, 0.3)
    return None


def child(state: str) -> None:
    """Reach `state` in a fresh window, time its close, print one RESULT line, exit."""
    os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
    root = Path(tempfile.mkdtemp(prefix=f"close-{state}-"))
    os.environ["LATENTLAB_SETTINGS"] = str(root / "settings.ini")
    from app.main import build_window, create_application, leave_now

    app = create_application()
    window, session = build_window(root / "runs")
    window.show()
    session.start()
    wait(app, lambda: session.torch_ready, 120, "torch")
    try:
        run_dir = reach(state, app, window, root)
        last_step = session.history.last_step
        t0 = time.perf_counter()
        window.close()
        close_s = time.perf_counter() - t0
        result: dict[str, Any] = {"state": state, "close_s": round(close_s, 3),
                                  "abandoned": list(session.jobs.abandoned)}
        if run_dir is not None:
            result.update(saved_step(run_dir), last_step_shown=last_step, run_dir=str(run_dir))
        print("RESULT " + json.dumps(result), flush=True)
    finally:
        leave_now(0)  # abandoned lanes may be inside torch: never finalise under them


def saved_step(run_dir: Path) -> dict[str, Any]:
    """Return {"saved_step": the step of checkpoints/last, or -1 when there is none}."""
    from models.checkpoint.errors import CheckpointError
    from models.checkpoint.store import read_checkpoint_config

    try:
        _, meta = read_checkpoint_config(run_dir / "checkpoints" / "last")
    except CheckpointError:
        return {"saved_step": -1}
    return {"saved_step": int((meta.get("progress") or {}).get("step", -1))}


# --- the parent ---------------------------------------------------------------------------------
def hog(stop: Any) -> None:
    """Spin one core until `stop` is set (an ordinary busy laptop)."""
    x = 0
    while not stop.is_set():
        x = (x * 31 + 7) % 1_000_003


def run_state(state: str) -> dict[str, Any]:
    """Return the child's RESULT for `state`, with leftovers checked after it exited."""
    out = subprocess.run([sys.executable, __file__, "--child", state], cwd=ROOT,
                         capture_output=True, text=True, timeout=900,
                         env=dict(os.environ, QT_QPA_PLATFORM="offscreen"))
    lines = [ln for ln in out.stdout.splitlines() if ln.startswith("RESULT ")]
    if not lines:
        return {"state": state, "error": (out.stderr.strip().splitlines() or ["?"])[-1]}
    result = json.loads(lines[-1][7:])
    run_dir = result.pop("run_dir", None)
    if run_dir is not None:
        result["checkpointed"] = result["saved_step"] >= result["last_step_shown"]
        result["temp_files_left"] = len([p for p in Path(run_dir).rglob("*")
                                         if ".tmp" in p.name])
    return result


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--states", nargs="+", default=list(STATES), choices=STATES)
    parser.add_argument("--no-hog", action="store_true", help="only on a quiet machine")
    parser.add_argument("--child", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        child(args.child)
        return
    report: dict[str, Any] = {"benchmark": "close_latency", "target_s": TARGET_S,
                              "cores": os.cpu_count(), "runs": {}}
    for loaded in (False,) if args.no_hog else (False, True):
        stop = multiprocessing.Event()
        proc = multiprocessing.Process(target=hog, args=(stop,), daemon=True)
        if loaded:
            proc.start()
        try:
            report["runs"]["beside_cpu_hog" if loaded else "quiet"] = {
                s: run_state(s) for s in args.states}
        finally:
            stop.set()
            if loaded:
                proc.join()
    times = [(r["close_s"], f"{run}/{s}") for run, states in report["runs"].items()
             for s, r in states.items() if "close_s" in r]
    worst = max(times) if times else (float("nan"), "")
    report["max_s"], report["worst"] = worst
    idle = [r["close_s"] for states in report["runs"].values()
            for s, r in states.items() if s == "idle" and "close_s" in r]
    report["reference_idle_s"] = max(idle) if idle else None
    report["ratio_max_to_target"] = round(worst[0] / TARGET_S, 3)
    report["all_checkpointed"] = all(r.get("checkpointed", True) and
                                     not r.get("temp_files_left", 0)
                                     for states in report["runs"].values()
                                     for r in states.values())
    report["errors"] = {f"{run}/{s}": r["error"] for run, states in report["runs"].items()
                        for s, r in states.items() if "error" in r}
    print(json.dumps(report))


if __name__ == "__main__":
    main()
