"""The events a denoising trajectory yields: numbers and CPU numpy arrays, no torch.

Kept apart from the samplers so the GUI can hold and cache them before torch has loaded.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np


@dataclass(frozen=True)
class GuidanceParts:
    """The two predictions classifier-free guidance mixed at one step, from the same UNet
    passes as the guided one: ε̂ and x̂0 with the class (cond) and with the null class
    (uncond), arrays like DenoiseStep's. The guided ε̂ is ε̂_u + w·(ε̂_c − ε̂_u)."""

    eps_cond: np.ndarray
    x0_cond: np.ndarray
    eps_uncond: np.ndarray
    x0_uncond: np.ndarray

    @property
    def nbytes(self) -> int:
        """Return the bytes of the four arrays."""
        return sum(a.nbytes for a in (self.eps_cond, self.x0_cond, self.eps_uncond,
                                      self.x0_uncond))


@dataclass(frozen=True)
class PixelViews:
    """A latent model's x̂0 (or final sample) seen as images, B×C×H×W float32 in [0, 1],
    and what each view cost on this step, measured in milliseconds.

    `linear` comes from the linear latent → pixel map (None: the model has none), `decoded`
    from the real decoder (None: the preview mode skipped it at this step), `tiny` from a
    tiny decoder (a pipeline's AutoencoderTiny, when one is given). `step_ms` is the
    sampler's step (UNet pass, scheduler, copies); `linear_ms`, `decode_ms` (0 when not
    decoded) and `tiny_ms` the previews'.
    """

    linear: np.ndarray | None
    decoded: np.ndarray | None
    step_ms: float = 0.0
    linear_ms: float = 0.0
    decode_ms: float = 0.0
    tiny: np.ndarray | None = None
    tiny_ms: float = 0.0

    @property
    def preview_ms(self) -> float:
        """Return the previews' cost at this step: linear map plus decoders (if run)."""
        return self.linear_ms + self.decode_ms + self.tiny_ms

    @property
    def nbytes(self) -> int:
        """Return the bytes of the images held."""
        return sum(a.nbytes for a in (self.linear, self.decoded, self.tiny) if a is not None)


@dataclass(frozen=True)
class DenoiseStep:
    """One denoising step, arrays B×C×H×W float32 in the UNet's frame (≈[−1, 1]).

    x_t is what the UNet saw (variance-preserving scale for every sampler, Euler included),
    eps the predicted noise ε̂, x0 the predicted clean image x̂0 = (x_t − √(1−ᾱ)·ε̂)/√ᾱ.
    """

    index: int  # 0-based step number
    num_steps: int
    timestep: float  # the training timestep t (fractional for some Euler spacings)
    alpha_bar: float
    x_t: np.ndarray
    eps: np.ndarray
    x0: np.ndarray
    # Set when the trajectory was asked for guidance_parts (class-conditional models).
    parts: GuidanceParts | None = None
    # Set by latent models' recording (models/latent_diffusion/recording.py): x̂0 as images.
    pixels: PixelViews | None = None


@dataclass(frozen=True)
class DenoiseFinished:
    """The sampler's output after its last step, B×C×H×W float32 in the UNet's frame."""

    num_steps: int
    x0: np.ndarray
    # Latent models' recording: the final latents decoded (always) and through the map.
    pixels: PixelViews | None = None


DenoiseEvent = DenoiseStep | DenoiseFinished
