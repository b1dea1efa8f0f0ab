"""`latentlab sample`, `eval` and `info` on a stylegan checkpoint; `--psi` truncation."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from app.cli import main
from models.registry import config_class
from tests.models.helpers import DATA, quick_train, small_mnist

TINY = {"z_dim": 4, "w_dim": 4, "mapping_layers": 1, "g_channels": (8, 4, 4, 4),
        "d_channels": (4, 4, 4)}


@pytest.fixture(scope="module")
def run(tmp_path_factory: pytest.TempPathFactory) -> Path:
    from models.training import Trainer

    folder = tmp_path_factory.mktemp("stylegan") / "run"
    list(Trainer("stylegan", config_class("stylegan")(**TINY), quick_train(batch_size=32), DATA,
                 folder, dataset=small_mnist(64)).run())
    return folder


def tiles(path: Path) -> list[np.ndarray]:
    grid = np.asarray(Image.open(path).convert("L"))
    step = 28 + 2  # make_grid's 2-px padding
    return [grid[2 + r * step:2 + r * step + 28, 2 + c * step:2 + c * step + 28]
            for r in range(2) for c in range(2)]


def test_sample_psi_0_draws_the_mean_image_every_time(run: Path, tmp_path: Path,
                                                       capsys: pytest.CaptureFixture[str]
                                                       ) -> None:
    capsys.readouterr()
    out = tmp_path / "mean.png"
    assert main(["sample", "--checkpoint", str(run), "--n", "4", "--psi", "0",
                 "--out", str(out)]) == 0
    assert json.loads(capsys.readouterr().out)["psi"] == 0.0
    first, *rest = tiles(out)
    assert all(np.array_equal(first, t) for t in rest)
    assert main(["sample", "--checkpoint", str(run), "--n", "4", "--out",
                 str(tmp_path / "plain.png")]) == 0
    assert json.loads(capsys.readouterr().out)["psi"] == 1.0
    first, *rest = tiles(tmp_path / "plain.png")
    assert not all(np.array_equal(first, t) for t in rest)


def test_eval_and_info_describe_a_stylegan_checkpoint(run: Path,
                                                      capsys: pytest.CaptureFixture[str]
                                                      ) -> None:
    capsys.readouterr()
    assert main(["eval", "--checkpoint", str(run), "--device", "cpu", "--n", "30"]) == 0
    result = json.loads(capsys.readouterr().out)
    assert result["family"] == "stylegan" and np.isfinite(result["val"]["loss"])
    assert result["sample_quality"]["available"] and result["sample_quality"]["fd"] > 0
    assert main(["info", "--checkpoint", str(run)]) == 0
    info = json.loads(capsys.readouterr().out)
    assert info["family"] == "stylegan" and info["capabilities"]["latent_shape"] == [4]


def test_psi_on_another_family_is_a_usage_error(tmp_path: Path) -> None:
    from models.checkpoint import save_checkpoint
    from models.registry import build_model

    folder = save_checkpoint(tmp_path / "dcgan", build_model(
        "dcgan", config_class("dcgan")(latent_dim=3, g_width=4, d_width=4)))
    with pytest.raises(SystemExit) as exc:
        main(["sample", "--checkpoint", str(folder), "--psi", "0.5",
              "--out", str(tmp_path / "x.png")])
    assert exc.value.code == 2
