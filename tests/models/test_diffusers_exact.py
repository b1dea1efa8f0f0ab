"""A pipeline folder made by diffusers samples exactly as diffusers' own pipelines sample it;
Latent Lab's departures are explicit options, on only for its own checkpoints.

Every UNet here is built from a config with a few channels; nothing is downloaded.
"""

from __future__ import annotations

import inspect
import json
from pathlib import Path

import numpy as np
import pytest
import torch

from models.checkpoint import CheckpointError, save_checkpoint
from models.diffusion import DDPMConfig, load_diffusers_pipeline
from models.diffusion.model import DDPM
from models.diffusion.samplers import LATENTLAB, SAMPLERS, Departures
from models.diffusion.trajectory_io import Trajectory

STEPS = 5
# Non-default keys a DDPMScheduler lacks (set_alpha_to_one) or reads differently.
# diffusers' set-up calls np.array(tensor), which NumPy 2 flags; not what these tests check.
pytestmark = [pytest.mark.filterwarnings("ignore:__array__ implementation:DeprecationWarning"),
              pytest.mark.usefixtures("one_thread")]
DDIM_KEYS = {"set_alpha_to_one": False, "clip_sample": True, "clip_sample_range": 0.5,
             "steps_offset": 1, "beta_schedule": "scaled_linear"}




def tiny_unet(channels: int = 1):  # type: ignore[no-untyped-def]
    """Return a seeded tiny UNet2DModel whose output is not all zero."""
    from diffusers import UNet2DModel

    torch.manual_seed(0)
    unet = UNet2DModel(sample_size=8, in_channels=channels, out_channels=channels,
                       block_out_channels=(4, 8), layers_per_block=1, norm_num_groups=4,
                       down_block_types=("DownBlock2D", "DownBlock2D"),
                       up_block_types=("UpBlock2D", "UpBlock2D"))
    with torch.no_grad():  # a fresh UNet's last conv is zero: perturb every weight
        for p in unet.parameters():
            p.add_(torch.randn_like(p) * 0.05)
    return unet.eval()


def save_folder(tmp_path: Path, pipeline_class: str, scheduler) -> tuple[Path, object]:  # type: ignore[no-untyped-def]
    """Save a pipeline of `pipeline_class` with a tiny UNet; return (folder, unet)."""
    import diffusers

    unet = tiny_unet()
    folder = tmp_path / "pipe"
    getattr(diffusers, pipeline_class)(unet=unet, scheduler=scheduler).save_pretrained(folder)
    return folder, unet


def ours(model: DDPM, n: int, seed: int, **options: object) -> np.ndarray:
    """Return Latent Lab's samples as N×H×W×C numpy, as pipelines give them."""
    return model.sample(n, seed, steps=STEPS, **options).permute(0, 2, 3, 1).numpy()


@pytest.mark.parametrize("spacing", ["leading", "trailing"])
@pytest.mark.parametrize("eta", [0.0, 0.6])
def test_ddim_folder_samples_as_ddim_pipeline_with_its_scheduler_keys(
        tmp_path: Path, spacing: str, eta: float) -> None:
    from diffusers import DDIMPipeline, DDIMScheduler

    scheduler = DDIMScheduler(timestep_spacing=spacing, **DDIM_KEYS)  # type: ignore[arg-type]
    folder, unet = save_folder(tmp_path, "DDIMPipeline", scheduler)
    model = load_diffusers_pipeline(folder)
    pipe = DDIMPipeline(unet=unet, scheduler=scheduler)
    pipe.set_progress_bar_config(disable=True)
    theirs = pipe(batch_size=3, generator=torch.Generator().manual_seed(7), eta=eta,
                  num_inference_steps=STEPS, output_type="np").images
    assert np.abs(ours(model, 3, 7, sampler="ddim", eta=eta) - theirs).max() <= 1e-5
    assert model.departures() == Departures()  # nothing of ours, by default
    # Each departure is a real one here: turning it on changes the pictures.
    assert np.abs(ours(model, 3, 7, sampler="ddim", eta=eta, rederive_noise=True)
                  - theirs).max() > 1e-3


def test_ddpm_folder_samples_as_ddpm_pipeline_drawing_noise_from_one_generator(
        tmp_path: Path) -> None:
    from diffusers import DDPMPipeline, DDPMScheduler

    scheduler = DDPMScheduler(beta_schedule="squaredcos_cap_v2", clip_sample_range=0.5,
                              variance_type="fixed_large", timestep_spacing="trailing",
                              prediction_type="v_prediction")
    folder, unet = save_folder(tmp_path, "DDPMPipeline", scheduler)
    model = load_diffusers_pipeline(folder)
    pipe = DDPMPipeline(unet=unet, scheduler=scheduler)
    pipe.set_progress_bar_config(disable=True)
    theirs = pipe(batch_size=2, generator=torch.Generator().manual_seed(3),
                  num_inference_steps=STEPS, output_type="np").images
    assert np.abs(ours(model, 2, 3, sampler="ddpm") - theirs).max() <= 1e-5
    assert np.abs(ours(model, 2, 3, sampler="ddpm", noise_per_step=True)
                  - theirs).max() > 1e-3


def _pipeline_loop(unet, scheduler_config: dict, sampler: str, eta: float, n: int,  # type: ignore[no-untyped-def]
                   seed: int, steps: int) -> np.ndarray:
    """Return the final x of DDPMPipeline's loop with sampler's scheduler swapped in: the
    initial noise and every step's noise from one generator, as diffusers draws them."""
    import diffusers
    from diffusers.utils.torch_utils import randn_tensor

    spec = SAMPLERS[sampler]
    sched = getattr(diffusers, spec.scheduler).from_config(scheduler_config)
    sched.set_timesteps(steps)
    g = torch.Generator().manual_seed(seed)
    x = randn_tensor((n, 1, 8, 8), generator=g) * sched.init_noise_sigma
    extra = {"eta": eta} if spec.uses_eta else {}
    with torch.no_grad():
        for t in sched.timesteps:
            out = unet(sched.scale_model_input(x, t), t).sample
            x = sched.step(out, t, x, generator=g, **extra).prev_sample
    return x.numpy()


@pytest.mark.parametrize(("sampler", "eta"), [("ddpm", 0.0), ("ddim", 0.5),
                                              ("euler-ancestral", 0.0)])
def test_stochastic_samplers_draw_as_pipelines_and_branches_replay_the_generator(
        tmp_path: Path, sampler: str, eta: float) -> None:
    from diffusers import DDPMScheduler

    folder, unet = save_folder(tmp_path, "DDPMPipeline", DDPMScheduler(steps_offset=1))
    model = load_diffusers_pipeline(folder)
    whole = list(model.trajectory(2, 4, sampler=sampler, steps=6, eta=eta))
    saved = DDPMScheduler.from_pretrained(folder, subfolder="scheduler").config
    reference = _pipeline_loop(unet, saved, sampler, eta, 2, 4, 6)
    assert np.abs(whole[-1].x0 - reference).max() <= 1e-5
    for k in (1, 4):
        branch = list(model.trajectory(2, 4, sampler=sampler, steps=6, eta=eta,
                                       start=whole[k].x_t, start_index=k))
        for a, b in zip(whole[k:], branch, strict=True):
            assert np.allclose(a.x0, b.x0, atol=1e-6)


def _dpm_reference(unet, scheduler_config: dict, clamp: float | None, n: int,  # type: ignore[no-untyped-def]
                   seed: int) -> np.ndarray:
    """Return DPM-Solver++ images from diffusers' scheduler, its x̂0 clamped to ±`clamp`."""
    from diffusers import DPMSolverMultistepScheduler
    from diffusers.utils.torch_utils import randn_tensor

    class Clamped(DPMSolverMultistepScheduler):
        def convert_model_output(self, model_output, *args, **kwargs):  # type: ignore[no-untyped-def]
            x0 = super().convert_model_output(model_output, *args, **kwargs)
            return x0 if clamp is None else x0.clamp(-clamp, clamp)

    sched = Clamped.from_config(scheduler_config, algorithm_type="dpmsolver++")
    sched.set_timesteps(STEPS)
    x = randn_tensor((n, 1, 8, 8), generator=torch.Generator().manual_seed(seed))
    with torch.no_grad():
        for t in sched.timesteps:
            x = sched.step(unet(x, t).sample, t, x).prev_sample
    return (x / 2 + 0.5).clamp(0, 1).permute(0, 2, 3, 1).numpy()


def test_dpm_solver_clamps_x0_to_any_clip_range(tmp_path: Path) -> None:
    from diffusers import DDIMScheduler

    scheduler = DDIMScheduler(clip_sample_range=0.5)
    folder, unet = save_folder(tmp_path, "DDIMPipeline", scheduler)
    model = load_diffusers_pipeline(folder)
    # As diffusers loads the folder: its saved keys (timestep_spacing too) are explicit.
    saved = DDIMScheduler.from_pretrained(folder, subfolder="scheduler").config
    clamped = _dpm_reference(unet, saved, 0.5, 2, 5)
    plain = _dpm_reference(unet, saved, None, 2, 5)
    assert np.abs(clamped - plain).max() > 1e-2  # the clamp bites
    assert np.abs(ours(model, 2, 5, sampler="dpm-solver++", emulate_clip=True)
                  - clamped).max() <= 1e-5
    # diffusers' DPM-Solver++ has no clip_sample: a folder samples unclamped by default.
    assert np.abs(ours(model, 2, 5, sampler="dpm-solver++") - plain).max() <= 1e-5


def test_every_sampler_gets_every_key_of_the_folder_its_class_knows(tmp_path: Path) -> None:
    import diffusers

    from models.diffusion.sampling import make_scheduler

    scheduler = diffusers.DDIMScheduler(timestep_spacing="trailing", rescale_betas_zero_snr=True,
                                        prediction_type="v_prediction", **DDIM_KEYS)  # type: ignore[arg-type]
    folder, _ = save_folder(tmp_path, "DDIMPipeline", scheduler)
    model = load_diffusers_pipeline(folder)
    saved = diffusers.DDIMScheduler.from_pretrained(folder, subfolder="scheduler").config
    for name, spec in SAMPLERS.items():
        ours_sched = make_scheduler(name, model.schedule, STEPS)
        cls = getattr(diffusers, spec.scheduler)  # as a pipeline loading the folder swaps it
        theirs = cls.from_config(saved, **dict(spec.scheduler_options))
        theirs.set_timesteps(STEPS)
        keys = set(inspect.signature(cls.__init__).parameters) - {"self"}
        assert {k: ours_sched.config[k] for k in keys} == {k: theirs.config[k] for k in keys}
        assert ours_sched.config.timestep_spacing == "trailing"
        assert torch.equal(ours_sched.timesteps, theirs.timesteps), name
    ddim = make_scheduler("ddim", model.schedule, STEPS)
    assert ddim.config.set_alpha_to_one is False
    assert float(ddim.final_alpha_cumprod) == float(ddim.alphas_cumprod[0])


def test_trained_betas_are_honoured_and_checked(tmp_path: Path) -> None:
    from diffusers import DDIMPipeline, DDIMScheduler

    betas = np.linspace(1e-3, 0.2, 50).tolist()
    scheduler = DDIMScheduler(num_train_timesteps=50, trained_betas=betas,
                              clip_sample_range=0.5)
    folder, unet = save_folder(tmp_path, "DDIMPipeline", scheduler)
    model = load_diffusers_pipeline(folder)
    expected = np.cumprod(1.0 - np.array(betas, dtype=np.float32))
    assert np.allclose(model.schedule.curves().alpha_bar, expected, rtol=1e-5)
    pipe = DDIMPipeline(unet=unet, scheduler=scheduler)
    pipe.set_progress_bar_config(disable=True)
    theirs = pipe(batch_size=2, generator=torch.Generator().manual_seed(2),
                  num_inference_steps=STEPS, output_type="np").images
    assert np.abs(ours(model, 2, 2, sampler="ddim") - theirs).max() <= 1e-5
    path = folder / "scheduler" / "scheduler_config.json"
    cfg = json.loads(path.read_text())
    path.write_text(json.dumps({**cfg, "trained_betas": betas[:-1]}))
    with pytest.raises(CheckpointError, match=r"scheduler_config\.json.*49 trained_betas"):
        load_diffusers_pipeline(folder)


def test_own_checkpoints_keep_their_departures_and_trajectories_record_them(
        tmp_path: Path) -> None:
    torch.manual_seed(0)
    model = DDPM(DDPMConfig(image_size=8, preset="custom", block_channels=(4, 8),
                            norm_groups=4, ema=False)).eval()
    with torch.no_grad():
        for p in model.unet.parameters():
            p.add_(torch.randn_like(p) * 0.05)
    assert model.departures() == LATENTLAB
    folder = save_checkpoint(tmp_path / "ckpt", model)
    reopened = load_diffusers_pipeline(folder)  # has our config.json: ours
    assert reopened.departures() == LATENTLAB
    reopened.sample(2, 1, steps=STEPS, save_trajectory=tmp_path / "own.npz")
    own = Trajectory.load(tmp_path / "own.npz")
    assert own.departures == LATENTLAB and own.meta["rederive_noise"]

    (folder / "config.json").unlink()  # now a plain diffusers pipeline folder
    foreign = load_diffusers_pipeline(folder)
    assert not foreign.config.rederive_noise and foreign.departures() == Departures()
    foreign.sample(2, 1, steps=STEPS, save_trajectory=tmp_path / "foreign.npz",
                   noise_per_step=True)
    recorded = Trajectory.load(tmp_path / "foreign.npz")
    assert recorded.departures == Departures(noise_per_step=True)
    assert recorded.meta["rederive_noise"] is False
    # The variant that ran is the variant recorded: the two DDIM runs differ.
    assert not np.allclose(own.final, recorded.final, atol=1e-4)


def test_an_old_config_without_departures_keeps_our_variant() -> None:
    old = DDPMConfig().to_dict()
    for name in Departures.names():
        old.pop(name)
    config = DDPMConfig.from_dict(old)
    assert all(getattr(config, name) is True for name in Departures.names())


@pytest.mark.parametrize(("pipeline_class", "scheduler_class", "expected"),
                         [("DDIMPipeline", "DDIMScheduler", ("ddim", 50)),
                          ("DDPMPipeline", "DDPMScheduler", ("ddpm", 60))])
def test_a_folder_opens_with_its_pipelines_default_sampler_and_steps(
        tmp_path: Path, pipeline_class: str, scheduler_class: str,
        expected: tuple[str, int]) -> None:
    import diffusers

    # DDPMPipeline's default is 1,000 steps: every timestep of the schedule (here 60).
    scheduler = getattr(diffusers, scheduler_class)(num_train_timesteps=60)
    folder, unet = save_folder(tmp_path, pipeline_class, scheduler)
    model = load_diffusers_pipeline(folder)
    assert (model.config.sampler, model.config.sample_steps) == expected
    pipe = getattr(diffusers, pipeline_class)(unet=unet, scheduler=scheduler)
    pipe.set_progress_bar_config(disable=True)
    call = {"num_inference_steps": 60} if pipeline_class == "DDPMPipeline" else {}
    theirs = pipe(batch_size=2, generator=torch.Generator().manual_seed(1), output_type="np",
                  **call).images  # DDIMPipeline called with its defaults: 50 steps, η 0
    mine = model.sample(2, 1).permute(0, 2, 3, 1).numpy()  # the model's defaults
    assert np.abs(mine - theirs).max() <= 1e-5
