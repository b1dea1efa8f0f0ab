"""Flow and EBM checkpoints saved before the spline/short-run defaults still load as they
were trained (a config field missing from config.json takes its value of that time)."""

import json
from pathlib import Path

import numpy as np
import pytest

from models.toy.data import toy_dataset
from models.toy.ebm import ToyEBM, ToyEBMConfig
from models.toy.flow import ToyFlow, ToyFlowConfig
from models.toy.run import load_toy_checkpoint, save_toy_checkpoint

RING = toy_dataset("8gaussians", 300)
OLD = [
    (lambda: ToyFlow(ToyFlowConfig(couplings=2, hidden=8, coupling="affine"), RING),
     ["coupling", "rotate", "bins", "spline_bound"], "log_prob"),
    (lambda: ToyEBM(ToyEBMConfig(hidden=8, layers=2, buffer=64, batch=32, ema=0.0,
                                 sample_steps=3), RING),
     ["ema", "sample_step_start"], "energy_at"),
]


@pytest.mark.parametrize("make, added, view", OLD, ids=["flow", "ebm"])
def test_a_checkpoint_without_the_new_fields_loads_the_model_it_was(
        make, added, view, tmp_path: Path) -> None:
    model = make()
    list(model.run(3))
    folder = save_toy_checkpoint(model, tmp_path / "last", data_seed=0, data_size=300)
    config_file = folder / "config.json"
    info = json.loads(config_file.read_text())
    for field in added:
        del info["config"][field]
    config_file.write_text(json.dumps(info))
    loaded = load_toy_checkpoint(folder)
    points = RING.points[:50]
    np.testing.assert_allclose(getattr(loaded, view)(points), getattr(model, view)(points),
                               rtol=1e-6)
