"""scripts/precompute_pictures.py and its map writer: the map job's own computation, saved
so it loads back; nothing for a model without a latent map."""

from __future__ import annotations

import importlib.util
import json
from pathlib import Path
from types import SimpleNamespace

import numpy as np
import pytest
import torch

from models.autoencoders.config import VAEConfig
from models.checkpoint import save_checkpoint
from models.config import DataConfig
from models.latent.map_compute import compute_map
from models.opened import open_model
from models.pictures import map_writer
from models.pictures.map_file import load_map
from models.registry import build_model

ROOT = Path(__file__).resolve().parents[2]
pytestmark = pytest.mark.usefixtures("one_thread")


def _script() -> object:
    spec = importlib.util.spec_from_file_location(
        "precompute_pictures", ROOT / "scripts" / "precompute_pictures.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_the_script_writes_the_map_the_map_job_computes(tmp_path, monkeypatch, capsys) -> None:
    torch.manual_seed(0)
    ck = save_checkpoint(tmp_path / "vae", build_model("vae", VAEConfig(
        latent_dim=3, hidden_dims=(16,))), data=DataConfig(dataset="mnist5k"),
        class_names=tuple("0123456789"), progress={"epoch": 2})
    # t-SNE and UMAP run in child processes for seconds: stand-ins mark which is which.
    monkeypatch.setattr(map_writer, "embedding_positions",
                        lambda method, means: (means[:, :2] * len(method)).astype(np.float32))
    records = _script().precompute(ck)
    line = json.loads(capsys.readouterr().out.strip())
    assert records == [line] and line["path"] == str(ck / "precomputed" / "map.npz")
    assert line["bytes"] == Path(line["path"]).stat().st_size and line["seconds"] >= 0
    pm = load_map(ck)
    model = open_model(ck)
    from models.data import load_dataset

    expected = [ev for ev in compute_map(model, model.inference_copy(), load_dataset)][-1]
    np.testing.assert_allclose(pm.contents.means, expected.means, atol=1e-6)
    np.testing.assert_array_equal(pm.contents.labels, expected.labels)
    np.testing.assert_array_equal(pm.contents.images, expected.images)
    np.testing.assert_allclose(pm.contents.kl_per_dim, expected.kl_per_dim, rtol=1e-5)
    assert (pm.contents.family, pm.contents.epoch) == ("vae", 2)
    np.testing.assert_allclose(pm.projections["t-SNE"], pm.contents.means[:, :2] * 5)
    np.testing.assert_allclose(pm.projections["UMAP"], pm.contents.means[:, :2] * 4)


def test_a_model_without_a_latent_map_gets_no_file(tmp_path) -> None:
    diffusion = SimpleNamespace(capabilities=SimpleNamespace(is_diffusion=True,
                                                             can_encode=False))
    assert map_writer.write_map(tmp_path, diffusion) is None
    assert not (tmp_path / "precomputed").exists()
