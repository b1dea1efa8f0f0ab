"""models/comparison.py: a run's training seconds read from its metrics, and the run folder
found from a checkpoint."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from models.compare_runs import MixedDataError, held_out_indices, plan_runs
from models.comparison import read_training, run_folder
from models.config import DataConfig, TrainConfig
from models.data import split_indices


def _write_run(run: Path, lines: list[str]) -> None:
    run.mkdir(parents=True)
    (run / "run.json").write_text(json.dumps({"family": "ldm", "threads": 1}))
    (run / "metrics.jsonl").write_text("\n".join(lines) + "\n")


def test_training_seconds_are_the_epochs_summed_by_phase_each_epoch_once(tmp_path: Path
                                                                          ) -> None:
    def epoch(n: int, seconds: float, phase: str) -> str:
        return json.dumps({"kind": "epoch", "step": n * 10, "epoch": n, "seconds": seconds,
                           "cpu_seconds": seconds / 2, "phase": phase})

    _write_run(tmp_path / "run", [
        json.dumps({"kind": "step", "step": 1, "epoch": 0.1, "loss": 1.0}),
        epoch(1, 70.0, "autoencoder"),
        epoch(2, 6.0, "diffusion"),
        epoch(2, 5.0, "diffusion"),  # logged again by a resumed run: the last line counts
        '{"kind": "epoch", "epoch": 3, "seco',  # torn by a kill
        epoch(3, 7.0, "diffusion"),
        json.dumps({"kind": "stopped", "step": 30}),
    ])
    training = read_training(tmp_path / "run")
    assert training.seconds_by_phase == {"autoencoder": 70.0, "diffusion": 12.0}
    assert training.epochs_by_phase == {"autoencoder": 1, "diffusion": 2}
    assert (training.seconds, training.epochs, training.threads) == (82.0, 3, 1)
    assert training.cpu_seconds == 41.0


def test_cpu_seconds_are_unknown_when_an_epoch_did_not_count_them(tmp_path: Path) -> None:
    _write_run(tmp_path / "run", [
        json.dumps({"kind": "epoch", "epoch": 1, "seconds": 9.5}),  # an older version's
        json.dumps({"kind": "epoch", "epoch": 2, "seconds": 9.0, "cpu_seconds": 8.0})])
    assert read_training(tmp_path / "run").cpu_seconds is None


def test_a_single_phase_run_counts_as_train(tmp_path: Path) -> None:
    _write_run(tmp_path / "run", [json.dumps({"kind": "epoch", "epoch": 1, "seconds": 9.5})])
    training = read_training(tmp_path / "run")
    assert (training.seconds_by_phase, training.epochs_by_phase) == ({"train": 9.5},
                                                                     {"train": 1})


def test_the_run_folder_is_found_from_a_run_a_checkpoint_in_it_or_a_demo(tmp_path: Path
                                                                         ) -> None:
    run = tmp_path / "run"
    _write_run(run, [])
    last = run / "checkpoints" / "last"
    last.mkdir(parents=True)
    assert run_folder(run, last) == run
    assert run_folder(last, last) == run
    demo = tmp_path / "demo"
    _write_run(demo / "history", [])
    assert run_folder(demo, demo) == demo / "history"
    bare = tmp_path / "bare"
    bare.mkdir()
    assert run_folder(bare, bare) is None


def _saved(folder: Path, data: DataConfig, train: TrainConfig | None = None) -> Path:
    """Return `folder` holding an untrained tiny VAE checkpoint on `data`."""
    from models.checkpoint import save_checkpoint
    from models.registry import build_model, config_class

    model = build_model("vae", config_class("vae")(latent_dim=2, hidden_dims=(8,)))
    return save_checkpoint(folder, model, data=data, train=train)


def test_runs_are_the_same_data_wherever_it_is_kept_and_not_when_shaped_otherwise(
        tmp_path: Path) -> None:
    a = _saved(tmp_path / "a", DataConfig(dataset="mnist5k"))
    b = _saved(tmp_path / "b", DataConfig(dataset="mnist5k", data_root="elsewhere",
                                          download=True))
    assert [p.family for p in plan_runs([a, b])] == ["vae", "vae"]
    c = _saved(tmp_path / "c", DataConfig(dataset="mnist5k", image_size=32))
    with pytest.raises(MixedDataError, match=r"^runs trained on different data cannot be "
                       r"compared: a \(mnist5k\), b \(mnist5k\), c \(mnist5k at 32 px\)$"):
        plan_runs([a, b, c])


def test_bits_per_dim_is_measured_on_the_images_every_run_held_out(tmp_path: Path) -> None:
    data = DataConfig(dataset="mnist5k")
    plans = plan_runs([_saved(tmp_path / "a", data, TrainConfig(seed=0, val_fraction=0.2)),
                       _saved(tmp_path / "b", data, TrainConfig(seed=1, val_fraction=0.2))])
    common = held_out_indices(plans, 1000)
    own = [split_indices(1000, 0.2, seed)[1] for seed in (0, 1)]
    assert set(common) == set(own[0]) & set(own[1]) and 0 < len(common) < 200
    assert list(common) == sorted(common)
    same = plan_runs([tmp_path / "a", tmp_path / "a"])
    assert list(held_out_indices(same, 1000)) == list(own[0])
