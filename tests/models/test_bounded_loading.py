"""Loading is bounded: a small hostile config.json or unet/config.json is refused before
anything is allocated for the model it describes, and every family still round-trips."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
import torch

from models.checkpoint import load_checkpoint
from models.checkpoint.bounds import meta_state
from models.registry import FAMILIES, build_model, config_class
from tests.models.checkpoint_files import (
    HOSTILE_HIDDEN,
    HOSTILE_UNET,
    claiming_header,
    edit_json,
    edit_model,
    foreign_pipeline,
    tiny_checkpoint,
    write_safetensors,
)

ROOT = Path(__file__).resolve().parents[2]
# Runs in a fresh interpreter under an address-space limit of 2 GiB above what the imports
# and a normal load took, so code that allocated the hostile models fails quickly with an
# error instead of exhausting the machine. Prints one JSON line per case.
PROBE = r"""
import json, resource, sys, time
from models.checkpoint import load_checkpoint
from models.diffusion.pipeline_io import load_diffusers_pipeline

LOADERS = {"checkpoint": load_checkpoint, "pipeline": load_diffusers_pipeline}
warm, cases = json.loads(sys.argv[1])
for kind, path in warm:
    LOADERS[kind](path)
size = next(int(line.split()[1]) for line in open("/proc/self/status")
            if line.startswith("VmSize:")) * 1024
resource.setrlimit(resource.RLIMIT_AS, (size + 2 * 2**30, resource.RLIM_INFINITY))
for kind, path in cases:
    before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    start = time.process_time()  # CPU time: other processes on a busy box do not count
    try:
        LOADERS[kind](path)
        out = {"error": None, "message": ""}
    except BaseException as exc:
        out = {"error": type(exc).__name__, "message": str(exc)}
    out["seconds"] = time.process_time() - start
    out["rss_mb"] = (resource.getrusage(resource.RUSAGE_SELF).ru_maxrss - before) / 1024
    print(json.dumps(out), flush=True)
"""


def probe(warm: list[tuple[str, Path]], cases: list[tuple[str, Path]]) -> list[dict]:
    """Return what loading each case did in a fresh, memory-limited interpreter."""
    arg = json.dumps([[(k, str(p)) for k, p in warm], [(k, str(p)) for k, p in cases]])
    env = {**os.environ, "PYTHONPATH": str(ROOT), "OMP_NUM_THREADS": "1",
           "MALLOC_ARENA_MAX": "2"}
    done = subprocess.run([sys.executable, "-c", PROBE, arg], capture_output=True, text=True,
                          env=env, timeout=300, cwd=ROOT)
    assert done.returncode == 0, done.stderr[-2000:]
    return [json.loads(line) for line in done.stdout.splitlines() if line.startswith("{")]


def test_hostile_configs_are_refused_fast_without_allocating(tmp_path: Path) -> None:
    vae = tiny_checkpoint(tmp_path / "vae", "vae")
    ddpm = tiny_checkpoint(tmp_path / "ddpm", "ddpm")
    # 1. config.json asks for ~80 GiB of MLP, model.safetensors holds a few KB.
    big = tiny_checkpoint(tmp_path / "big", "vae")
    edit_model(big, hidden_dims=HOSTILE_HIDDEN)
    assert (big / "config.json").stat().st_size < 1024
    # 2. ...and its header claims exactly those tensors, which lie far past the file's end.
    claims = tiny_checkpoint(tmp_path / "claims", "vae")
    edit_model(claims, hidden_dims=HOSTILE_HIDDEN)
    cfg = config_class("vae")(**{**json.loads((claims / "config.json").read_text())["model"],
                                 "hidden_dims": tuple(HOSTILE_HIDDEN)})
    state = meta_state(lambda: build_model("vae", cfg), claims / "config.json")
    write_safetensors(claims / "model.safetensors", claiming_header(state), b"\0" * 64)
    # 3. our ddpm checkpoint whose unet/config.json (never under our field limits) is huge.
    unet = tiny_checkpoint(tmp_path / "unet", "ddpm")
    edit_json(unet / "unet" / "config.json", **{
        **HOSTILE_UNET, "sample_size": 8, "block_out_channels": [4096] * 4,
        "down_block_types": ["DownBlock2D"] * 4, "up_block_types": ["UpBlock2D"] * 4})
    # 4. ...whose scheduler asks for 10^12 timesteps.
    steps = tiny_checkpoint(tmp_path / "steps", "ddpm")
    edit_json(steps / "scheduler" / "scheduler_config.json", num_train_timesteps=10**12)
    # 5. a foreign diffusers folder with a hostile unet/config.json.
    foreign = foreign_pipeline(tmp_path / "foreign", ddpm)
    edit_json(foreign / "unet" / "config.json", **HOSTILE_UNET)

    results = probe([("checkpoint", vae), ("checkpoint", ddpm), ("pipeline", foreign_pipeline(
        tmp_path / "plain", ddpm))], [("checkpoint", big), ("checkpoint", claims),
                                      ("checkpoint", unet), ("checkpoint", steps),
                                      ("pipeline", foreign)])
    named = ["model.safetensors", "model.safetensors", "diffusion_pytorch_model.safetensors",
             "scheduler_config.json", "diffusion_pytorch_model.safetensors"]
    assert len(results) == len(named)
    for out, name in zip(results, named, strict=True):
        assert out["error"] == "CheckpointError", out
        assert name in out["message"] and "\n" not in out["message"], out
        assert out["seconds"] < 1.0, out
        assert out["rss_mb"] < 200, out
    assert "lies outside the file" in results[1]["message"]


@pytest.mark.parametrize("family", FAMILIES)
def test_every_family_round_trips_through_the_header_check(tmp_path: Path, family: str) -> None:
    folder = tiny_checkpoint(tmp_path / "ck", family)
    torch.manual_seed(0)
    original = build_model(family, config_class(family)(**json.loads(
        (folder / "config.json").read_text())["model"]))
    loaded = load_checkpoint(folder).model
    a, b = original.state_dict(), loaded.state_dict()
    assert a.keys() == b.keys()
    assert all(torch.equal(a[k], b[k]) for k in a)


@pytest.mark.parametrize("family", FAMILIES)
def test_every_family_builds_on_the_meta_device(family: str, tmp_path: Path) -> None:
    config = config_class(family)()
    if family in ("ddpm", "cddpm"):
        config = config.replace(preset="gpu")
    state = meta_state(lambda: build_model(family, config), tmp_path / "config.json")
    assert state and all(t.device.type == "meta" for t in state.values())
