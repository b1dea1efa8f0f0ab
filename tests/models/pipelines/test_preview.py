"""The pipeline's linear latent → RGB map: fitted per latent pixel from the VAE itself."""

from __future__ import annotations

from types import SimpleNamespace
from typing import Any

import numpy as np
import pytest

from models.pipelines.preview import PatchPreview, fit_patch_preview

pytestmark = pytest.mark.usefixtures("one_thread")


class PatchDecoder:
    """A 'VAE' whose decoder is exactly linear per latent pixel: each pixel's 4 values
    → a 2×2 RGB patch (a transposed convolution with stride 2), small enough that the
    pipelines' clamp to [0, 1] never bites."""

    def __init__(self) -> None:
        import torch

        g = torch.Generator().manual_seed(0)
        self.conv = torch.nn.ConvTranspose2d(4, 3, 2, stride=2)
        with torch.no_grad():
            self.conv.weight.copy_(0.03 * torch.randn(self.conv.weight.shape, generator=g))
            self.conv.bias.copy_(torch.tensor([0.1, -0.1, 0.0]))
        self.config = SimpleNamespace(scaling_factor=0.5, shift_factor=None)
        self.dtype = torch.float32

    def parameters(self) -> Any:
        return self.conv.parameters()

    def decode(self, z: Any, return_dict: bool = False) -> tuple[Any]:
        return (self.conv(z),)


def test_a_linear_decoder_is_recovered_exactly() -> None:
    import torch

    vae = PatchDecoder()
    preview = fit_patch_preview(vae, (4, 6, 6), seed=1, count=2)
    assert isinstance(preview, PatchPreview) and preview.factor == 2
    assert preview.r2 > 0.999 and preview.fit_ms > 0
    latents = np.random.default_rng(3).normal(size=(2, 4, 6, 6)).astype(np.float32) * 0.3
    with torch.no_grad():
        want = (vae.conv(torch.from_numpy(latents) / 0.5) / 2 + 0.5).clamp(0, 1).numpy()
    assert preview.images(latents).shape == (2, 3, 12, 12)
    np.testing.assert_allclose(preview.images(latents), want, atol=1e-4)


def test_the_tiny_sd_vae_gets_a_map_of_its_image_size(sd_folder: Any) -> None:
    from models.pipelines.opening import open_pipeline

    vae = open_pipeline(sd_folder).pipe.vae
    preview = fit_patch_preview(vae, (4, 8, 8))
    images = preview.images(np.zeros((3, 4, 8, 8), np.float32))
    assert images.shape == (3, 3, 16, 16) and images.dtype == np.float32
    assert np.isfinite(preview.r2)
