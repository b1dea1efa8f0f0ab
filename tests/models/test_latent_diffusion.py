"""Latent diffusion (ldm, cldm): two-phase training in one run folder, the scale factor,
resuming across the phase boundary, first stages taken from elsewhere, the checkpoint as
diffusers components, and sampling that matches diffusers' own loop.

Every model is built from a config with a few channels; nothing is downloaded.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import numpy as np
import pytest
import torch

from models.checkpoint import CheckpointError, load_checkpoint, save_checkpoint
from models.diffusion.trajectory_io import Trajectory
from models.latent_diffusion.autoencoder import dataset_moments, scale_factor
from models.latent_diffusion.config import CLDMConfig, LDMConfig
from models.latent_diffusion.model import LDM, ConditionalLDM
from models.training import EpochEnd, Trainer, TrainFinished, TrainStarted, TrainStep, TrainStopped
from tests.models.helpers import DATA, quick_train, small_mnist, wake_unet

pytestmark = pytest.mark.usefixtures("one_thread")  # tiny models: one torch thread

TINY: dict[str, Any] = {"preset": "custom", "block_channels": (8, 16), "norm_groups": 4,
                        "vae_channels": (4, 8, 8), "vae_norm_groups": 4,
                        "latent_channels": 2, "sample_steps": 3}
N_IMAGES = 64  # 58 training images: 2 steps of 32 per epoch


def config(cls: type[LDMConfig] = LDMConfig, **changes: Any) -> LDMConfig:
    """Return a tiny LDM config (28 px images → 32 px frame → 2×8×8 latents)."""
    return cls(**{**TINY, "epochs_ae": 1, **changes})


def trainer(out: Path, family: str = "ldm", epochs: int = 2, keep: bool = False,
            **changes: Any) -> Trainer:
    """Return a trainer of a tiny model on the first bundled digits."""
    cls = CLDMConfig if family == "cldm" else LDMConfig
    return Trainer(family, config(cls, **changes),
                   quick_train(epochs=epochs, batch_size=32, keep_epoch_checkpoints=keep),
                   DATA, out, dataset=small_mnist(N_IMAGES))


def lines(run: Path) -> list[dict[str, Any]]:
    """Return metrics.jsonl's records."""
    return [json.loads(x) for x in (run / "metrics.jsonl").read_text().splitlines()]


def step_losses(events: list[Any]) -> list[float]:
    return [e.metrics["loss"] for e in events if isinstance(e, TrainStep)]


def tiny_model(cls: type[LDM] = LDM, **changes: Any) -> LDM:
    """Return a tiny random model whose UNet's outputs are not all zero, scale 0.7."""
    torch.manual_seed(0)
    config_cls = CLDMConfig if cls is ConditionalLDM else LDMConfig
    model = cls(config(config_cls, num_classes=3, **changes))  # type: ignore[arg-type]
    return wake_unet(model)  # a fresh UNet's last conv is zero-initialised


# --- training ----------------------------------------------------------------------------
def test_two_phases_train_into_one_run_folder(tmp_path: Path) -> None:
    events = list(trainer(tmp_path).run())
    started = events[0]
    assert isinstance(started, TrainStarted)
    assert started.phases == (("autoencoder", 1), ("diffusion", 2))
    assert started.total_epochs == 3 and started.phase == "autoencoder"
    steps = [e for e in events if isinstance(e, TrainStep)]
    assert [e.phase for e in steps] == ["autoencoder"] * 2 + ["diffusion"] * 4
    assert {"recon", "kl"} <= set(steps[0].metrics) and set(steps[-1].metrics) == {"loss"}
    ends = [e for e in events if isinstance(e, EpochEnd)]
    assert [e.phase for e in ends] == ["autoencoder", "diffusion", "diffusion"]
    assert ends[0].reconstructions is not None  # the first stage's progress, every epoch
    assert isinstance(events[-1], TrainFinished)
    records = lines(tmp_path)
    assert [r["phase"] for r in records if r["kind"] == "step"] == \
        ["autoencoder"] * 2 + ["diffusion"] * 4
    assert [(r["epoch"], r["phase"]) for r in records if r["kind"] == "epoch"] == \
        [(1, "autoencoder"), (2, "diffusion"), (3, "diffusion")]
    info = json.loads((tmp_path / "run.json").read_text())
    assert info["phases"] == [{"name": "autoencoder", "epochs": 1},
                              {"name": "diffusion", "epochs": 2}]
    from models.training.run_reader import read_shape

    assert read_shape(tmp_path).total_epochs == 3
    loaded = load_checkpoint(tmp_path)
    assert loaded.progress["finished"] and loaded.progress["epoch"] == 3


def test_phase_two_freezes_the_autoencoder_and_scales_latents_to_unit_std(
        tmp_path: Path) -> None:
    list(trainer(tmp_path, epochs=1, keep=True).run())
    after_ae = load_checkpoint(tmp_path / "checkpoints" / "epoch-1").model
    final = load_checkpoint(tmp_path).model
    for (name, a), (_, b) in zip(after_ae.vae.state_dict().items(),
                                 final.vae.state_dict().items(), strict=True):
        assert torch.equal(a, b), name
    # The factor is measured when phase 1 ends, so its last checkpoint holds it already.
    assert after_ae.scaling_factor == final.scaling_factor != 1.0
    vae_cfg = json.loads((tmp_path / "checkpoints" / "last" / "vae" / "config.json")
                         .read_text())
    assert vae_cfg["scaling_factor"] == pytest.approx(final.scaling_factor)
    from models.data import split_indices

    images = torch.from_numpy(small_mnist(N_IMAGES).images).float() / 255
    train_idx = torch.from_numpy(split_indices(N_IMAGES, 0.1, 0)[0])  # the trainer's order
    moments = dataset_moments(final.vae, images[train_idx], final.frame)
    assert final.scaling_factor == pytest.approx(scale_factor(moments), rel=1e-5)
    mean, logvar = moments.chunk(2, 1)
    z = mean + torch.exp(0.5 * logvar) * torch.randn_like(mean)
    assert float((z * final.scaling_factor).std()) == pytest.approx(1.0, abs=0.1)


@pytest.mark.parametrize("stop_after", [1, 2, 3, 5])  # mid phase 1, its last step, phase 2
def test_resume_across_the_phase_boundary_equals_an_uninterrupted_run(
        tmp_path: Path, stop_after: int) -> None:
    whole = list(trainer(tmp_path / "whole").run())
    cut = trainer(tmp_path / "cut")
    first = []
    for event in cut.run():
        first.append(event)
        if isinstance(event, TrainStep) and event.step == stop_after:
            cut.request_stop()
    assert isinstance(first[-1], TrainStopped)
    second = list(Trainer.resume(tmp_path / "cut", dataset=small_mnist(N_IMAGES)).run())
    # Stopped at phase 1's last step, the resumed run ends that epoch, then crosses.
    assert second[0].phase == ("autoencoder" if stop_after <= 2 else "diffusion")
    assert step_losses(first) + step_losses(second) == step_losses(whole)
    assert second[-1].val_metrics == whole[-1].val_metrics
    a, b = load_checkpoint(tmp_path / "whole").model, load_checkpoint(tmp_path / "cut").model
    assert a.scaling_factor == b.scaling_factor
    for (name, x), (_, y) in zip(a.state_dict().items(), b.state_dict().items(), strict=True):
        assert torch.equal(x, y), name
    assert [r["phase"] for r in lines(tmp_path / "cut") if r["kind"] == "step"] == \
        ["autoencoder"] * 2 + ["diffusion"] * 4


def test_first_stage_from_another_run_skips_phase_one(tmp_path: Path) -> None:
    list(trainer(tmp_path / "ae", epochs=1).run())
    events = list(trainer(tmp_path / "ldm", epochs=1, first_stage=str(tmp_path / "ae")).run())
    assert events[0].phases == (("autoencoder", 0), ("diffusion", 1))
    assert {e.phase for e in events if isinstance(e, TrainStep)} == {"diffusion"}
    source, model = load_checkpoint(tmp_path / "ae").model, load_checkpoint(tmp_path / "ldm").model
    for (name, a), (_, b) in zip(source.vae.state_dict().items(),
                                 model.vae.state_dict().items(), strict=True):
        assert torch.equal(a, b), name
    assert model.scaling_factor == pytest.approx(source.scaling_factor, rel=1e-5)
    # Its vae/ folder alone is a diffusers AutoencoderKL folder and works too.
    list(trainer(tmp_path / "ldm2", epochs=1,
                 first_stage=str(tmp_path / "ae" / "checkpoints" / "last" / "vae")).run())


def test_an_incompatible_first_stage_is_refused_naming_the_file(tmp_path: Path) -> None:
    list(trainer(tmp_path / "ae", epochs=1).run())
    bad = trainer(tmp_path / "ldm", epochs=1, first_stage=str(tmp_path / "ae"),
                  latent_channels=3)
    with pytest.raises(CheckpointError, match=r"vae/config\.json.*latent_channels 2"):
        list(bad.run())
    ddpm = tmp_path / "not-an-ldm"
    from models.diffusion import DDPMConfig
    from models.diffusion.model import DDPM

    save_checkpoint(ddpm, DDPM(DDPMConfig(preset="tiny")))
    with pytest.raises(CheckpointError, match="no AutoencoderKL"):
        list(trainer(tmp_path / "ldm2", epochs=1, first_stage=str(ddpm)).run())


def test_class_conditional_ldm_trains_and_guides(tmp_path: Path) -> None:
    events = list(trainer(tmp_path, family="cldm", epochs=1).run())
    assert isinstance(events[-1], TrainFinished)
    model = load_checkpoint(tmp_path).model
    assert model.capabilities.conditional and model.unet.config.num_class_embeds == 11
    labels = torch.tensor([3, 7])
    a = model.sample(2, 0, labels=labels, guidance=2.0)
    b = model.sample(2, 0, labels=labels, guidance=0.0)
    assert a.shape == (2, 1, 28, 28) and not torch.equal(a, b)


# --- checkpoints -------------------------------------------------------------------------
def test_checkpoint_components_load_with_diffusers_own_classes(tmp_path: Path) -> None:
    from diffusers import AutoencoderKL, DDPMScheduler, UNet2DModel

    model = tiny_model()
    save_checkpoint(tmp_path, model)
    vae = AutoencoderKL.from_pretrained(tmp_path / "vae")
    unet = UNet2DModel.from_pretrained(tmp_path / "unet")
    DDPMScheduler.from_pretrained(tmp_path / "scheduler")
    assert vae.config.scaling_factor == pytest.approx(0.7)
    for k, v in vae.state_dict().items():
        assert torch.equal(v, model.vae.state_dict()[k]), k
    assert unet.config.sample_size == 8 and unet.config.in_channels == 2
    loaded = load_checkpoint(tmp_path).model
    assert loaded.scaling_factor == pytest.approx(0.7)
    assert torch.equal(loaded.sample(2, 1), model.sample(2, 1))


@pytest.mark.parametrize("edit, match", [
    (lambda c: c.update(block_out_channels=[4096] * 5), "vae/config.json"),
    (lambda c: c.update(latent_channels="4"), r"latent_channels must be an int"),
    (lambda c: c.update(scaling_factor=0), "scaling_factor 0 is outside"),
    (lambda c: c.update(_class_name="VQModel"), "not an AutoencoderKL"),
])
def test_a_bad_vae_config_is_refused_before_allocation(tmp_path: Path, edit: Any,
                                                      match: str) -> None:
    save_checkpoint(tmp_path, tiny_model())
    path = tmp_path / "vae" / "config.json"
    cfg = json.loads(path.read_text())
    edit(cfg)
    path.write_text(json.dumps(cfg))
    with pytest.raises(CheckpointError, match=match):
        load_checkpoint(tmp_path)


def test_a_unet_not_sized_for_the_latents_is_refused(tmp_path: Path) -> None:
    save_checkpoint(tmp_path, tiny_model())
    path = tmp_path / "unet" / "config.json"
    cfg = json.loads(path.read_text())
    path.write_text(json.dumps({**cfg, "sample_size": 16}))
    with pytest.raises(CheckpointError, match=r"unet/config\.json: sample_size 16 is not"):
        load_checkpoint(tmp_path)


def test_vae_weights_not_matching_their_config_are_named(tmp_path: Path) -> None:
    from safetensors.torch import load_file, save_file

    save_checkpoint(tmp_path, tiny_model())
    weights = tmp_path / "vae" / "diffusion_pytorch_model.safetensors"
    state = load_file(weights)
    state.pop(next(iter(state)))
    save_file(state, str(weights))
    with pytest.raises(CheckpointError, match=r"diffusion_pytorch_model\.safetensors.*missing"):
        load_checkpoint(tmp_path)


# --- sampling ----------------------------------------------------------------------------
def diffusers_loop(folder: Path, n: int, seed: int, steps: int) -> np.ndarray:
    """Return images from diffusers' own loop over the saved components: DDIM's
    set_timesteps, unet, step, then vae.decode(latents / scaling_factor)."""
    from diffusers import AutoencoderKL, DDIMScheduler, UNet2DModel
    from diffusers.utils.torch_utils import randn_tensor

    vae = AutoencoderKL.from_pretrained(folder / "vae")
    unet = UNet2DModel.from_pretrained(folder / "unet")
    sched = DDIMScheduler.from_pretrained(folder / "scheduler")
    size = unet.config.sample_size
    latents = randn_tensor((n, unet.config.in_channels, size, size),
                           generator=torch.Generator().manual_seed(seed))
    sched.set_timesteps(steps)
    with torch.no_grad():
        for t in sched.timesteps:
            eps = unet(sched.scale_model_input(latents, t), t).sample
            latents = sched.step(eps, t, latents, eta=0.0).prev_sample
        image = vae.decode(latents / vae.config.scaling_factor).sample
    return (image / 2 + 0.5).clamp(0, 1).numpy()


def test_sampling_matches_diffusers_own_loop_and_ldm_pipeline(tmp_path: Path) -> None:
    from diffusers import AutoencoderKL, DDIMScheduler, LDMPipeline, UNet2DModel

    model = tiny_model()
    save_checkpoint(tmp_path, model)
    ours = load_checkpoint(tmp_path).model.sample(3, 5, sampler="ddim", steps=4).numpy()
    theirs = diffusers_loop(tmp_path, 3, 5, 4)[..., 2:30, 2:30]  # 32 px frame → 28 px
    np.testing.assert_allclose(ours, theirs, atol=1e-5)
    # LDMPipeline takes the AutoencoderKL as its `vqvae` and gives the same images.
    pipe = LDMPipeline(vqvae=AutoencoderKL.from_pretrained(tmp_path / "vae"),
                       unet=UNet2DModel.from_pretrained(tmp_path / "unet"),
                       scheduler=DDIMScheduler.from_pretrained(tmp_path / "scheduler"))
    pipe.set_progress_bar_config(disable=True)
    images = pipe(batch_size=3, generator=torch.Generator().manual_seed(5),
                  num_inference_steps=4, output_type="np").images
    np.testing.assert_allclose(ours, images.transpose(0, 3, 1, 2)[..., 2:30, 2:30],
                               atol=1e-5)


def test_trajectory_is_recorded_in_latent_space(tmp_path: Path) -> None:
    model = tiny_model()
    path = tmp_path / "traj.npz"
    images = model.sample(2, 3, steps=3, save_trajectory=path)
    traj = Trajectory.load(path)
    assert traj.x_t.shape == (3, 2, 2, 8, 8) and traj.final.shape == (2, 2, 8, 8)
    assert torch.allclose(images, model.to_images(traj.final), atol=1e-6)
    assert torch.allclose(images, model.sample(2, 3, steps=3), atol=1e-6)


def test_every_sampler_decodes_images(tmp_path: Path) -> None:
    from models.diffusion.samplers import SAMPLERS

    model = tiny_model()
    for name in SAMPLERS:
        images = model.sample(2, 0, sampler=name, steps=3)
        assert images.shape == (2, 1, 28, 28) and bool(torch.isfinite(images).all()), name
