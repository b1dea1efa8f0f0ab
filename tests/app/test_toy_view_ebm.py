"""The EBM's view: fresh Langevin chains driven by the step, noise and length sliders,
the last contrastive-divergence step's positives and negatives, and the CD gap."""

from __future__ import annotations

import numpy as np
import pytest

from app.panels.toy_lab.views import ebm as view


@pytest.fixture(scope="module")
def model():
    from models.toy.base import last_of
    from models.toy.data import toy_dataset
    from models.toy.families import build_toy

    m = build_toy("ebm", toy_dataset("8gaussians", 500, seed=0), seed=0, hidden=16,
                  batch=32)
    m.last_losses = last_of(m.run(30)).losses
    return m


def build(model, **options):
    from app.panels.toy_lab.control import ToyControl
    from app.panels.toy_lab.snapshot import ViewBuilder

    control = ToyControl()
    control.options = options
    return ViewBuilder(model, control).build(1.0, {}, force_metrics=False)


def test_without_noise_the_chains_descend_the_energy(model) -> None:
    frames = build(model, ebm_step=0.01, ebm_noise=0.0, ebm_steps=30.0).side.frames
    start, end = model.energy_at(frames[0]), model.energy_at(frames[-1])
    assert end.mean() < start.mean()
    assert (end <= start + 1e-5).mean() > 0.95  # small gradient steps: each one descends


def test_a_larger_step_moves_the_chains_further_in_one_step(model) -> None:
    def first_move(step: float) -> float:
        frames = build(model, ebm_step=step, ebm_noise=0.0, ebm_steps=10.0).side.frames
        return float(np.linalg.norm(frames[1] - frames[0], axis=1).mean())

    small, large = first_move(0.01), first_move(0.1)
    assert large == pytest.approx(10 * small, rel=1e-3)  # no noise: the same gradients
    assert large > 0


def test_noise_scatters_the_chains_and_the_title_states_the_settings(model) -> None:
    calm = build(model, ebm_step=0.01, ebm_noise=0.0, ebm_steps=20.0).side
    noisy = build(model, ebm_step=0.01, ebm_noise=0.3, ebm_steps=20.0).side
    assert len(calm.frames) == len(noisy.frames) == 21  # the starts and 20 steps
    np.testing.assert_array_equal(calm.frames[0], noisy.frames[0])  # the same starts
    spread = np.linalg.norm(noisy.frames[-1] - calm.frames[-1], axis=1).mean()
    assert spread > 0.3
    assert "η 0.01" in noisy.title and "σ 0.3" in noisy.title
    assert "× 20" in noisy.title and "(T 4.5)" in noisy.title


def test_the_positives_are_data_points_and_the_negatives_the_last_chains(model) -> None:
    main = build(model).main
    positive, negative = model.samples_of_last_step()
    data = model.data.points
    assert 0 < len(main.marks) <= len(positive)
    gaps = np.abs(main.marks[:, None, :] - data[None, :, :]).max(2).min(1)
    assert (gaps < 1e-6).all()
    np.testing.assert_array_equal(main.samples, negative)
    assert "positives" in main.title and "negatives" in main.title


def test_the_persistent_chains_are_shown_when_chosen(model) -> None:
    main = build(model, ebm_show="chains").main
    assert main.marks is None
    np.testing.assert_array_equal(main.samples, model.chains.numpy()[:len(main.samples)])
    assert "persistent chains" in main.title


def test_the_note_gives_the_cd_gap_and_the_metrics_say_what_they_are_on(model) -> None:
    from app.panels.toy_lab.control import ToyControl
    from app.panels.toy_lab.snapshot import ViewBuilder

    built = build(model)
    assert f"{model.last_losses['cd']:+.3f}".replace("-", "−") in built.note
    assert built.note.startswith("CD gap E(pos) − E(neg)")
    control = ToyControl()
    control.options = {}
    metrics = ViewBuilder(model, control).build(1.0, {}, force_metrics=True).metrics
    assert metrics.source == "2000 fresh 20-step chains"
    samples, _ = view.metric_samples(model)
    np.testing.assert_array_equal(samples, model.sample(2000, seed=1))


def test_the_chains_follow_the_energy_as_it_trains_and_are_reused_in_between(
        monkeypatch) -> None:
    from models.toy.data import toy_dataset
    from models.toy.families import build_toy

    m = build_toy("ebm", toy_dataset("moons", 300, seed=0), seed=0, hidden=16, batch=32)
    before = build(m).side.frames
    for _ in m.run(5):
        pass
    monkeypatch.setattr(view, "REFRESH_S", 60.0)
    assert build(m).side.frames is before  # trained, but within REFRESH_S: reused
    assert build(m, ebm_noise=0.1).side.frames is not before  # a slider moved: re-run
    monkeypatch.setattr(view, "REFRESH_S", 0.0)
    after = build(m).side.frames
    assert not np.allclose(after, before)  # the same starts over the newer energy
    np.testing.assert_array_equal(after[0], before[0])


def test_moving_the_noise_slider_in_the_panel_reruns_the_chains_while_paused(
        qtbot, toy_panel) -> None:
    panel = toy_panel
    panel.controls.family.setCurrentText("ebm")
    panel.step()
    qtbot.waitUntil(lambda: panel.latest is not None and panel.latest.step >= 1,
                    timeout=60_000)
    assert "σ 0.05" in panel.latest.side.title
    panel.controls.option("ebm_noise").setValue(0.0)
    qtbot.waitUntil(lambda: "σ 0 " in panel.latest.side.title, timeout=20_000)
    assert panel.latest.step == 1
    # The side plot is drawn a tick after its snapshot's main plot.
    qtbot.waitUntil(lambda: panel._drawn is panel.latest and panel._side_due is None,
                    timeout=5_000)
    assert panel.side.isVisible() and "σ 0 " in panel.side_caption.full_text()


def test_the_energy_is_coloured_over_its_upper_range_so_the_modes_stand_out() -> None:
    # The corners' steep energy no longer takes most of the colours: the lowest 40 % of
    # the plane shares the lowest colour, the rest spreads over the whole scale.
    heat = np.linspace(-50.0, 1.0, 100).reshape(10, 10)
    heat[0, 0] = np.nan
    lo, hi = view.energy_levels(heat)
    finite = heat[np.isfinite(heat)]
    assert hi == finite.max()
    assert lo == pytest.approx(np.percentile(finite, 40))
    assert view.energy_levels(np.zeros((4, 4))) is None  # flat: its own range


def test_both_plots_share_the_energy_colours(model) -> None:
    parts = build(model, ebm_step=0.01, ebm_noise=0.0, ebm_steps=5.0)
    assert parts.main.heat_levels is not None
    assert parts.main.heat_levels == parts.side.heat_levels
    assert parts.main.heat_levels == view.energy_levels(parts.main.heat)
