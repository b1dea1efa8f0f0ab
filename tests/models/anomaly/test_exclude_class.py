"""`--exclude-class K`: the class is gone from training and validation, recorded in the
run, and refused in one line when it cannot be excluded."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest

from app.cli import main
from app.cli.parser import build_parser
from models.config import DataConfig
from models.data import DataError, ImageDataset, load_dataset
from models.data.exclusion import exclude_classes
from tests.models.helpers import quick_train, random_dataset


def test_excluding_a_class_removes_its_images_and_keeps_the_others() -> None:
    whole = load_dataset("digits")
    kept = load_dataset(DataConfig(dataset="digits", exclude_class=(7,)))
    assert 7 not in set(kept.labels.tolist())
    assert len(kept) == len(whole) - int((whole.labels == 7).sum())
    for k in (0, 3, 9):
        assert (kept.labels == k).sum() == (whole.labels == k).sum()
    assert kept.class_names == whole.class_names  # indices and the class count stay


def test_several_classes_are_excluded_together() -> None:
    ds = random_dataset(n=40)
    kept = exclude_classes(ds, (3, 7, 3))
    assert set(kept.labels.tolist()) == set(range(10)) - {3, 7}
    assert len(kept) == 32


@pytest.mark.parametrize("classes, words", [((10,), "out of range"),
                                            (tuple(range(10)), "leaves no class")])
def test_a_class_out_of_range_is_one_line_error(classes: tuple[int, ...], words: str) -> None:
    with pytest.raises(DataError, match=words) as info:
        exclude_classes(random_dataset(n=20), classes)
    assert "\n" not in str(info.value)


def test_unlabelled_images_cannot_have_a_class_excluded() -> None:
    ds = random_dataset(n=8)
    unlabelled = ImageDataset("folder:/pictures", ds.images, np.full(8, -1), ())
    with pytest.raises(DataError, match="needs labelled images"):
        exclude_classes(unlabelled, (0,))


def test_training_and_validation_splits_hold_no_excluded_image(tmp_path: Path) -> None:
    from models.autoencoders.config import AEConfig
    from models.training.trainer import Trainer

    data = DataConfig(dataset="digits", exclude_class=(7,))
    trainer = Trainer("ae", AEConfig(latent_dim=2, hidden_dims=(8,)), quick_train(), data,
                      tmp_path / "run")
    labels = np.concatenate([trainer.split.train_y.numpy(), trainer.split.val_y.numpy()])
    assert 7 not in set(labels.tolist()) and len(labels) == len(load_dataset(data))
    assert trainer.model_config.num_classes == 10


def test_the_option_repeats_and_takes_comma_lists() -> None:
    args = build_parser().parse_args(["train", "--model", "vae", "--out", "run",
                                      "--exclude-class", "3,7", "--exclude-class", "1"])
    assert args.exclude_class == [3, 7, 1]


@pytest.mark.parametrize("value", ["x", "-1", "3,,7"])
def test_a_bad_class_is_a_usage_error(value: str, capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as info:
        main(["train", "--model", "vae", "--out", "run", f"--exclude-class={value}"])
    assert info.value.code == 2
    assert len(capsys.readouterr().err.strip().splitlines()) == 1


@pytest.mark.usefixtures("one_thread")
def test_the_run_records_the_excluded_class(tmp_path: Path,
                                            capsys: pytest.CaptureFixture[str]) -> None:
    out = tmp_path / "run"
    assert main(["train", "--model", "ae", "--dataset", "digits", "--latent-dim", "2",
                 "--hidden-dims", "8", "--epochs", "1", "--device", "cpu",
                 "--preview-n", "4", "--exclude-class", "7", "--out", str(out)]) == 0
    run = json.loads((out / "run.json").read_text())
    config = json.loads((out / "checkpoints" / "last" / "config.json").read_text())
    assert run["data"]["exclude_class"] == [7] == config["data"]["exclude_class"]


def test_a_class_the_dataset_lacks_fails_training_in_one_line(
        tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code = main(["train", "--model", "ae", "--dataset", "digits", "--epochs", "1",
                 "--exclude-class", "12", "--out", str(tmp_path / "run")])
    err = capsys.readouterr().err.strip().splitlines()
    assert code == 1 and err == ["error: --exclude-class 12 is out of range: 'digits' has "
                                 "classes 0 to 9"]
