"""Toy runs on disk: checkpoints round-trip every family; the run folder; the metrics."""

import json

import numpy as np
import pytest

from models.checkpoint.errors import CheckpointError
from models.toy.data import toy_dataset
from models.toy.families import TOY_FAMILIES, build_toy
from models.toy.run import (
    evaluate_toy,
    is_toy_checkpoint,
    load_toy_checkpoint,
    save_toy_checkpoint,
    train_toy_run,
)

pytestmark = pytest.mark.usefixtures("one_thread")
TINY = dict(hidden=8, layers=1, batch=16)
EXTRA = {"diffusion": dict(timesteps=5), "score": dict(levels=2, steps_per_level=2),
         "flow": dict(couplings=2), "ebm": dict(chain_steps=2, buffer=32, sample_steps=2),
         "gan": dict(d_hidden=8)}


@pytest.mark.parametrize("family", TOY_FAMILIES)
def test_a_saved_toy_model_samples_the_same_after_loading(family, tmp_path) -> None:
    data = toy_dataset("moons", 300, seed=2)
    model = build_toy(family, data, seed=5, **TINY, **EXTRA.get(family, {}))
    list(model.run(3))
    save_toy_checkpoint(model, tmp_path / "ckpt", data_seed=2, data_size=300)
    assert is_toy_checkpoint(tmp_path / "ckpt")
    loaded = load_toy_checkpoint(tmp_path / "ckpt")
    assert loaded.family == family and loaded.steps == 3
    np.testing.assert_array_equal(loaded.sample(40, seed=1), model.sample(40, seed=1))


def test_train_toy_run_writes_the_run_folder_and_saves_when_closed_early(tmp_path) -> None:
    model = build_toy("vae", toy_dataset("8gaussians", 500), **TINY)
    events = train_toy_run(model, tmp_path / "run", steps=100, data_seed=0, data_size=500,
                           log_every=5)
    for event in events:
        if event.step == 12:
            break
    events.close()
    run = json.loads((tmp_path / "run" / "run.json").read_text())
    assert run["family"] == "vae" and run["dataset"] == "toy:8gaussians"
    lines = [json.loads(x) for x in (tmp_path / "run" / "metrics.jsonl").read_text().splitlines()]
    assert [x["step"] for x in lines if "neg_elbo" in x] == [5, 10]
    assert lines[-1] == {"event": "saved", "step": 12, "checkpoint": "checkpoints/last"}
    assert load_toy_checkpoint(tmp_path / "run").steps == 12


def test_a_non_toy_or_broken_checkpoint_is_refused(tmp_path) -> None:
    (tmp_path / "config.json").write_text('{"kind": "latentlab-toy", "family": "nope"}')
    assert is_toy_checkpoint(tmp_path)
    with pytest.raises(CheckpointError, match="unknown toy family"):
        load_toy_checkpoint(tmp_path)
    other = tmp_path / "other"
    other.mkdir()
    (other / "config.json").write_text('{"family": "vae"}')
    assert not is_toy_checkpoint(other)


def test_evaluation_reports_modes_grid_and_likelihoods() -> None:
    flow = build_toy("flow", toy_dataset("8gaussians", 500), **TINY, couplings=2)
    report = evaluate_toy(flow, n=2000)
    assert report["modes"] == 8 and 0 <= report["modes_covered"] <= 8
    assert report["grid"]["bins"] == 48 and report["grid_js"] <= np.log(2)
    assert np.isfinite(report["log_likelihood"])
    vae = build_toy("vae", toy_dataset("moons", 500), **TINY)
    report = evaluate_toy(vae, n=2000)
    assert "modes_covered" not in report and "lower bound" in report["elbo_note"]
