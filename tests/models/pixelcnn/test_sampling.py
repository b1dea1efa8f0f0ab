"""Sampling pixel by pixel: seeds, temperature, the cached network against whole forward
passes, and the recording for the step viewer replaying `sample()`."""

from __future__ import annotations

import numpy as np
import pytest
import torch

from models.pixelcnn.likelihood import quantise
from models.pixelcnn.sampling import draw, record_sampling
from tests.models.pixelcnn.helpers import sharpened, tiny

pytestmark = pytest.mark.usefixtures("one_thread")


@pytest.mark.parametrize("channels", [1, 3])
def test_samples_are_images_fixed_by_the_seed(channels: int) -> None:
    model = sharpened(tiny(channels))
    a = model.sample(4, seed=1)
    assert a.shape == (4, channels, 8, 8) and 0 <= a.min() and a.max() <= 1
    assert torch.equal(a, quantise(a).float() / 255)  # 8-bit values
    assert torch.equal(a, model.sample(4, seed=1))
    assert not torch.equal(a, model.sample(4, seed=2))
    assert torch.equal(model.sample(2, seed=1), a[:2])  # image k draws the same alone


@pytest.mark.parametrize(("channels", "conditional"), [(1, False), (3, True)])
def test_the_recording_replays_sample_and_its_distributions_are_the_networks(
        channels: int, conditional: bool) -> None:
    model = sharpened(tiny(channels, conditional=conditional))
    rec = record_sampling(model, 3, seed=5)
    images = model.sample(3, seed=5)
    np.testing.assert_array_equal(rec.images, quantise(images).numpy())
    steps = channels * 64
    assert rec.steps == steps and rec.probs.shape == (steps, 3, 256)
    assert rec.probs.dtype == np.float16 and rec.values.dtype == np.uint8
    assert rec.labels.tolist() == [0, 1, 2] if conditional else rec.labels is None
    # Raster order, channels innermost; each value is the one the image holds there.
    assert rec.positions[:channels + 1].tolist() == \
        [[0, 0, c] for c in range(channels)] + [[0, 1, 0]]
    for step, (r, c, ch) in enumerate(rec.positions):
        np.testing.assert_array_equal(rec.values[step], rec.images[:, ch, r, c])
    # The sampler's cached network gives what a whole forward pass gives on the finished
    # images (each position sees only earlier values).
    labels = torch.arange(3) if conditional else None
    with torch.no_grad():
        full = torch.softmax(model.logits(torch.from_numpy(rec.images).long(), labels), 1)
    full = full.permute(2, 3, 4, 0, 1)  # C, H, W, n, 256
    by_position = full[rec.positions[:, 2], rec.positions[:, 0], rec.positions[:, 1]]
    np.testing.assert_allclose(rec.probs, by_position.numpy(), atol=1e-3)
    assert np.allclose(rec.probs.sum(axis=2), 1, atol=0.02)


def test_a_steps_partial_image_holds_the_values_drawn_so_far() -> None:
    model = sharpened(tiny())
    rec = record_sampling(model, 2, seed=0)
    assert not rec.partial(-1).any()
    np.testing.assert_array_equal(rec.partial(rec.steps - 1), rec.images)
    part = rec.partial(9)  # row 0 whole, row 1 up to column 1
    filled = rec.filled(9)
    assert filled.sum() == 10 and filled[0, 0].all() and filled[0, 1, :2].all()
    np.testing.assert_array_equal(part[:, filled], rec.images[:, filled])
    assert not part[:, ~filled].any()


def test_temperature_sharpens_the_distributions_drawn_from() -> None:
    model = sharpened(tiny())

    def entropy(t: float) -> float:
        p = record_sampling(model, 4, seed=0, temperature=t).probs.astype(np.float64)
        return float(-(p * np.log(np.clip(p, 1e-12, 1))).sum(axis=2).mean())

    assert entropy(0.5) < entropy(1.0) < entropy(2.0)
    with pytest.raises(ValueError, match="temperature"):
        model.sample(1, seed=0, temperature=0.0)


def test_draw_takes_the_inverse_cdf() -> None:
    probs = torch.tensor([[0.5, 0.0, 0.5], [0.0, 0.0, 1.0]], dtype=torch.float64)
    assert draw(probs, torch.tensor([0.49, 0.0], dtype=torch.float64)).tolist() == [0, 2]
    assert draw(probs, torch.tensor([0.5, 0.999], dtype=torch.float64)).tolist() == [2, 2]


def test_preview_steps_yield_once_per_row_then_the_images() -> None:
    model = tiny(conditional=True)
    out = list(model.preview_steps(4, seed=3))
    assert out[:-1] == [None] * 8
    assert torch.equal(out[-1], model.sample(4, seed=3, labels=torch.arange(4)))
    assert model.training is False
