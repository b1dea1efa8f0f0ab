"""The trainer: events, determinism, resume, stop, NaN detection and the run folder."""

import json
from pathlib import Path

import numpy as np
import pytest

from models.autoencoders.config import ConvVAEConfig, VAEConfig
from models.checkpoint import load_checkpoint
from models.training import (
    EpochEnd,
    Trainer,
    TrainFailed,
    TrainFinished,
    TrainStarted,
    TrainStep,
    TrainStopped,
)
from tests.models.helpers import DATA, quick_train, small_mnist

VAE = VAEConfig(latent_dim=2, hidden_dims=(64,))


def losses_of(events: list) -> list[float]:
    return [e.metrics["loss"] for e in events if isinstance(e, TrainStep)]


def make(tmp: Path, epochs: int = 2, offload: bool | None = None, **train: object) -> Trainer:
    """Return a small VAE trainer; `offload` forces where epoch checkpoints are serialised
    (True: a copy, on the writer thread, as with a free core), else the machine decides."""
    trainer = Trainer("vae", VAE, quick_train(epochs=epochs, **train), DATA, tmp,
                      dataset=small_mnist(256))
    if offload is not None:
        trainer._offload = offload
    return trainer


both_ways = pytest.mark.parametrize("offload", [False, True], ids=["here", "on-writer"])


def test_run_yields_started_steps_epoch_ends_and_finished(tmp_path: Path) -> None:
    events = list(make(tmp_path).run())
    assert isinstance(events[0], TrainStarted) and isinstance(events[-1], TrainFinished)
    started = events[0]
    steps = [e for e in events if isinstance(e, TrainStep)]
    ends = [e for e in events if isinstance(e, EpochEnd)]
    assert len(steps) == started.total_steps == 2 * started.steps_per_epoch
    assert [e.epoch for e in ends] == [1, 2]
    end = ends[-1]
    assert end.preview.dtype == np.uint8 and end.preview.ndim == 3
    assert end.reconstructions is not None and end.reconstructions.dtype == np.uint8
    assert end.arrays["kl_per_dim"].shape == (2,)
    assert set(end.val_metrics) == {"loss", "recon", "kl"}
    assert steps[-1].images_per_s > 0


@both_ways
def test_run_folder_has_run_json_metrics_samples_and_checkpoints(tmp_path: Path,
                                                                 offload: bool) -> None:
    list(make(tmp_path, offload=offload, keep_epoch_checkpoints=True).run())
    info = json.loads((tmp_path / "run.json").read_text())
    assert info["family"] == "vae" and info["seed"] == 0 and "torch" in info["versions"]
    lines = [json.loads(x) for x in (tmp_path / "metrics.jsonl").read_text().splitlines()]
    assert [x["epoch"] for x in lines if x["kind"] == "epoch"] == [1, 2]
    assert sum(x["kind"] == "step" for x in lines) == 8
    assert (tmp_path / "samples" / "epoch-0002.png").is_file()
    files = {p.name for p in (tmp_path / "checkpoints" / "last").iterdir()}
    assert files == {"config.json", "model.safetensors", "training_state.json",
                     "training_state.safetensors"}
    for name in ("epoch-1", "epoch-2"):  # past epochs keep weights, not optimiser state
        files = {p.name for p in (tmp_path / "checkpoints" / name).iterdir()}
        assert files == {"config.json", "model.safetensors"}
        assert load_checkpoint(tmp_path / "checkpoints" / name).progress["epoch"] == int(name[-1])


def test_same_seed_gives_identical_losses(tmp_path: Path) -> None:
    a = losses_of(list(make(tmp_path / "a").run()))
    b = losses_of(list(make(tmp_path / "b").run()))
    c = losses_of(list(make(tmp_path / "c", seed=1).run()))
    assert a == b
    assert a != c


@both_ways
@pytest.mark.parametrize("stop_after", [3, 4, 6])  # mid-epoch, at a boundary, epoch 2
def test_resume_equals_an_uninterrupted_run(tmp_path: Path, stop_after: int,
                                            offload: bool) -> None:
    whole = list(make(tmp_path / "whole", epochs=3, offload=offload).run())
    trainer = make(tmp_path / "cut", epochs=3, offload=offload)
    first = []
    for event in trainer.run():
        first.append(event)
        if isinstance(event, TrainStep) and event.step == stop_after:
            trainer.request_stop()
    assert isinstance(first[-1], TrainStopped)
    resumed = Trainer.resume(tmp_path / "cut", dataset=small_mnist(256))
    second = list(resumed.run())
    assert losses_of(first) + losses_of(second) == losses_of(whole)
    final_a = next(e for e in whole if isinstance(e, TrainFinished)).val_metrics
    final_b = next(e for e in second if isinstance(e, TrainFinished)).val_metrics
    assert final_a == final_b
    steps_logged = [json.loads(x)["step"] for x in
                    (tmp_path / "cut" / "metrics.jsonl").read_text().splitlines()
                    if json.loads(x)["kind"] == "step"]
    assert steps_logged == list(range(1, 13))


def test_closing_the_generator_saves_the_progress(tmp_path: Path) -> None:
    gen = make(tmp_path, epochs=2).run()
    for event in gen:
        if isinstance(event, TrainStep) and event.step == 2:
            break
    gen.close()
    loaded = load_checkpoint(tmp_path)
    assert loaded.progress["step"] == 2 and loaded.progress["epoch"] == 0


def test_absurd_learning_rate_stops_with_a_clear_event_and_keeps_the_last_good(
        tmp_path: Path) -> None:
    good = make(tmp_path, epochs=1)
    list(good.run())
    before = (tmp_path / "checkpoints" / "last" / "model.safetensors").read_bytes()
    bad = Trainer.resume(tmp_path, epochs=3, dataset=small_mnist(256))
    bad.optimizers["model"].param_groups[0]["lr"] = 1e9
    events = list(bad.run())
    failed = events[-1]
    assert isinstance(failed, TrainFailed)
    assert "lower learning rate" in failed.reason and ("nan" in failed.reason
                                                      or "inf" in failed.reason)
    assert failed.step <= 8
    assert failed.last_good_checkpoint == tmp_path / "checkpoints" / "last"
    assert (tmp_path / "checkpoints" / "last" / "model.safetensors").read_bytes() == before
    assert load_checkpoint(tmp_path).progress["epoch"] == 1


def test_nan_from_the_first_steps_is_detected(tmp_path: Path) -> None:
    trainer = make(tmp_path, epochs=1)
    trainer.optimizers["model"].param_groups[0]["lr"] = 1e9  # beyond what the form allows
    events = list(trainer.run())
    assert isinstance(events[-1], TrainFailed)
    assert events[-1].last_good_checkpoint is None


def test_conv_vae_trains_on_three_channel_images(tmp_path: Path) -> None:
    from models.config import DataConfig

    ds = small_mnist(64)
    from models.data.transforms import convert_channels, resize

    rgb = ds.__class__("rgb", resize(convert_channels(ds.images, 3), 32), ds.labels,
                       ds.class_names)
    trainer = Trainer("conv-vae", ConvVAEConfig(conv_channels=(4, 8), fc_dim=16),
                      quick_train(batch_size=32), DataConfig(), tmp_path, dataset=rgb)
    events = list(trainer.run())
    assert isinstance(events[-1], TrainFinished)
    assert trainer.model.config.channels == 3 and trainer.model.config.image_size == 32


def test_kl_bars_average_the_whole_validation_split(tmp_path: Path) -> None:
    from models.training.validation import validation_pass

    trainer = make(tmp_path, epochs=1)
    last = [e for e in trainer.run() if isinstance(e, EpochEnd)][-1]
    model = load_checkpoint(tmp_path).model
    val_x = trainer.split.val_x.float()
    scalars, arrays = validation_pass(model, [(val_x, trainer.split.val_y)])
    assert trainer.split.n_val == len(val_x) > 0
    np.testing.assert_allclose(last.arrays["kl_per_dim"], arrays["kl_per_dim"], rtol=1e-5)
    assert last.arrays["kl_per_dim"].sum() == pytest.approx(last.val_metrics["kl"], rel=1e-5)
    assert scalars["kl"] == pytest.approx(last.val_metrics["kl"], rel=1e-5)


@both_ways
def test_every_epoch_end_names_a_loadable_checkpoint(tmp_path: Path, offload: bool) -> None:
    epochs = []
    for event in make(tmp_path, epochs=3, offload=offload, keep_epoch_checkpoints=True).run():
        if isinstance(event, EpochEnd):
            # The commit may still be running: `last` is then the previous epoch's.
            epochs.append(load_checkpoint(event.checkpoint).progress["epoch"])
            assert epochs[-1] in (event.epoch - 1, event.epoch)
        if isinstance(event, TrainFinished):
            assert load_checkpoint(event.checkpoint).progress["epoch"] == 3
    assert epochs[0] == 1  # the first save is waited for: `last` exists from then on
    assert sorted(p.name for p in (tmp_path / "checkpoints").iterdir()) == [
        "epoch-1", "epoch-2", "epoch-3", "last"]


@both_ways
def test_a_checkpoint_that_cannot_be_written_stops_the_run_with_the_error(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch, offload: bool) -> None:
    from models.checkpoint.atomic import StagedFolder

    real_commit = StagedFolder.commit
    commits = []

    def full_after_first(self: StagedFolder) -> Path:
        commits.append(self.target)
        if len(commits) > 1:
            self.discard()
            raise OSError(28, "No space left on device")
        return real_commit(self)

    monkeypatch.setattr(StagedFolder, "commit", full_after_first)
    events = []
    with pytest.raises(OSError, match="No space left"):
        for event in make(tmp_path, epochs=4, offload=offload).run():
            events.append(event)
    assert sum(isinstance(e, EpochEnd) for e in events) >= 1
    assert not any(isinstance(e, TrainFinished) for e in events)
    assert load_checkpoint(tmp_path).progress["epoch"] == 1


def test_a_stop_during_validation_ends_the_epoch_end_and_saves_its_steps(
        tmp_path: Path) -> None:
    trainer = make(tmp_path, epochs=2)
    real = trainer.model.validation_step

    def validation_step(x, y):  # the stop lands while the first batch is validated
        trainer.request_stop()
        return real(x, y)

    trainer.model.validation_step = validation_step
    trainer.train = trainer.train.replace(batch_size=64)  # two validation batches of 256
    events = list(trainer.run())
    assert isinstance(events[-1], TrainStopped)
    assert not [e for e in events if isinstance(e, EpochEnd)]
    assert events[-1].step == trainer.steps_per_epoch and events[-1].epoch == 0
    saved = load_checkpoint(tmp_path / "checkpoints" / "last")
    assert saved.progress["step"] == trainer.steps_per_epoch and saved.progress["epoch"] == 0
