"""An opened model: loaded once, copied per thread, previews that can stop between steps."""

from __future__ import annotations

import torch

from models.demos import list_demos
from models.opened import SOURCE_CHECKPOINT, open_model


def _demo(name: str):
    return next(d for d in list_demos() if d.name == name).path


def test_open_model_describes_the_checkpoint_and_its_run() -> None:
    opened = open_model(_demo("vae-2d"))
    assert opened.family == "vae" and opened.source == SOURCE_CHECKPOINT
    assert opened.capabilities.can_encode and opened.capabilities.latent_dim == 2
    assert opened.dataset == "mnist5k" and opened.epoch > 0
    assert opened.path == _demo("vae-2d")


def test_inference_copies_are_independent_modules_with_equal_weights() -> None:
    opened = open_model(_demo("dcgan"))
    a, b = opened.inference_copy(), opened.inference_copy()
    assert a is not b
    for (ka, va), (kb, vb) in zip(a.state_dict().items(), b.state_dict().items(), strict=True):
        assert ka == kb and torch.equal(va, vb) and va.data_ptr() != vb.data_ptr()
    with torch.no_grad():
        next(a.parameters()).add_(1.0)  # one thread's copy never changes another's
    assert not torch.equal(next(a.parameters()), next(b.parameters()))
    with torch.no_grad():
        torch.testing.assert_close(b.sample(2, seed=3), opened.inference_copy().sample(2, seed=3))


def test_diffusion_preview_steps_yield_per_step_and_equal_the_preview() -> None:
    model = open_model(_demo("cddpm-tiny")).inference_copy()
    events = list(model.preview_steps(3, seed=5))
    assert all(e is None for e in events[:-1]) and len(events) == model.config.sample_steps + 1
    torch.testing.assert_close(events[-1], model.preview(3, seed=5), atol=1e-5, rtol=0)


def test_other_models_preview_in_one_step() -> None:
    model = open_model(_demo("vae-2d")).inference_copy()
    (images,) = list(model.preview_steps(4, seed=1))
    torch.testing.assert_close(images, model.preview(4, seed=1))
