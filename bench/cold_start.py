"""Cold start: seconds from process start to the main window's first paint.

Launches `python -m app.cli gui` offscreen with LATENTLAB_EXIT_AFTER_PAINT=1 a few times
and prints one JSON object (median and each run). Target: ≤ 1.5 s; torch not yet imported.

    python bench/cold_start.py [--runs 5]
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def one_run(settings: Path) -> dict:
    """Return {"first_paint_s": float, "torch_imported": bool} from one launch."""
    env = dict(os.environ, QT_QPA_PLATFORM="offscreen", LATENTLAB_EXIT_AFTER_PAINT="1",
               LATENTLAB_SETTINGS=str(settings))
    out = subprocess.run([sys.executable, "-m", "app.cli", "gui"], cwd=ROOT, env=env,
                         capture_output=True, text=True, timeout=120)
    values = dict(line.split("=", 1) for line in out.stdout.splitlines() if "=" in line)
    if "first_paint_s" not in values:
        raise RuntimeError(f"no timing printed: {out.stdout} {out.stderr}")
    return {"first_paint_s": float(values["first_paint_s"]),
            "torch_imported": values.get("torch_imported") == "True"}


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=5)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        runs = [one_run(Path(tmp) / "settings.ini") for _ in range(args.runs)]
    times = [r["first_paint_s"] for r in runs]
    print(json.dumps({"bench": "cold_start", "median_s": round(statistics.median(times), 3),
                      "max_s": round(max(times), 3), "runs_s": [round(t, 3) for t in times],
                      "torch_imported_before_paint": any(r["torch_imported"] for r in runs),
                      "load_avg_1min": round(os.getloadavg()[0], 2),
                      "target_met": statistics.median(times) <= 1.5}))
    return 0


if __name__ == "__main__":
    sys.exit(main())
