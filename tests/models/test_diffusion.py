"""Diffusion family: samplers, recorded trajectories, diffusers parity, pipeline folders, training.

Every UNet here is built from a config with a few channels; nothing is downloaded.
"""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import numpy as np
import pytest
import torch

from models.checkpoint import CheckpointError, load_checkpoint, save_checkpoint
from models.diffusion import CDDPMConfig, DDPMConfig, load_diffusers_pipeline
from models.diffusion.config import SAMPLERS
from models.diffusion.model import DDPM, ConditionalDDPM
from models.diffusion.sampling import DenoiseFinished, DenoiseStep
from models.diffusion.trajectory_io import Trajectory

pytestmark = pytest.mark.usefixtures("one_thread")  # tiny models: one torch thread

TINY = {"image_size": 8, "preset": "custom", "block_channels": (4, 8), "norm_groups": 4}
STEPS = 4


def tiny(cls: type[DDPM] = DDPM, **changes: object) -> DDPM:
    """Return a tiny randomly initialised model (seeded, so every test sees the same one)."""
    torch.manual_seed(0)
    config_cls = CDDPMConfig if cls is ConditionalDDPM else DDPMConfig
    model = cls(config_cls(**{**TINY, "num_classes": 3, **changes}))  # type: ignore[arg-type]
    # A fresh UNet's last conv is zero-initialised: perturb it so outputs are not all 0.
    with torch.no_grad():
        for p in model.unet.parameters():
            p.add_(torch.randn_like(p) * 0.05)
        if model.ema_unet is not None:
            model.ema_unet.load_state_dict(model.unet.state_dict())
    return model.eval()


def ddim_images(loaded: object, batch_size: int, seed: int) -> np.ndarray:
    """Return DDIMPipeline images from the UNet and scheduler config a loaded pipeline holds.

    Our DDIM re-derives ε̂ from the clipped x̂0 (`use_clipped_model_output`), which only
    DDIMPipeline's call takes; DDPMPipeline would sample with the unclipped ε̂.
    """
    from diffusers import DDIMPipeline, DDIMScheduler

    pipe = DDIMPipeline(unet=loaded.unet,  # type: ignore[attr-defined]
                        scheduler=DDIMScheduler.from_config(loaded.scheduler.config))  # type: ignore[attr-defined]
    pipe.set_progress_bar_config(disable=True)
    return pipe(batch_size=batch_size, generator=torch.Generator().manual_seed(seed),
                num_inference_steps=STEPS, output_type="np",
                use_clipped_model_output=True).images




@pytest.fixture(scope="module")
def model() -> DDPM:
    return tiny()


@pytest.mark.parametrize("sampler", SAMPLERS)
def test_trajectory_shapes(model: DDPM, sampler: str) -> None:
    events = list(model.trajectory(3, seed=1, sampler=sampler, steps=STEPS))
    steps, last = events[:-1], events[-1]
    assert [e.index for e in steps] == list(range(STEPS))
    assert all(isinstance(e, DenoiseStep) for e in steps) and isinstance(last, DenoiseFinished)
    for e in steps:
        for arr in (e.x_t, e.eps, e.x0):
            assert arr.shape == (3, 1, 8, 8) and arr.dtype == np.float32
        assert 0.0 < e.alpha_bar <= 1.0
    assert last.x0.shape == (3, 1, 8, 8)
    images = model.sample(3, 1, sampler=sampler, steps=STEPS)
    assert torch.equal(images, model.to_images(last.x0))
    assert float(images.min()) >= 0.0 and float(images.max()) <= 1.0


@pytest.mark.parametrize("preset", ["tiny", "small", "medium", "gpu"])
@pytest.mark.parametrize(("channels", "size", "frame"), [(1, 28, None), (3, 32, 32)])
def test_every_preset_denoises_28_and_32_px(preset: str, channels: int, size: int,
                                             frame: int | None) -> None:
    from models.diffusion.config import UNET_PRESETS

    m = DDPM(DDPMConfig(preset=preset, image_size=size, channels=channels, ema=False))
    levels = len(UNET_PRESETS[preset].block_channels)
    # Three levels halve 28 twice (28→14→7); four need the 28 px frame padded to 32.
    assert m.model_size == (frame or (28 if levels == 3 else 32))
    x = torch.randn(2, *m.image_shape)
    with torch.no_grad():
        out = m.unet(x, torch.tensor([10, 900])).sample
    assert out.shape == x.shape and torch.isfinite(out).all()
    has_attention = any("Attn" in b for b in m.unet.config.down_block_types)
    assert has_attention == (preset == "gpu")


def test_same_seed_same_pictures(model: DDPM) -> None:
    a = model.sample(2, 7, sampler="euler-ancestral", steps=STEPS)
    b = model.sample(2, 7, sampler="euler-ancestral", steps=STEPS)
    c = model.sample(2, 8, sampler="euler-ancestral", steps=STEPS)
    assert torch.equal(a, b) and not torch.equal(a, c)


@pytest.mark.parametrize("prediction_type", ["epsilon", "v_prediction"])
@pytest.mark.parametrize("clip_sample", [True, False])
def test_x0_equals_ddim_pred_original_sample(prediction_type: str, clip_sample: bool) -> None:
    from diffusers import DDIMScheduler

    m = tiny(prediction_type=prediction_type, clip_sample=clip_sample)
    events = list(m.trajectory(2, seed=3, sampler="ddim", steps=STEPS))
    sched = DDIMScheduler.from_config(m.schedule.config)
    sched.set_timesteps(STEPS)
    sample = torch.from_numpy(events[0].x_t)
    with torch.no_grad():
        for e, t in zip(events[:-1], sched.timesteps, strict=True):
            assert np.array_equal(sample.numpy(), e.x_t)
            out = sched.step(m.sampling_unet(sample, t).sample, t, sample,
                             use_clipped_model_output=clip_sample)
            assert np.array_equal(out.pred_original_sample.numpy(), e.x0)
            sample = out.prev_sample


def test_ddim_matches_diffusers_pipeline(model: DDPM) -> None:
    from diffusers import DDIMPipeline, DDIMScheduler

    pipe = DDIMPipeline(unet=model.unet, scheduler=DDIMScheduler.from_config(model.schedule.config))
    pipe.set_progress_bar_config(disable=True)
    theirs = pipe(batch_size=4, generator=torch.Generator().manual_seed(11),
                  num_inference_steps=STEPS, output_type="np",
                  use_clipped_model_output=True).images
    ours = model.sample(4, 11, sampler="ddim", steps=STEPS).permute(0, 2, 3, 1).numpy()
    assert np.abs(ours - theirs).max() <= 1e-5


def test_forward_process_mean_and_variance(model: DDPM) -> None:
    sched = model.schedule
    x0 = torch.rand(2, 1, 8, 8) * 2 - 1
    for t in (0, 250, 999):
        ab = float(sched.alphas_cumprod[t])
        mean, std = sched.q_mean_std(x0, t)
        assert torch.allclose(mean, ab**0.5 * x0) and torch.allclose(std**2, torch.full_like(
            x0, 1 - ab))
        g = torch.Generator().manual_seed(t)
        draws = torch.stack([sched.q_sample(x0, t, generator=g) for _ in range(4000)])
        assert torch.allclose(draws.mean(0), mean, atol=0.07)
        assert torch.allclose(draws.var(0), std**2, atol=0.07)
    curves = sched.curves()
    assert curves.beta.shape == curves.alpha_bar.shape == curves.snr.shape == (1000,)
    assert np.all(np.diff(curves.alpha_bar) < 0) and np.all(np.diff(curves.log_snr) < 0)
    cosine = tiny(beta_schedule="cosine").schedule.curves()
    assert cosine.alpha_bar[500] > curves.alpha_bar[500]  # cosine destroys signal more slowly


def test_saved_checkpoint_loads_in_diffusers(tmp_path: Path) -> None:
    from diffusers import DDPMPipeline

    m = tiny(ema=True)
    with torch.no_grad():  # make the EMA copy differ, so we see which weights unet/ holds
        for p in m.unet.parameters():
            p.add_(0.01)
    folder = save_checkpoint(tmp_path / "ckpt", m)
    pipe = DDPMPipeline.from_pretrained(folder)
    pipe.set_progress_bar_config(disable=True)
    assert all(torch.equal(a, b) for a, b in zip(pipe.unet.state_dict().values(),
                                                 m.ema_unet.state_dict().values(), strict=True))
    theirs = ddim_images(pipe, batch_size=2, seed=5)
    ours = m.sample(2, 5, sampler="ddim", steps=STEPS).permute(0, 2, 3, 1).numpy()
    assert np.abs(ours - theirs).max() <= 1e-5

    back = load_checkpoint(folder).model
    # Another module instance with equal weights agrees to float rounding, not bit for bit.
    assert torch.allclose(back.sample(2, 5, steps=STEPS), m.sample(2, 5, steps=STEPS),
                          atol=1e-5)
    assert all(torch.equal(a, b) for a, b in zip(back.unet.parameters(), m.unet.parameters(),
                                                 strict=True))
    # The same folder without our config.json is a plain diffusers pipeline.
    plain = tmp_path / "plain"
    shutil.copytree(folder / "unet", plain / "unet")
    shutil.copytree(folder / "scheduler", plain / "scheduler")
    shutil.copy(folder / "model_index.json", plain)
    foreign = load_diffusers_pipeline(plain)
    assert foreign.family == "ddpm" and foreign.ema_unet is None
    # It samples as diffusers does; ours re-derives DDIM's noise unless told not to. (Its
    # default sampler is its pipeline's: DDPMPipeline's ddpm; DDIM is asked for here.)
    assert foreign.config.sampler == "ddpm"
    assert torch.allclose(foreign.sample(2, 5, sampler="ddim", steps=STEPS),
                          m.sample(2, 5, sampler="ddim", steps=STEPS, rederive_noise=False),
                          atol=1e-5)
    assert torch.allclose(foreign.sample(2, 5, sampler="ddim", steps=STEPS,
                                         rederive_noise=True),
                          m.sample(2, 5, sampler="ddim", steps=STEPS), atol=1e-5)


def test_padded_preset_samples_like_diffusers(tmp_path: Path) -> None:
    from diffusers import DDPMPipeline

    m = tiny(image_size=10, block_channels=(4, 4, 8))  # 10 px padded to 12 for 3 levels
    assert m.model_size == 12 and m.capabilities.latent_shape == (1, 12, 12)
    pipe = DDPMPipeline.from_pretrained(save_checkpoint(tmp_path / "c", m))
    pipe.set_progress_bar_config(disable=True)
    theirs = ddim_images(pipe, batch_size=2, seed=0)
    ours = m.sample(2, 0, steps=STEPS)
    assert ours.shape == (2, 1, 10, 10)
    assert np.abs(ours.permute(0, 2, 3, 1).numpy() - theirs[:, 1:11, 1:11]).max() <= 1e-5


def test_foreign_pipeline_errors(tmp_path: Path, model: DDPM) -> None:
    with pytest.raises(CheckpointError, match=r"model_index\.json"):
        load_diffusers_pipeline(tmp_path)
    folder = save_checkpoint(tmp_path / "c", model)
    (folder / "config.json").unlink()
    index = json.loads((folder / "model_index.json").read_text())
    (folder / "model_index.json").write_text(json.dumps({**index, "vqvae": ["diffusers",
                                                                            "VQModel"]}))
    with pytest.raises(CheckpointError, match="pixel-space"):
        load_diffusers_pipeline(folder)
    (folder / "model_index.json").write_text(json.dumps(index))
    sched_path = folder / "scheduler" / "scheduler_config.json"
    (sched_path).write_text(json.dumps({"_class_name": "ScoreSdeVeScheduler",
                                        "num_train_timesteps": 2000}))
    with pytest.raises(CheckpointError, match="no β schedule") as err:
        load_diffusers_pipeline(folder)
    assert "\n" not in str(err.value)


def test_guidance_scale_one_is_plain_conditional() -> None:
    m = tiny(ConditionalDDPM)
    assert m.capabilities.conditional and m.unet.config.num_class_embeds == 4
    x, t = torch.randn(3, 1, 8, 8), torch.tensor(500)
    labels = m._class_labels(torch.tensor([0, 2, -1]), 3)
    assert labels.tolist() == [0, 2, 3]
    with torch.no_grad():
        unet = m.sampling_unet  # the same weights in another module instance may differ
        cond = unet(x, t, class_labels=labels).sample  # in the last bit (oneDNN kernels)
        uncond = unet(x, t, class_labels=torch.full_like(labels, 3)).sample
        assert torch.equal(m.predictor(labels, 1.0)(x, t), cond)
        assert torch.equal(m.predictor(labels, 0.0)(x, t), uncond)
        guided = m.predictor(labels, 3.0)(x, t)
    assert torch.allclose(guided, uncond + 3.0 * (cond - uncond), atol=1e-5)
    a = m.sample(3, 0, labels=torch.tensor([1, 1, 1]), steps=STEPS, guidance=2.0)
    b = m.sample(3, 0, labels=torch.tensor([1, 1, 1]), steps=STEPS, guidance=5.0)
    assert a.shape == (3, 1, 8, 8) and not torch.equal(a, b)


@pytest.mark.parametrize(("sampler", "eta"), [("ddim", 0.0), ("ddpm", 0.0), ("ddim", 0.5)])
def test_branch_reproduces_trajectory(model: DDPM, sampler: str, eta: float) -> None:
    original = list(model.trajectory(2, seed=4, sampler=sampler, steps=6, eta=eta))
    k = 3
    branch = list(model.trajectory(2, seed=4, sampler=sampler, steps=6, eta=eta,
                                   start=original[k].x_t, start_index=k))
    assert [e.index for e in branch[:-1]] == [3, 4, 5]
    for a, b in zip(original[k:], branch, strict=True):
        assert np.array_equal(a.x0, b.x0)
    other = list(model.trajectory(2, seed=9, sampler=sampler, steps=6, eta=eta,
                                  start=original[k].x_t, start_index=k))
    assert np.array_equal(other[0].x_t, original[k].x_t)
    assert np.array_equal(other[-1].x0, original[-1].x0) == (sampler == "ddim" and eta == 0)


def test_start_from_given_noise(model: DDPM) -> None:
    noise = model.initial_noise(2, 21)
    assert torch.equal(model.sample(2, 0, noise=noise, steps=STEPS),
                       model.sample(2, 21, steps=STEPS))


def test_trajectory_save_and_load(tmp_path: Path, model: DDPM) -> None:
    path = tmp_path / "traj.npz"
    images = model.sample(2, 3, sampler="dpm-solver++", steps=STEPS, save_trajectory=path)
    traj = Trajectory.load(path)
    assert traj.num_steps == STEPS and traj.x_t.shape == (STEPS, 2, 1, 8, 8)
    assert traj.meta["sampler"] == "dpm-solver++" and traj.meta["seed"] == 3
    assert torch.equal(model.to_images(traj.final), images)
    events = list(model.trajectory(2, seed=3, sampler="dpm-solver++", steps=STEPS))
    assert np.array_equal(traj.step(2).x0, events[2].x0)
    assert traj.step(2).timestep == events[2].timestep
    (tmp_path / "bad.npz").write_bytes(b"nope")
    with pytest.raises(ValueError, match=r"bad\.npz"):
        Trajectory.load(tmp_path / "bad.npz")


def test_cli_sample_with_trajectory(tmp_path: Path, model: DDPM) -> None:
    from app.cli import main

    folder = save_checkpoint(tmp_path / "c", model)
    rc = main(["sample", "--checkpoint", str(folder), "--n", "4", "--out",
               str(tmp_path / "g.png"), "--sampler", "euler-ancestral", "--steps", "3",
               "--save-trajectory", str(tmp_path / "t.npz"), "--device", "cpu"])
    assert rc == 0 and (tmp_path / "g.png").is_file()
    assert Trajectory.load(tmp_path / "t.npz").num_steps == 3


def test_one_trainer_epoch(tmp_path: Path) -> None:
    from diffusers import DDPMPipeline

    from models.config import DataConfig, TrainConfig
    from models.data import load_dataset
    from models.training import EpochEnd, Trainer, TrainFinished

    data = DataConfig()
    dataset = load_dataset(data).subset(np.arange(48))
    config = CDDPMConfig(preset="custom", block_channels=(4, 8), norm_groups=4,
                         sample_steps=2)
    train = TrainConfig(epochs=1, batch_size=16, seed=0, preview_n=4, device="cpu",
                        keep_epoch_checkpoints=False)
    trainer = Trainer("cddpm", config, train, data, tmp_path / "run", dataset=dataset)
    x = torch.rand(4, 1, 28, 28)
    rng = torch.get_rng_state()
    trainer.model.validation_step(x, torch.arange(4))
    assert torch.equal(rng, torch.get_rng_state())  # validation never draws global RNG
    events = list(trainer.run())
    end = next(e for e in events if isinstance(e, EpochEnd))
    assert isinstance(events[-1], TrainFinished)
    assert end.arrays["loss_by_t"].shape == (10,) and end.preview.ndim == 3
    assert np.isfinite(end.val_metrics["loss"])
    folder = trainer.run_dir.last_checkpoint
    assert DDPMPipeline.from_pretrained(folder).unet.config.num_class_embeds == 11
    loaded = load_checkpoint(folder, with_training_state=True)
    assert loaded.family == "cddpm" and int(loaded.model.ema_steps) == 3


def test_pipeline_saved_by_diffusers_opens(tmp_path: Path) -> None:
    """A pipeline made by diffusers alone (attention blocks, cosine β, v-prediction)."""
    from diffusers import DDIMPipeline, DDIMScheduler, DDPMPipeline, UNet2DModel

    torch.manual_seed(0)
    unet = UNet2DModel(sample_size=8, in_channels=3, out_channels=3, block_out_channels=(4, 8),
                       layers_per_block=1, norm_num_groups=4, attention_head_dim=4,
                       down_block_types=("DownBlock2D", "AttnDownBlock2D"),
                       up_block_types=("AttnUpBlock2D", "UpBlock2D"))
    sched = DDIMScheduler(beta_schedule="squaredcos_cap_v2", prediction_type="v_prediction")
    DDPMPipeline(unet=unet, scheduler=sched).save_pretrained(tmp_path / "p")
    m = load_diffusers_pipeline(tmp_path / "p")
    assert m.config.beta_schedule == "cosine" and m.config.prediction_type == "v_prediction"
    assert m.capabilities.latent_shape == (3, 8, 8)
    pipe = DDIMPipeline(unet=unet, scheduler=sched)
    pipe.set_progress_bar_config(disable=True)
    theirs = pipe(batch_size=2, generator=torch.Generator().manual_seed(1),
                  num_inference_steps=STEPS, output_type="np").images
    ours = m.sample(2, 1, sampler="ddim", steps=STEPS).permute(0, 2, 3, 1).numpy()
    assert np.abs(ours - theirs).max() <= 1e-5


def _two_epoch_run(tmp: Path, sample_steps: int) -> tuple:
    """Return (straight-through trainer, config, train, data, dataset) of a tiny 2-epoch run."""
    from models.config import DataConfig, TrainConfig
    from models.data import load_dataset
    from models.training import Trainer

    data = DataConfig()
    dataset = load_dataset(data).subset(np.arange(40))
    config = DDPMConfig(preset="custom", block_channels=(4, 8), norm_groups=4,
                        sample_steps=sample_steps)
    train = TrainConfig(epochs=2, batch_size=16, seed=3, preview_n=2, device="cpu",
                        keep_epoch_checkpoints=False)
    straight = Trainer("ddpm", config, train, data, tmp / "a", dataset=dataset)
    list(straight.run())
    return straight, config, train, data, dataset


def _assert_same_weights(a: torch.nn.Module, b: torch.nn.Module) -> None:
    for x, y in zip(a.state_dict().values(), b.state_dict().values(), strict=True):
        assert torch.equal(x, y)


def test_resume_matches_uninterrupted_run(tmp_path: Path) -> None:
    from models.training import Trainer

    straight, config, train, data, dataset = _two_epoch_run(tmp_path, sample_steps=2)
    first = Trainer("ddpm", config, train.replace(epochs=1), data, tmp_path / "b",
                    dataset=dataset)
    list(first.run())
    resumed = Trainer.resume(tmp_path / "b", epochs=2, dataset=dataset)
    list(resumed.run())
    _assert_same_weights(straight.model, resumed.model)


def test_a_stop_during_the_epoch_preview_saves_the_epochs_steps_and_resumes_equal(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from models.training import Trainer, TrainStopped

    straight, config, train, data, dataset = _two_epoch_run(tmp_path, sample_steps=8)
    stopped = Trainer("ddpm", config, train, data, tmp_path / "b", dataset=dataset)
    real = type(stopped.model).preview_steps
    seen: list[int] = []

    def preview_steps(self, n, seed):  # the stop lands on the preview's third step
        for i, images in enumerate(real(self, n, seed)):
            seen.append(i)
            if i == 2:
                stopped.request_stop()
            yield images

    monkeypatch.setattr(type(stopped.model), "preview_steps", preview_steps)
    events = list(stopped.run())
    assert isinstance(events[-1], TrainStopped) and max(seen) == 2  # did not draw it all
    assert events[-1].epoch == 0 and events[-1].step == stopped.steps_per_epoch
    monkeypatch.undo()
    resumed = Trainer.resume(tmp_path / "b", epochs=2, dataset=dataset)
    list(resumed.run())
    _assert_same_weights(straight.model, resumed.model)
