"""The gated PixelCNN family: exact likelihood over 8-bit pixels, sampled pixel by pixel.

Output: a 256-way softmax per pixel and channel, not a discretised logistic mixture. The
softmax can put its mass anywhere (MNIST's pixels pile up at 0 and 255, with a thin
spread between), its likelihood is a plain cross-entropy, and the distribution the
sampling viewer shows on hover is exactly the one drawn from. The price is a wider last
layer (256·C maps), which is small at these image sizes.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any, ClassVar

import torch
from torch import nn

from models.base import Capabilities, GenerativeModel
from models.pixelcnn.config import PixelCNNConfig
from models.pixelcnn.layers import GatedLayer, MaskedConv
from models.pixelcnn.likelihood import LEVELS, bits_per_dim, nll_nats, quantise

NLL_CHUNK = 128  # images per forward pass in nll_bits_per_dim


class PixelCNN(GenerativeModel):
    """Gated PixelCNN (van den Oord et al. 2016), optionally class-conditional.

    p(x) = Π over pixels in raster order, and channels R, G, B within a pixel, of a
    256-way categorical conditioned on everything before it.
    """

    family = "pixelcnn"
    config_class = PixelCNNConfig
    likelihood_kind: ClassVar[str] = "exact"

    def __init__(self, config: PixelCNNConfig) -> None:
        super().__init__(config)
        c, f = config.channels, config.filters
        classes = config.num_classes if config.class_conditional else None
        self.layers = nn.ModuleList(
            [GatedLayer(c, f, config.first_kernel, c, first=True, num_classes=classes)]
            + [GatedLayer(f, f, config.kernel, c, first=False, num_classes=classes)
               for _ in range(config.gated_layers)])
        self.head = nn.Sequential(
            nn.ReLU(), MaskedConv(f, config.output_filters, 1, c, "B"),
            nn.ReLU(), MaskedConv(config.output_filters, LEVELS * c, 1, c, "B"))

    # --- description -------------------------------------------------------------------
    @property
    def capabilities(self) -> Capabilities:
        """Return: no encoder, no latent, no prior; conditional when configured so."""
        return Capabilities(can_encode=False, conditional=bool(self.config.class_conditional),
                            is_diffusion=False, latent_shape=(), has_prior=False)

    @property
    def dims(self) -> int:
        """Return D, the values per image (C·H·W)."""
        return self.config.channels * self.config.image_size ** 2

    # --- the network -------------------------------------------------------------------
    def logits(self, levels: torch.Tensor, labels: torch.Tensor | None = None) -> torch.Tensor:
        """Return 256-way logits [N, 256, C, H, W] for 8-bit levels [N, C, H, W] (long).

        Position (i, j, c) depends only on pixels before (i, j) in raster order and on the
        channels before c at (i, j).
        """
        return self(levels.float() * (2.0 / (LEVELS - 1)) - 1.0, labels)

    def forward(self, x: torch.Tensor, labels: torch.Tensor | None = None) -> torch.Tensor:
        """Return the logits [N, 256, C, H, W] for inputs x: levels scaled to [−1, 1]."""
        y = self._labels(labels, len(x))
        v, h = x, x
        for layer in self.layers:
            v, h = layer(v, h, y)
        out = self.head(h)
        n, _, rows, cols = out.shape
        return out.view(n, LEVELS, self.config.channels, rows, cols)

    def _labels(self, labels: torch.Tensor | None, n: int) -> torch.Tensor | None:
        """Return labels on the device for a conditional model (None otherwise).

        Raises ValueError when a conditional model gets none or negative ones (images
        without a class).
        """
        if not self.config.class_conditional:
            return None
        if labels is None:
            raise ValueError("a class-conditional pixelcnn needs class labels")
        labels = labels.to(self.device, torch.long).reshape(-1)
        if len(labels) != n:
            raise ValueError(f"{len(labels)} labels for {n} images")
        if bool((labels < 0).any()):
            raise ValueError("a class-conditional pixelcnn needs a dataset where every "
                             "image has a class label")
        return labels

    # --- likelihood --------------------------------------------------------------------
    @torch.no_grad()
    def nll_bits_per_dim(self, x: torch.Tensor, labels: torch.Tensor | None = None
                         ) -> torch.Tensor:
        """Return the exact −log₂ p(x) / D per image [N] (float, no gradient) for images
        in [0, 1], quantised to 8 bits. Conditional models need `labels`.

        Runs in chunks of NLL_CHUNK images: the logits take 256 floats per value (800 MB
        for a thousand 28×28 images at once).
        """
        levels = quantise(x.to(self.device))
        out = []
        for i in range(0, len(levels), NLL_CHUNK):
            part = levels[i:i + NLL_CHUNK]
            y = None if labels is None else labels[i:i + NLL_CHUNK]
            out.append(bits_per_dim(nll_nats(self.logits(part, y), part), self.dims))
        return torch.cat(out).float() if out else torch.zeros(0, device=self.device)

    def _metrics(self, x: torch.Tensor, y: torch.Tensor) -> tuple[torch.Tensor, dict[str, Any]]:
        levels = quantise(x)
        nats = nll_nats(self.logits(levels, y), levels)
        bpd = bits_per_dim(nats, self.dims)
        loss = bpd.mean().float()
        return loss, {"loss": loss.detach(), "bits_per_dim": loss.detach(),
                      "nll": nats.mean().float().detach()}

    # --- training ----------------------------------------------------------------------
    def training_step(self, x: torch.Tensor, y: torch.Tensor,
                      optimizers: dict[str, torch.optim.Optimizer]) -> dict[str, torch.Tensor]:
        """Minimise the exact NLL; return loss (= bits_per_dim, batch mean) and nll
        (nats per image)."""
        opt = optimizers["model"]
        opt.zero_grad(set_to_none=True)
        loss, metrics = self._metrics(x, y)
        self.backward(loss)
        self.optimizer_step(opt)
        return metrics

    @torch.no_grad()
    def validation_step(self, x: torch.Tensor, y: torch.Tensor) -> dict[str, torch.Tensor]:
        """Return loss (= bits_per_dim) and nll (nats per image) of held-out images."""
        return self._metrics(x, y)[1]

    # --- generation --------------------------------------------------------------------
    @torch.no_grad()
    def sample(self, n: int, seed: int, labels: torch.Tensor | None = None,
               **options: Any) -> torch.Tensor:
        """Return n images in [0, 1] drawn pixel by pixel, the same for the same seed.

        Options: `temperature` (default 1: the model's own distribution; below 1 sharper).
        Conditional models default to labels 0..K−1 cycling.
        """
        from models.pixelcnn.sampling import PixelSampler

        sampler = PixelSampler(self, n, seed, self._default_labels(n, labels), **options)
        for _ in sampler.steps():
            pass
        return sampler.images()

    def preview_steps(self, n: int, seed: int) -> Iterator[torch.Tensor | None]:
        """Yield None after each row of `preview(n, seed)`, then its images: a job can
        stop between rows."""
        from models.pixelcnn.sampling import PixelSampler

        sampler = PixelSampler(self, n, seed, self._default_labels(n, None))
        with torch.no_grad():
            for step in sampler.steps():
                if step.col == self.config.image_size - 1 \
                        and step.channel == self.config.channels - 1:
                    yield None
        yield sampler.images()

    def _default_labels(self, n: int, labels: torch.Tensor | None) -> torch.Tensor | None:
        if self.config.class_conditional and labels is None:
            return torch.arange(n) % self.config.num_classes
        return labels
