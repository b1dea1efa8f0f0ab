"""The linear latent → pixel preview of latent diffusion: its least-squares fit and R², its
place in the checkpoint, fitted when the diffusion phase begins, and the trajectory
recording with each preview mode. Tiny models built from configs; nothing downloads."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
import torch

from models.checkpoint import load_checkpoint, save_checkpoint
from models.diffusion.events import DenoiseFinished, DenoiseStep
from models.latent_diffusion.linear_preview import fit_linear_preview, r_squared
from models.latent_diffusion.recording import PreviewMode, record_trajectory
from tests.models.test_latent_diffusion import tiny_model

pytestmark = pytest.mark.usefixtures("one_thread")


def _known_map(rng: np.random.Generator, n: int) -> tuple[np.ndarray, np.ndarray, np.ndarray,
                                                           np.ndarray]:
    """Return latents N×2×4×4, the true weight 32×(1·6·6), bias and images made by them."""
    z = rng.normal(size=(n, 2, 4, 4))
    w = rng.normal(size=(32, 36)) * 0.05
    b = rng.uniform(0.3, 0.7, size=36)
    return z, w, b, (z.reshape(n, -1) @ w + b).reshape(n, 1, 6, 6)


def test_a_known_linear_map_is_recovered_exactly() -> None:
    rng = np.random.default_rng(0)
    z, w, b, x = _known_map(rng, 300)
    preview = fit_linear_preview(z[:250], x[:250], z[250:], x[250:], ridge=0.0)
    assert preview.r2 == pytest.approx(1.0, abs=1e-9)
    np.testing.assert_allclose(preview.weight, w, atol=1e-5)
    np.testing.assert_allclose(preview.bias, b, atol=1e-5)
    assert preview.image_shape == (1, 6, 6)
    np.testing.assert_allclose(preview.apply(z[250:]), np.clip(x[250:], 0, 1), atol=1e-5)
    # The default (slightly regularised) fit is as good as exact on such data.
    assert fit_linear_preview(z[:250], x[:250], z[250:], x[250:]).r2 > 0.99


def test_pixels_unrelated_to_the_latents_score_a_low_r2() -> None:
    rng = np.random.default_rng(1)
    z, _w, _b, x = _known_map(rng, 300)
    noise = rng.uniform(size=x.shape)
    assert fit_linear_preview(z[:250], noise[:250], z[250:], noise[250:]).r2 < 0.05
    # Half signal, half noise lies between.
    mixed = 0.5 * x + 0.5 * (noise - 0.5) * x.std() / noise.std()
    r2 = fit_linear_preview(z[:250], mixed[:250], z[250:], mixed[250:]).r2
    assert 0.2 < r2 < 0.95


def test_r_squared_is_one_for_exact_and_zero_for_the_mean_image() -> None:
    t = np.random.default_rng(2).uniform(size=(20, 10))
    assert r_squared(t, t) == 1.0
    assert r_squared(np.broadcast_to(t.mean(axis=0), t.shape), t) == pytest.approx(0.0)


def test_the_diffusion_phase_fits_the_preview_and_the_checkpoint_keeps_it(
        tmp_path: Path) -> None:
    model = tiny_model()
    assert model.linear_preview is None
    x = torch.rand(48, 1, 28, 28)
    state = torch.random.get_rng_state()
    model.enter_phase("diffusion", x[:40], x[40:], crossing=True)
    assert torch.equal(torch.random.get_rng_state(), state)  # training's draws unchanged
    preview = model.linear_preview
    assert preview is not None and np.isfinite(preview.r2)
    assert preview.weight.shape == (2 * 8 * 8, 28 * 28) and preview.fitted_on == 40
    folder = save_checkpoint(tmp_path / "ck", model)
    loaded = load_checkpoint(folder).model.linear_preview
    assert loaded is not None and loaded.r2 == pytest.approx(preview.r2)
    np.testing.assert_array_equal(loaded.weight, preview.weight)
    np.testing.assert_array_equal(loaded.bias, preview.bias)
    # A checkpoint saved before it was fitted loads without one (the viewer fits it).
    bare = save_checkpoint(tmp_path / "bare", tiny_model())
    assert load_checkpoint(bare).model.linear_preview is None


def test_recording_decodes_the_steps_its_preview_mode_chooses() -> None:
    model = tiny_model()
    x = torch.rand(40, 1, 28, 28)
    model.fit_linear_preview(x[:32], x[32:])
    plain = list(model.trajectory(2, 5, steps=5))
    decoded = {}
    for mode in (PreviewMode("decoder"), PreviewMode("every", 2), PreviewMode("linear")):
        events = list(record_trajectory(model, 2, 5, mode, steps=5))
        steps = [e for e in events if isinstance(e, DenoiseStep)]
        final = events[-1]
        assert isinstance(final, DenoiseFinished) and final.pixels is not None
        assert final.pixels.decoded is not None and final.pixels.decoded.shape == (2, 1, 28, 28)
        decoded[mode.kind] = [s.index for s in steps if s.pixels.decoded is not None]
        for s, p in zip(steps, plain, strict=False):  # the previews change no latent
            np.testing.assert_array_equal(s.x_t, p.x_t)
            assert s.pixels.linear is not None and s.pixels.linear.shape == (2, 1, 28, 28)
            assert s.pixels.step_ms > 0 and s.pixels.linear_ms > 0
            assert (s.pixels.decode_ms > 0) == (s.pixels.decoded is not None)
    assert decoded == {"decoder": [0, 1, 2, 3, 4], "every": [0, 2, 4], "linear": []}
    # The decoder's x̂0 is the model's own decode of the step's latent x̂0.
    step = next(e for e in record_trajectory(model, 2, 5, PreviewMode("decoder"), steps=5))
    np.testing.assert_allclose(step.pixels.decoded, model.to_images(step.x0).numpy(),
                               atol=1e-6)
    lin = model.linear_preview.apply_scaled(step.x0, model.scaling_factor)
    np.testing.assert_allclose(step.pixels.linear, lin, atol=1e-5)


def test_a_branch_records_from_its_start_with_previews() -> None:
    model = tiny_model()
    first = list(record_trajectory(model, 1, 0, PreviewMode("every", 3), steps=6))
    branch = list(record_trajectory(model, 1, 0, PreviewMode("every", 3), steps=6,
                                    start=first[2].x_t, start_index=2))
    assert [e.index for e in branch[:-1]] == [2, 3, 4, 5]
    assert [e.pixels.decoded is not None for e in branch[:-1]] == [False, True, False, True]
    assert branch[0].pixels.linear is None  # no map fitted: no linear view
    np.testing.assert_allclose(branch[-1].x0, first[-1].x0, atol=1e-5)


def test_a_guided_class_conditional_ldm_records_with_previews() -> None:
    from models.latent_diffusion.model import ConditionalLDM

    model = tiny_model(ConditionalLDM)
    options = {"labels": [0, 2], "guidance": 2.0, "steps": 3}
    plain = list(model.trajectory(2, 1, **options))
    events = list(record_trajectory(model, 2, 1, PreviewMode("decoder"), **options))
    np.testing.assert_array_equal(events[-1].x0, plain[-1].x0)
    assert all(e.pixels.decoded.shape == (2, 1, 28, 28) for e in events)


def test_a_non_finite_preview_is_refused_and_never_stops_training() -> None:
    import dataclasses
    import warnings

    model = tiny_model()
    rng = np.random.default_rng(3)
    z, _w, _b, x = _known_map(rng, 40)
    good = fit_linear_preview(z[:30], x[:30], z[30:], x[30:])
    bad = dataclasses.replace(good, weight=np.full_like(good.weight, np.nan))
    with pytest.raises(ValueError, match="not finite"):
        model.set_linear_preview(bad)
    assert model.linear_preview is None
    # Images all alike leave R² undefined: the phase begins without a preview.
    flat = torch.full((12, 1, 28, 28), 0.5)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        model.enter_phase("diffusion", flat[:10], flat[10:], crossing=True)
    assert model.linear_preview is None and model.phase == "diffusion"
    assert any("no linear preview" in str(w.message) for w in caught)


def test_a_trained_run_checkpoints_the_preview_fitted_on_its_training_split(
        tmp_path: Path) -> None:
    from models.training import EpochEnd
    from tests.models.test_latent_diffusion import trainer

    run = trainer(tmp_path, epochs=1, keep=True)
    ends = [e for e in run.run() if isinstance(e, EpochEnd)]
    assert [e.phase for e in ends] == ["autoencoder", "diffusion"]
    ck = load_checkpoint(tmp_path)
    preview = ck.model.linear_preview
    assert preview is not None and np.isfinite(preview.r2)
    assert preview.fitted_on == len(run.split.train_x)  # every training image's latent
    # Phase 1's checkpoint already holds it: it is fitted at the crossing, before saving.
    assert load_checkpoint(tmp_path / "checkpoints" / "epoch-1").model.linear_preview \
        is not None
