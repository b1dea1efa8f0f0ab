"""A checkpoint's recorded trajectory (models/pictures/trajectory_file.py): the viewer's
default run written once, read back with numpy, refused once the weights change."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
import torch

from models.checkpoint import save_checkpoint
from models.config import DataConfig
from models.diffusion.model import DDPM, ConditionalDDPM
from models.pictures.trajectory_file import (
    MAX_BYTES,
    STORED_DTYPE,
    VIEWER_BATCH,
    load_cached_trajectory,
    recorded_batch,
    trajectory_path,
    write_cached_trajectory,
)
from tests.models.test_diffusion import tiny

pytestmark = pytest.mark.usefixtures("one_thread")  # tiny models: one torch thread


def _saved(folder: Path, cls: type[DDPM] = ConditionalDDPM) -> tuple[Path, DDPM]:
    extra = {"guidance": 2.0} if cls is ConditionalDDPM else {}
    model = tiny(cls, sample_steps=5, **extra)
    names = ("a", "b", "c") if cls is ConditionalDDPM else ()
    return save_checkpoint(folder, model, data=DataConfig(dataset="digits"),
                           class_names=names), model


def test_the_recording_replays_the_viewers_default_run_one_sample_per_class(
        tmp_path: Path) -> None:
    folder, model = _saved(tmp_path / "cddpm")
    path = write_cached_trajectory(folder, model)
    assert path == trajectory_path(folder) and path.is_file()
    traj = load_cached_trajectory(folder)
    assert traj is not None
    assert traj.x_t.dtype == np.float32 and traj.x_t.shape[:2] == (5, 3)
    assert traj.meta["seed"] == 0 and traj.meta["sampler"] == model.config.sampler
    assert traj.meta["steps"] == 5 and traj.meta["guidance"] == 2.0
    assert traj.meta["labels"] == [0, 1, 2]
    with torch.no_grad():
        events = list(model.trajectory(3, 0, sampler=model.config.sampler, steps=5, eta=0.0,
                                       labels=[0, 1, 2], guidance=2.0))
    # float16 on disk: the pictures are the same to well under one grey level in 255.
    np.testing.assert_allclose(traj.final, events[-1].x0, atol=2e-3)
    np.testing.assert_allclose(traj.x_t[2], events[2].x_t, atol=2e-3)
    with np.load(path) as z:
        assert z["x_t"].dtype == STORED_DTYPE


def test_the_precompute_scripts_opened_model_is_recorded_the_same(tmp_path: Path) -> None:
    from models.opened import open_model

    folder, model = _saved(tmp_path / "cddpm")
    write_cached_trajectory(folder, model)
    direct = load_cached_trajectory(folder)
    assert write_cached_trajectory(folder, open_model(folder)) is not None
    again = load_cached_trajectory(folder)
    assert direct is not None and again is not None
    # The same weights (the checkpoint's), the same run, the same file.
    np.testing.assert_array_equal(again.final, direct.final)
    assert again.meta == direct.meta


def test_an_unconditional_model_records_the_viewers_batch(tmp_path: Path) -> None:
    folder, model = _saved(tmp_path / "ddpm", DDPM)
    write_cached_trajectory(folder, model)
    traj = load_cached_trajectory(folder)
    assert traj is not None and traj.x_t.shape[1] == VIEWER_BATCH
    assert traj.meta["labels"] is None and traj.meta["guidance"] is None


def test_other_weights_make_the_recording_stale(tmp_path: Path) -> None:
    folder, model = _saved(tmp_path / "cddpm")
    write_cached_trajectory(folder, model)
    weights = folder / "unet" / "diffusion_pytorch_model.safetensors"
    data = bytearray(weights.read_bytes())
    data[-1] ^= 0xFF  # one weight's last byte: the file still loads, the weights differ
    weights.write_bytes(bytes(data))
    assert load_cached_trajectory(folder) is None


def test_a_missing_or_damaged_recording_is_none(tmp_path: Path) -> None:
    folder, model = _saved(tmp_path / "cddpm")
    assert load_cached_trajectory(folder) is None
    path = write_cached_trajectory(folder, model)
    assert path is not None
    whole = path.read_bytes()
    path.write_bytes(whole[: len(whole) // 2])
    assert load_cached_trajectory(folder) is None
    path.write_bytes(b"not a zip file at all")
    assert load_cached_trajectory(folder) is None


def test_a_model_that_is_not_diffusion_gets_no_recording(tmp_path: Path) -> None:
    from models.opened import open_model
    from models.registry import build_model, config_class

    vae = build_model("vae", config_class("vae")(latent_dim=2, hidden_dims=(8,)))
    folder = save_checkpoint(tmp_path / "vae", vae)
    assert write_cached_trajectory(folder, vae) is None
    assert write_cached_trajectory(folder, open_model(folder)) is None
    assert not trajectory_path(folder).exists()


def test_long_or_large_runs_record_fewer_samples_to_stay_small() -> None:
    assert recorded_batch(True, 10, 25, 1, 28) == 10
    n = recorded_batch(False, 0, 1000, 3, 64)
    assert 1 <= n < VIEWER_BATCH
    per_sample = 3 * 1001 * 3 * 64 * 64 * np.dtype(STORED_DTYPE).itemsize
    assert n == 1 or n * per_sample <= MAX_BYTES
