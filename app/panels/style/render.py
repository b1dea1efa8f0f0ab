"""What the Style dock draws, computed on its lane with the lane's copy of the StyleGAN.

`StyleRenderer` turns the dock's settings into `Frame`s: uint8 images (N×H×W×C) and one
composed picture of them. It runs on the "style" lane only (its jobs run one at a time, so
its caches need no lock) and keeps the w of every seed it mapped, since every view asks
for the same few seeds again at each slider position.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

import numpy as np

from app.jobs.copies import ModelCopy
from app.panels.style.tiles import (
    compose,
    enlarge,
    heat_map,
    heat_top,
    labelled_grid,
    spans,
)

if TYPE_CHECKING:
    import torch

    from models.opened import OpenedModel
    from models.stylegan.directions import Directions
    from models.stylegan.model import StyleGAN

PSI_STEP = 0.05  # the truncation slider's resolution
EDIT_STEP = 0.1  # the edit amount slider's resolution
DIRECTIONS = 10  # principal directions of w offered (GANSpace)
DIRECTION_SAMPLES = 10_000  # w sampled for them
MAX_CACHED_WS = 512  # seeds whose w is kept
GAP = 6  # columns between the parts of a picture
GRID_MARGIN = 8  # between a mixing grid's sources and its cells


@dataclass(frozen=True)
class Frame:
    """A picture for one slider position: `picture` (uint8 H×W×C) composed of `images`
    (uint8 N×h×w×C, in the order the view lists them) and any extra arrays."""

    picture: np.ndarray
    images: np.ndarray
    extra: dict[str, np.ndarray] = field(default_factory=dict)
    labels: tuple[tuple[int, int, str], ...] = ()  # (first, end column, text) above them


def to_uint8(images: torch.Tensor) -> np.ndarray:
    """Return images in [0, 1] (N×C×H×W) as uint8 N×H×W×C, a fresh array."""
    return (images.permute(0, 2, 3, 1) * 255.0).round().byte().numpy().copy()


class StyleRenderer:
    """Renders the Style dock's views for one opened StyleGAN: made on the GUI thread,
    used on the lane only."""

    def __init__(self, model: OpenedModel) -> None:
        self.opened = model
        self._copy = ModelCopy()
        self._ws: dict[int, torch.Tensor] = {}
        self._sources: tuple[object, np.ndarray] = (None, np.zeros(0, np.uint8))
        self._directions: Directions | None = None

    @property
    def model(self) -> StyleGAN:
        """Return the lane's copy of the StyleGAN (made on first use)."""
        return self._copy.get(self.opened)

    def w_of(self, seeds: Sequence[int]) -> torch.Tensor:
        """Return the untruncated w of each seed (len × w_dim), mapping only new seeds."""
        import torch

        from models.stylegan import wspace

        new = [s for s in dict.fromkeys(seeds) if s not in self._ws]
        if new:
            if len(self._ws) + len(new) > MAX_CACHED_WS:
                self._ws.clear()
            z = torch.cat([wspace.sample_z(self.model, 1, s) for s in new])
            for s, w in zip(new, wspace.mapping(self.model, z), strict=True):
                self._ws[s] = w
        return torch.stack([self._ws[s] for s in seeds])

    def _images(self, ws: torch.Tensor, noise_mode: str = "const",
                noise_layers: Sequence[bool] | None = None) -> np.ndarray:
        from models.stylegan import wspace

        return to_uint8(wspace.synthesize(self.model, ws, noise_mode, noise_layers))

    def _broadcast(self, w: torch.Tensor) -> torch.Tensor:
        from models.stylegan import wspace

        return wspace.broadcast(w, wspace.num_ws(self.model))

    # --- the views ---------------------------------------------------------------------------
    def truncation(self, seeds: Sequence[int], columns: int, psi: float) -> Frame:
        """Return w̄'s image, then the seeds' images at w̄ + ψ(w − w̄), as w̄ | grid."""
        from models.stylegan import wspace

        w = wspace.truncate(self.model, self.w_of(seeds), psi)
        w_bar = wspace.w_avg(self.model).unsqueeze(0)
        images = self._images(self._broadcast(torch_cat(w_bar, w)))
        parts = [images[0], labelled_grid(images[1:], columns)]
        (a, b), (c, d) = spans(parts, GAP)
        return Frame(compose(parts, GAP), images,
                     labels=((a, b, "w̄"), (c, d, f"seeds at ψ = {psi:.2f}")))

    def mixing(self, rows: Sequence[int], columns: Sequence[int], layers: Sequence[int],
               share: float = 1.0) -> Frame:
        """Return the style-mixing grid: B images along the top, A images down the left,
        cell (i, j) = B_j's styles with A_i's in `layers` (`share` < 1: B's styles moved
        that far toward A's there); `images` are the cells row by row,
        `extra["rows"]`/`extra["columns"]` the sources' own images."""
        from models.stylegan import wspace

        w_a, w_b = self.w_of(rows), self.w_of(columns)
        key = (tuple(rows), tuple(columns))
        if self._sources[0] != key:  # the same at every slider position
            self._sources = (key, self._images(self._broadcast(torch_cat(w_a, w_b))))
        sources = self._sources[1]
        r, k = len(rows), len(columns)
        ws_a = self._broadcast(w_a).repeat_interleave(k, dim=0)
        ws_b = self._broadcast(w_b).repeat(r, 1, 1)
        if share != 1.0:  # 1: exactly `mix`, which the figure is
            ws_a = ws_b.lerp(ws_a, share)
        cells = self._images(wspace.mix(ws_a, ws_b, list(layers)))
        picture = labelled_grid(cells, k, top=sources[r:], left=sources[:r],
                                margin=GRID_MARGIN)
        w = cells.shape[2]
        return Frame(picture, cells, {"rows": sources[:r], "columns": sources[r:]},
                     labels=((0, w, "A ↓"), (w + GRID_MARGIN, picture.shape[1], "B →")))

    def directions(self) -> Directions:
        """Return the principal directions of sampled w (computed once per model)."""
        from models.stylegan.directions import pca_directions

        if self._directions is None:
            self._directions = pca_directions(self.model, DIRECTIONS, DIRECTION_SAMPLES)
        return self._directions

    def edit(self, seed: int, target: int, layers: Sequence[int], mode: str,
             amount: float) -> Frame:
        """Return before | after | target for `seed` whose `layers` move toward `target`'s
        w by `amount` (mode "toward": w + a·(w_t − w)), are scaled around w̄ (mode
        "scale": w̄ + a·(w − w̄)) or move along principal direction `target` of w (mode
        "direction": w + a·σ_k·v_k; the third image is then w̄ moved so, all layers);
        `images` = before, after, third."""
        from models.stylegan import wspace
        from models.stylegan.directions import apply_directions

        if mode == "direction":
            w = self.w_of([seed])[0]
            ws = self._broadcast(w.unsqueeze(0))
            amounts = [0.0] * target + [amount]
            after = apply_directions(ws, self.directions(), amounts, list(layers))
            third = apply_directions(self._broadcast(wspace.w_avg(self.model)[None]),
                                     self.directions(), amounts, range(ws.shape[1]))
            names = ("before", "after", f"w̄ + {amount:.1f}σ·v{target}")
        else:
            w, w_t = self.w_of([seed, target])
            ws = self._broadcast(w.unsqueeze(0))
            if mode == "toward":
                new = w + amount * (w_t - w)
            else:
                new = wspace.truncate(self.model, w, amount)
            after = wspace.edit_layers(ws, list(layers), replace=new)
            third = self._broadcast(w_t.unsqueeze(0))
            names = ("before", "after", "target")
        images = self._images(torch_cat(ws, after, third))
        parts = list(images)
        labels = tuple((a, b, text)
                       for (a, b), text in zip(spans(parts, GAP), names, strict=True))
        return Frame(compose(parts, GAP), images, labels=labels)

    def noise(self, seed: int, noise_mode: str, noise_layers: Sequence[bool],
              draws: int) -> Frame:
        """Return the seed's image with `noise_mode` on `noise_layers`, then `draws` images
        with fresh noise on those layers and their per-pixel standard deviation as a heat
        map (`extra["std"]`: float H×W, `extra["heat"]`: its uint8 colour picture, white
        at `heat_top(std)`)."""
        ws = self._broadcast(self.w_of([seed]))
        shown = self._images(ws, noise_mode, noise_layers)
        drawn = self._images(ws.repeat(draws, 1, 1), "random", noise_layers)
        std = drawn.astype(np.float32).mean(-1).std(0) / 255.0
        heat = heat_map(std, heat_top(std))
        images = np.concatenate([shown, drawn])
        big = 2  # the single images beside a two-row grid of draws, at its height
        parts = [enlarge(shown[0], big), labelled_grid(drawn, (draws + 1) // 2),
                 enlarge(heat, big)]
        labels = tuple((a, b, text) for (a, b), text in zip(
            spans(parts, 2 * GAP), (f"noise {noise_mode}", f"{draws} draws of fresh noise",
                                    "std per pixel"), strict=True))
        return Frame(compose(parts, 2 * GAP), images, {"std": std, "heat": heat}, labels)


def torch_cat(*parts: torch.Tensor) -> torch.Tensor:
    """Return the parts joined along the first dimension."""
    import torch

    return torch.cat(parts)
