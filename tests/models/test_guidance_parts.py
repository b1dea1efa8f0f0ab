"""Classifier-free guidance's branches recorded per step (`guidance_parts=True`): exact
identities at w = 1 and w = 0, the same passes as the guided step. Tiny UNets, no downloads.
"""

from __future__ import annotations

import numpy as np
import pytest
import torch

from models.diffusion import CDDPMConfig, DDPMConfig
from models.diffusion.config import SAMPLERS
from models.diffusion.model import DDPM, ConditionalDDPM
from models.diffusion.sampling import DenoiseStep, trajectory

pytestmark = pytest.mark.usefixtures("one_thread")  # tiny models: one torch thread

TINY = {"image_size": 8, "preset": "custom", "block_channels": (4, 8), "norm_groups": 4,
        "num_classes": 3}
STEPS = 4
LABELS = [0, 2, 1]


def tiny(cls: type[DDPM]) -> DDPM:
    """Return a tiny seeded model whose outputs are not all zero."""
    torch.manual_seed(0)
    config = (CDDPMConfig if cls is ConditionalDDPM else DDPMConfig)(**TINY)  # type: ignore[arg-type]
    model = cls(config)  # type: ignore[arg-type]
    with torch.no_grad():  # a fresh UNet's last conv is zero: perturb it
        for p in model.unet.parameters():
            p.add_(torch.randn_like(p) * 0.05)
        model.ema_unet.load_state_dict(model.unet.state_dict())  # type: ignore[union-attr]
    return model.eval()




@pytest.fixture(scope="module")
def cddpm() -> ConditionalDDPM:
    return tiny(ConditionalDDPM)  # type: ignore[return-value]


def _steps(events: list) -> list[DenoiseStep]:
    return [e for e in events if isinstance(e, DenoiseStep)]


def _one_branch_run(model: ConditionalDDPM, labels: list[int], sampler: str) -> list:
    """Return the trajectory of a predictor that only ever asks the UNet for `labels`
    (-1: the null class): a conditional-only or unconditional-only run."""
    unet = model.sampling_unet
    y = model._class_labels(torch.tensor(labels), len(labels))

    def predict(x: torch.Tensor, t: torch.Tensor) -> torch.Tensor:
        return unet(x, t, class_labels=y).sample

    return list(trajectory(predict, model.schedule, (len(labels), *model.image_shape),
                           seed=5, sampler=sampler, steps=STEPS,
                           departures=model.departures()))


def _assert_same_run(a: list, b: list) -> None:
    assert len(a) == len(b)
    for x, y in zip(a, b, strict=True):
        assert np.array_equal(x.x0, y.x0)
        if isinstance(x, DenoiseStep):
            assert np.array_equal(x.x_t, y.x_t) and np.array_equal(x.eps, y.eps)


@pytest.mark.parametrize("sampler", SAMPLERS)
def test_guidance_one_is_the_conditional_branch_bit_for_bit(cddpm, sampler) -> None:
    events = list(cddpm.trajectory(3, 5, sampler=sampler, steps=STEPS, labels=LABELS,
                                   guidance=1.0, guidance_parts=True))
    for step in _steps(events):
        assert step.parts is not None
        assert np.array_equal(step.eps, step.parts.eps_cond)
        assert np.array_equal(step.x0, step.parts.x0_cond)
        assert not np.array_equal(step.eps, step.parts.eps_uncond)
    _assert_same_run(events, _one_branch_run(cddpm, LABELS, sampler))


@pytest.mark.parametrize("sampler", SAMPLERS)
def test_guidance_zero_is_the_unconditional_branch_bit_for_bit(cddpm, sampler) -> None:
    events = list(cddpm.trajectory(3, 5, sampler=sampler, steps=STEPS, labels=LABELS,
                                   guidance=0.0, guidance_parts=True))
    for step in _steps(events):
        assert step.parts is not None
        assert np.array_equal(step.eps, step.parts.eps_uncond)
        assert np.array_equal(step.x0, step.parts.x0_uncond)
    _assert_same_run(events, _one_branch_run(cddpm, [-1, -1, -1], sampler))
    null_class = list(cddpm.trajectory(3, 5, sampler=sampler, steps=STEPS,
                                       labels=[-1, -1, -1], guidance=1.0))
    _assert_same_run(events, null_class)


@pytest.mark.parametrize("w", [0.0, 1.0, 3.0])
def test_recording_the_branches_leaves_the_guided_run_unchanged(cddpm, w) -> None:
    plain = list(cddpm.trajectory(3, 5, steps=STEPS, labels=LABELS, guidance=w))
    parted = list(cddpm.trajectory(3, 5, steps=STEPS, labels=LABELS, guidance=w,
                                   guidance_parts=True))
    _assert_same_run(plain, parted)
    assert all(s.parts is None for s in _steps(plain))


def test_guided_noise_mixes_the_recorded_branches(cddpm) -> None:
    for step in _steps(list(cddpm.trajectory(3, 5, steps=STEPS, labels=LABELS, guidance=3.0,
                                             guidance_parts=True))):
        p = step.parts
        assert p is not None
        np.testing.assert_allclose(step.eps, p.eps_uncond + 3.0 * (p.eps_cond - p.eps_uncond),
                                   atol=1e-5)
        assert not np.array_equal(p.eps_cond, p.eps_uncond)
        for arr in (p.eps_cond, p.x0_cond, p.eps_uncond, p.x0_uncond):
            assert arr.shape == step.eps.shape and arr.dtype == np.float32
        assert p.nbytes == 4 * step.eps.nbytes


def test_the_branches_come_from_the_guided_pass(cddpm) -> None:
    calls = []
    hook = cddpm.sampling_unet.register_forward_hook(lambda *_: calls.append(1))
    try:
        list(cddpm.trajectory(3, 5, steps=STEPS, labels=LABELS, guidance=3.0,
                              guidance_parts=True))
    finally:
        hook.remove()
    assert len(calls) == STEPS  # one doubled batch a step, as without the parts


def test_an_unconditional_model_has_no_branches() -> None:
    model = tiny(DDPM)
    events = list(model.trajectory(2, 5, steps=STEPS, guidance_parts=True))
    assert all(s.parts is None for s in _steps(events))
