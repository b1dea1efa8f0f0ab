"""W-space operations on a trained StyleGAN, as pure functions of the model and tensors.

Each takes a `StyleGAN` (its sampling generator: the EMA one) and returns tensors on the
CPU; images are float N×C×H×W in [0, 1]. They run on whatever thread calls them and take
no locks: the window calls them on a lane with its inference copy of the model. Styles
`ws` are N × num_ws × w_dim: entry i styles layer `layer_names(model)[i]`.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import torch

from models.stylegan.model import StyleGAN
from models.stylegan.networks import Generator

# Named layer ranges for style mixing and edits, by the resolution a style acts on:
# coarse 4–8 px (shape, slant, stroke layout), middle 16 px (stroke detail), fine
# 32 px (thickness, edges, local texture). StyleGAN's 1024 px split (4–8 / 16–32 / 64–1024)
# scaled to a four-level network.
RANGE_BOUNDS = {"coarse": (0, 8), "middle": (9, 16), "fine": (17, 10**6)}


def generator(model: StyleGAN) -> Generator:
    """Return the generator the tools draw with (the EMA one unless ema_beta is 0)."""
    return model.sampling_generator


def layer_names(model: StyleGAN) -> list[str]:
    """Return one name per entry of ws, e.g. "4×4", "8×8 up", …, "32×32 rgb"."""
    return generator(model).synthesis.layer_names()


def noise_layer_names(model: StyleGAN) -> list[str]:
    """Return one name per noise input (the conv layers, without the final toRGB)."""
    return layer_names(model)[:-1]


def layer_ranges(model: StyleGAN) -> dict[str, range]:
    """Return {"coarse", "middle", "fine"} → the ws indices each covers, computed from the
    resolutions of the network's layers (RANGE_BOUNDS)."""
    res = generator(model).synthesis.layer_resolutions()
    return {name: range(min(i for i, r in enumerate(res) if lo <= r <= hi),
                        max(i for i, r in enumerate(res) if lo <= r <= hi) + 1)
            for name, (lo, hi) in RANGE_BOUNDS.items()}


def _z(model: StyleGAN, z: torch.Tensor) -> torch.Tensor:
    return z.to(model.device, torch.float32)


def sample_z(model: StyleGAN, n: int, seed: int) -> torch.Tensor:
    """Return n standard-normal latents z (n×z_dim) fixed by `seed`."""
    g = torch.Generator().manual_seed(seed)
    return torch.randn(n, model.config.z_dim, generator=g)


@torch.no_grad()
def mapping(model: StyleGAN, z: torch.Tensor) -> torch.Tensor:
    """Return w = mapping(z) (N×w_dim), untruncated."""
    return generator(model).mapping(_z(model, z)).cpu()


def w_avg(model: StyleGAN) -> torch.Tensor:
    """Return the tracked mean w̄ (w_dim), a copy."""
    return generator(model).mapping.w_avg.detach().cpu().clone()


def broadcast(w: torch.Tensor, num_ws: int) -> torch.Tensor:
    """Return w (N×w_dim) repeated for every layer: N×num_ws×w_dim (a copy)."""
    return w.unsqueeze(1).repeat(1, num_ws, 1)


def num_ws(model: StyleGAN) -> int:
    """Return how many style vectors synthesis takes."""
    return generator(model).num_ws


@torch.no_grad()
def synthesize(model: StyleGAN, ws: torch.Tensor, noise_mode: str = "const",
               noise_layers: Sequence[bool] | None = None) -> torch.Tensor:
    """Return images in [0, 1] from styles ws (N×num_ws×w_dim).

    noise_mode: "const" (each layer's fixed noise: the same picture for the same ws),
    "random" (fresh noise) or "none"; `noise_layers` turns single layers' noise off
    (one bool per entry of `noise_layer_names`).
    """
    g = generator(model)
    x = g.synthesize(ws.to(model.device, torch.float32), noise_mode, noise_layers)
    return ((x + 1.0) * 0.5).clamp(0.0, 1.0).cpu()


def truncate(model: StyleGAN, w: torch.Tensor, psi: float) -> torch.Tensor:
    """Return w̄ + ψ·(w − w̄) for w of any shape ending in w_dim (ψ = 0: w̄, 1: w)."""
    return w_avg(model).to(w.dtype).lerp(w, psi)


def mix(ws_a: torch.Tensor, ws_b: torch.Tensor, layers: Sequence[int] | range) -> torch.Tensor:
    """Return ws_b with the styles of `layers` taken from ws_a (same shapes)."""
    out = ws_b.clone()
    idx = list(layers)
    out[:, idx] = ws_a[:, idx]
    return out


@dataclass(frozen=True)
class MixingGrid:
    """A style-mixing grid: row sources A, column sources B, and cells[i, j] = B_j's
    styles with A_i's in `layers` (the range named `range_name`)."""

    rows: torch.Tensor  # R×C×H×W: the A images
    columns: torch.Tensor  # K×C×H×W: the B images
    cells: torch.Tensor  # R×K×C×H×W
    layers: tuple[int, ...]
    range_name: str


def mixing_grid(model: StyleGAN, w_rows: torch.Tensor, w_columns: torch.Tensor,
                layers: str | Sequence[int], noise_mode: str = "const") -> MixingGrid:
    """Return the mixing grid of sources A = w_rows (R×w_dim) and B = w_columns (K×w_dim):
    each cell is column B's image with row A's styles in `layers` ("coarse", "middle",
    "fine" or explicit ws indices)."""
    n = num_ws(model)
    name = layers if isinstance(layers, str) else "custom"
    idx = tuple(layer_ranges(model)[layers]) if isinstance(layers, str) else tuple(layers)
    r, k = len(w_rows), len(w_columns)
    ws_a = broadcast(w_rows, n).repeat_interleave(k, dim=0)
    ws_b = broadcast(w_columns, n).repeat(r, 1, 1)
    cells = synthesize(model, mix(ws_a, ws_b, idx), noise_mode)
    return MixingGrid(rows=synthesize(model, broadcast(w_rows, n), noise_mode),
                      columns=synthesize(model, broadcast(w_columns, n), noise_mode),
                      cells=cells.view(r, k, *cells.shape[1:]), layers=idx, range_name=name)


def edit_layers(ws: torch.Tensor, layers: Sequence[int] | range, *,
                replace: torch.Tensor | None = None, offset: torch.Tensor | None = None
                ) -> torch.Tensor:
    """Return a copy of ws (N×num_ws×w_dim) whose `layers` get w `replace` (w_dim or
    N×w_dim) and/or then `offset` (w_dim or N×w_dim) added; other layers unchanged."""
    out = ws.clone()
    idx = list(layers)
    if replace is not None:
        out[:, idx] = replace.reshape(-1, 1, ws.shape[-1]).to(ws.dtype)
    if offset is not None:
        out[:, idx] = out[:, idx] + offset.reshape(-1, 1, ws.shape[-1]).to(ws.dtype)
    return out


def slerp(a: torch.Tensor, b: torch.Tensor, t: torch.Tensor) -> torch.Tensor:
    """Return spherical interpolation between rows of a and b (N×D) at t (N or scalar):
    the angle and the norm are both interpolated linearly, so Gaussian z keep their
    typical length."""
    t = torch.as_tensor(t, dtype=a.dtype).reshape(-1, 1)
    na, nb = a.norm(dim=1, keepdim=True), b.norm(dim=1, keepdim=True)
    ua, ub = a / na.clamp_min(1e-12), b / nb.clamp_min(1e-12)
    cos = (ua * ub).sum(1, keepdim=True).clamp(-1.0, 1.0)
    omega = torch.acos(cos)
    so = torch.sin(omega)
    # Nearly parallel: fall back to lerp of the directions (sin ω → 0).
    small = so.abs() < 1e-6
    wa = torch.where(small, 1.0 - t, torch.sin((1.0 - t) * omega) / so.where(~small, 1.0))
    wb = torch.where(small, t, torch.sin(t * omega) / so.where(~small, 1.0))
    direction = wa * ua + wb * ub
    return direction * torch.lerp(na, nb, t)


def lerp(a: torch.Tensor, b: torch.Tensor, t: torch.Tensor) -> torch.Tensor:
    """Return a + t·(b − a) row-wise (a, b: N×D; t: N or scalar)."""
    t = torch.as_tensor(t, dtype=a.dtype).reshape(-1, 1)
    return a + t * (b - a)


@dataclass(frozen=True)
class Interpolation:
    """Images along a path, the path's latents, and the space it was taken in."""

    space: str  # "z" (slerp, then mapped) or "w" (lerp)
    alphas: torch.Tensor  # steps
    latents: torch.Tensor  # steps × z_dim or steps × w_dim
    images: torch.Tensor  # steps × C × H × W


def interpolate(model: StyleGAN, z0: torch.Tensor, z1: torch.Tensor, steps: int,
                space: str, psi: float = 1.0) -> Interpolation:
    """Return the path from z0 to z1 (z_dim each) in `steps` images: "z" slerps the z's
    and maps every point; "w" maps the ends and lerps the w's (the path StyleGAN's
    W-space PPL measures). ψ truncates every w."""
    alphas = torch.linspace(0.0, 1.0, steps)
    a, b = z0.reshape(1, -1).expand(steps, -1), z1.reshape(1, -1).expand(steps, -1)
    if space == "z":
        latents = slerp(a, b, alphas)
        w = mapping(model, latents)
    elif space == "w":
        wa, wb = mapping(model, torch.stack([z0.reshape(-1), z1.reshape(-1)]))
        latents = lerp(wa.expand(steps, -1), wb.expand(steps, -1), alphas)
        w = latents
    else:
        raise ValueError(f"space must be 'z' or 'w', not {space!r}")
    images = synthesize(model, broadcast(truncate(model, w, psi), num_ws(model)))
    return Interpolation(space, alphas, latents, images)
