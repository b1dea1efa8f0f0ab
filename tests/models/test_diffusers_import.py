"""diffusers is first touched from several threads at once without failing."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

# A fresh interpreter: in this one diffusers is already imported by other tests.
RACE = """
import threading
from models.diffusion.schedule import NoiseSchedule
from models.diffusion.unet import build_unet

UNET = {"sample_size": 8, "in_channels": 1, "out_channels": 1, "block_out_channels": (4, 8),
        "norm_num_groups": 4, "down_block_types": ("DownBlock2D", "DownBlock2D"),
        "up_block_types": ("UpBlock2D", "UpBlock2D")}
errors = []

def run(make):
    try:
        make()
    except Exception as exc:
        errors.append(repr(exc))

jobs = [lambda: NoiseSchedule({"num_train_timesteps": 10}), lambda: build_unet(UNET)] * 2
threads = [threading.Thread(target=run, args=(job,)) for job in jobs]
for t in threads:
    t.start()
for t in threads:
    t.join()
print("errors:", errors)
"""


def test_two_threads_importing_diffusers_first_both_succeed() -> None:
    root = Path(__file__).resolve().parents[2]
    out = subprocess.run([sys.executable, "-c", RACE], cwd=root, capture_output=True,
                         text=True, timeout=300)
    assert out.returncode == 0, out.stderr[-2000:]
    assert "errors: []" in out.stdout, out.stdout
