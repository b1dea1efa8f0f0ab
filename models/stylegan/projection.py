"""Projection of a real image into W by optimisation (StyleGAN2's projector, scaled down).

`project` is a generator: it yields a `ProjectionStep` after every optimisation step, so
a worker can report progress and stop it between steps (closing the generator), and ends
with a `ProjectionResult` (the w found and its reconstruction), which is also its return
value. The loss is the pixel mean squared error (of the generator's output before it is
clipped to [0, 1], so saturated pixels still pass gradients) plus, when a feature function is given,
the squared distance of the digit classifier's features (StyleGAN2 uses LPIPS/VGG here).
"""

from __future__ import annotations

import math
from collections.abc import Callable, Iterator
from dataclasses import dataclass

import torch

from models.stylegan import wspace
from models.stylegan.model import StyleGAN

Features = Callable[[torch.Tensor], torch.Tensor]


@dataclass(frozen=True)
class ProjectionStep:
    """Progress after step `step` of `steps`: the loss and its pixel part."""

    step: int
    steps: int
    loss: float
    pixel_loss: float


@dataclass(frozen=True)
class ProjectionResult:
    """The w found (w_dim; or num_ws×w_dim when projecting into W+), its styles, image and
    pixel loss (measured as the steps measure it: before clipping to [0, 1])."""

    w: torch.Tensor
    ws: torch.Tensor  # 1×num_ws×w_dim
    image: torch.Tensor  # 1×C×H×W in [0, 1]
    loss: float


def project(model: StyleGAN, target: torch.Tensor, *, steps: int = 200, lr: float = 0.05,
            features: Features | None = None, feature_weight: float = 0.01,
            per_layer: bool = False, seed: int = 0
            ) -> Iterator[ProjectionStep | ProjectionResult]:
    """Yield a ProjectionStep per step, then the ProjectionResult, for target (C×H×W or
    1×C×H×W in [0, 1], the model's shape).

    Starts at w̄, optimises w with Adam (learning rate ramped up over the first 5 % and
    down with a cosine over the last 25 %), perturbing it with noise that decays to 0 over
    the first 75 % (so the start is not stuck near w̄) — StyleGAN2's schedule. `per_layer`
    optimises one w per layer (W+), which fits better and edits less faithfully. Weights
    are not changed; constant noise is used throughout.
    """
    g = wspace.generator(model)
    device = model.device
    target = target.reshape(1, *target.shape[-3:]).to(device, torch.float32)
    expected = (model.config.channels, model.config.image_size, model.config.image_size)
    if tuple(target.shape[1:]) != expected:
        raise ValueError(f"target must be {expected}, not {tuple(target.shape[1:])}")
    rng = torch.Generator().manual_seed(seed)
    with torch.no_grad():
        w_std = float(wspace.mapping(model, torch.randn(1000, model.config.z_dim,
                                                        generator=rng)).std(0).mean())
        target_feats = features(target) if features is not None else None
    n_ws = g.num_ws
    start = g.mapping.w_avg.detach().clone()
    w = (start.repeat(n_ws, 1) if per_layer else start).clone().requires_grad_(True)
    opt = torch.optim.Adam([w], lr=lr, betas=(0.9, 0.999))
    state = {p: p.requires_grad for p in g.parameters()}
    g.requires_grad_(False)
    try:
        for step in range(steps):
            t = step / max(steps - 1, 1)
            ramp = min(1.0, (1.0 - t) / 0.25)
            ramp = 0.5 - 0.5 * math.cos(ramp * math.pi)
            ramp *= min(1.0, t / 0.05) if steps > 20 else 1.0
            for group in opt.param_groups:
                group["lr"] = lr * ramp
            noise_scale = w_std * 0.05 * max(0.0, 1.0 - t / 0.75) ** 2
            w_noisy = w + torch.randn(w.shape, generator=rng).to(device) * noise_scale
            ws = w_noisy.expand(1, n_ws, -1) if per_layer else \
                w_noisy.reshape(1, 1, -1).expand(1, n_ws, -1)
            image = ((g.synthesize(ws, "const") + 1.0) * 0.5)
            pixel = (image - target).square().mean()
            loss = pixel
            if features is not None:
                loss = loss + feature_weight * (features(image.clamp(0, 1))
                                                - target_feats).square().sum()
            opt.zero_grad(set_to_none=True)
            loss.backward()
            opt.step()
            yield ProjectionStep(step + 1, steps, float(loss.detach()), float(pixel.detach()))
    finally:
        for p, flag in state.items():
            p.requires_grad_(flag)
    with torch.no_grad():
        final = w.detach()
        ws = final.reshape(1, n_ws, -1) if per_layer else wspace.broadcast(final[None], n_ws)
        raw = (g.synthesize(ws.to(device), "const") + 1.0) * 0.5
        pixel = float((raw - target).square().mean())
    result = ProjectionResult(w=final.cpu(), ws=ws.cpu(), image=raw.clamp(0.0, 1.0).cpu(),
                              loss=pixel)
    yield result
    return result
