"""Where a Stable Diffusion run starts, per mode: the latents, the timesteps left, and what
the UNet input and each step add (inpainting's mask). Each is the pipeline's own code —
`prepare_latents`, `get_timesteps`, `prepare_mask_latents`, called on the pipeline with
our scheduler swapped in (`from_pipe`) — so a run starts exactly where diffusers' would.
Call under inference mode on the thread that owns the pipeline.
"""

from __future__ import annotations

import warnings
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import torch

from models.pipelines.index import CONTROLNET, IMG2IMG, INPAINT, TEXT2IMG

# The strength diffusers' pipelines default to.
DEFAULT_STRENGTH = {IMG2IMG: 0.8, INPAINT: 1.0}


@dataclass
class Start:
    """A run's beginning: `latents` to denoise over `timesteps`, which are the schedule's
    from index `start` of `total` (img2img and inpainting skip the first steps by
    strength). `unet_input` widens the UNet's input (a 9-channel inpainting UNet's mask
    and masked image); `after_step(i, latents)` puts back what is kept (a 4-channel
    UNet's unmasked image, noised to the next step); `unet_kwargs` adds ControlNet's
    residuals to each UNet pass."""

    latents: torch.Tensor
    timesteps: torch.Tensor
    start: int
    total: int
    height: int
    width: int
    unet_input: Callable[[torch.Tensor], torch.Tensor] | None = None
    after_step: Callable[[int, torch.Tensor], torch.Tensor] | None = None
    # (UNet input, t, encoder states) → extra UNet arguments: ControlNet's residuals.
    unet_kwargs: Callable[[torch.Tensor, Any, torch.Tensor], dict[str, Any]] | None = None
    meta: dict[str, Any] = field(default_factory=dict)


def text_start(pipe: Any, sched: Any, n: int, height: int, width: int, dtype: torch.dtype,
               generator: torch.Generator) -> Start:
    """Return pure noise from `generator` (the pipeline's prepare_latents: randn_tensor
    on the generator's device, times the scheduler's initial σ)."""
    from diffusers.utils.torch_utils import randn_tensor

    shape = (n, pipe.unet.config.in_channels, height // pipe.vae_scale_factor,
             width // pipe.vae_scale_factor)
    latents = randn_tensor(shape, generator=generator, device=pipe._execution_device,
                           dtype=dtype) * sched.init_noise_sigma
    return Start(latents, sched.timesteps, 0, len(sched.timesteps), height, width)


def _with_scheduler(pipe: Any, sched: Any) -> Any:
    """Return the pipeline's modules in its own class with `sched` as the scheduler (no
    weights copied)."""
    from models.pipelines.opening import quiet

    with quiet():
        work = type(pipe).from_pipe(pipe, scheduler=sched)
    work.set_progress_bar_config(disable=True)
    return work


def _checked_strength(strength: float) -> float:
    if not 0.0 < strength <= 1.0:
        raise ValueError(f"strength must be in (0, 1], not {strength}")
    return float(strength)


def _image_array(image: np.ndarray | None, what: str) -> np.ndarray:
    if image is None:
        raise ValueError(f"this mode needs {what}")
    return np.asarray(image, np.float32)


def image_start(pipe: Any, sched: Any, steps: int, image: np.ndarray | None,
                strength: float, n: int, dtype: torch.dtype, generator: torch.Generator
                ) -> Start:
    """Return img2img's start: the image encoded (a posterior draw from `generator`),
    noised to the step `strength` starts from (StableDiffusionImg2ImgPipeline's own
    get_timesteps and prepare_latents, given the `steps` asked for: PNDM's schedule has
    one more). `image` is H×W×3 in [0, 1]."""
    strength = _checked_strength(strength)
    work = _with_scheduler(pipe, sched)
    device = pipe._execution_device
    pixels = work.image_processor.preprocess(_image_array(image, "an image"))
    total = len(sched.timesteps)
    timesteps, _ = work.get_timesteps(steps, strength, device)
    if len(timesteps) < 1:
        raise ValueError(f"strength {strength} leaves no step of {total} to run")
    with warnings.catch_warnings():
        # n images from one: diffusers encodes it once and repeats the latents, as its call
        # does for num_images_per_prompt, and flags the repeat as deprecated.
        warnings.filterwarnings("ignore", message="You have passed", category=FutureWarning)
        latents = work.prepare_latents(pixels, timesteps[:1].repeat(n), 1, n, dtype, device,
                                       generator)
    return Start(latents, timesteps, total - len(timesteps), total, int(pixels.shape[-2]),
                 int(pixels.shape[-1]), meta={"strength": strength})


def inpaint_start(pipe: Any, sched: Any, steps: int, image: np.ndarray | None,
                  mask: np.ndarray | None, strength: float, n: int, guided: bool,
                  dtype: torch.dtype, generator: torch.Generator) -> Start:
    """Return inpainting's start (StableDiffusionInpaintPipeline's steps 4-8): `image`
    H×W×3 and `mask` H×W in [0, 1], 1 where the image is painted anew."""
    strength = _checked_strength(strength)
    work = _with_scheduler(pipe, sched)
    device = pipe._execution_device
    image = _image_array(image, "an image")
    mask = _image_array(mask, "a mask")
    height, width = int(image.shape[0]), int(image.shape[1])
    total = len(sched.timesteps)
    timesteps, _ = work.get_timesteps(num_inference_steps=steps, strength=strength,
                                      device=device)
    if len(timesteps) < 1:
        raise ValueError(f"strength {strength} leaves no step of {total} to run")
    init_image = work.image_processor.preprocess(image, height=height, width=width)
    init_image = init_image.to(dtype=torch.float32)
    channels = pipe.unet.config.in_channels
    out = work.prepare_latents(n, pipe.vae.config.latent_channels, height, width, dtype,
                               device, generator, None, image=init_image,
                               timestep=timesteps[:1].repeat(n), is_strength_max=strength == 1.0,
                               return_noise=True, return_image_latents=channels == 4)
    latents, noise = out[0], out[1]
    condition = work.mask_processor.preprocess(mask, height=height, width=width)
    masked_image = init_image * (condition < 0.5)
    mask_latents, masked_latents = work.prepare_mask_latents(
        condition, masked_image, n, height, width, dtype, device, generator, guided)
    start = Start(latents, timesteps, total - len(timesteps), total, height, width,
                  meta={"strength": strength})
    if channels == 9:
        start.unet_input = lambda x: torch.cat([x, mask_latents, masked_latents], dim=1)
    else:
        image_latents = out[2]
        keep = mask_latents.chunk(2)[0] if guided else mask_latents

        def blend(i: int, latents: torch.Tensor) -> torch.Tensor:
            proper = image_latents
            if i < len(timesteps) - 1:
                proper = sched.add_noise(proper, noise, torch.tensor([timesteps[i + 1]]))
            return (1 - keep) * proper + keep * latents

        start.after_step = blend
    return start


def control_start(pipe: Any, sched: Any, image: np.ndarray | None, scale: float, n: int,
                  guided: bool, dtype: torch.dtype, generator: torch.Generator) -> Start:
    """Return ControlNet's start (StableDiffusionControlNetPipeline, one ControlNet, no
    guess mode): noise as text2img at the conditioning image's size, and each UNet pass
    given the ControlNet's residuals for `image` (H×W×3 in [0, 1]) times `scale`."""
    device = pipe._execution_device
    control = pipe.prepare_image(image=_image_array(image, "a conditioning image"),
                                 width=None, height=None, batch_size=n,
                                 num_images_per_prompt=n, device=device,
                                 dtype=pipe.controlnet.dtype,
                                 do_classifier_free_guidance=guided, guess_mode=False)
    height, width = (int(s) for s in control.shape[-2:])
    start = text_start(pipe, sched, n, height, width, dtype, generator)
    start.meta = {"control_scale": float(scale)}

    def residuals(model_in: torch.Tensor, t: Any, embeds: torch.Tensor) -> dict[str, Any]:
        down, mid = pipe.controlnet(model_in, t, encoder_hidden_states=embeds,
                                    controlnet_cond=control, conditioning_scale=float(scale),
                                    guess_mode=False, return_dict=False)
        return {"down_block_additional_residuals": down,
                "mid_block_additional_residual": mid}

    start.unet_kwargs = residuals
    return start


MODES_RUN = (TEXT2IMG, IMG2IMG, INPAINT, CONTROLNET)
