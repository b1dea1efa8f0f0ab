"""The VAE's Toy lab view: posterior ellipses in latent space, the decoder's image of the
latent grid, points coloured alike on both plots, and the ELBO's terms in the note."""

from __future__ import annotations

import re
from typing import Any

import numpy as np
import pytest

from app.panels.toy_lab.views import vae as view
from app.panels.toy_lab.views.common import Grids, grid_lines


def tiny_vae(steps: int = 30, dataset: str = "8gaussians", **config: Any):
    from models.toy.base import last_of
    from models.toy.data import toy_dataset
    from models.toy.families import build_toy

    model = build_toy("vae", toy_dataset(dataset, 400, seed=0), seed=0, hidden=16,
                      batch=32, **config)
    last_of(model.run(steps))
    return model


def build(model, **options: Any):
    return view.build(model, options, Grids.for_extent(model.data.extent))


def posteriors_of(parts) -> np.ndarray:
    """Return the side plot's ellipses that are posteriors (the prior circles come first)."""
    return parts.side.ellipses[len(view.PRIOR_RADII):]


def test_the_posterior_ellipses_are_centred_on_the_means_with_radii_the_posterior_sigmas(
) -> None:
    model = tiny_vae()
    parts = build(model)
    points = view.posterior_points(model.data)
    mu, var = model.encode(points)
    ellipses = posteriors_of(parts)
    assert len(ellipses) == len(points) == view.POSTERIORS
    np.testing.assert_allclose(ellipses[:, :2], mu, rtol=1e-6)
    np.testing.assert_allclose(ellipses[:, 2:], np.sqrt(var), rtol=1e-6)
    np.testing.assert_allclose(parts.side.marks, mu, rtol=1e-6)
    prior = parts.side.ellipses[:len(view.PRIOR_RADII)]
    np.testing.assert_array_equal(prior, [[0, 0, 1, 1], [0, 0, 2, 2]])


def test_the_marked_data_points_are_drawn_in_the_colours_of_their_posteriors() -> None:
    model = tiny_vae()
    parts = build(model)
    points = view.posterior_points(model.data)
    np.testing.assert_array_equal(parts.main.marks, points)
    assert np.isin(points, model.data.points).all()  # data points, not new ones
    colors = parts.main.mark_colors
    assert colors.shape == (len(points), 3) and colors.dtype == np.uint8
    np.testing.assert_array_equal(parts.side.mark_colors, colors)
    assert len(np.unique(colors, axis=0)) > len(points) // 2  # told apart, not one colour
    green = (colors[:, 1].astype(int) > colors[:, 0] + 40) & (colors[:, 1] > colors[:, 2] + 40)
    assert not green.any()  # green is the data's colour


def test_no_marked_point_takes_the_samples_violet_wherever_it_lies() -> None:
    import colorsys

    from app.panels.toy_lab.canvas import FAKE
    from models.toy.data import toy_dataset

    data = toy_dataset("8gaussians", 500, seed=0)
    angles = np.linspace(0, 2 * np.pi, 360, endpoint=False)
    ring = np.stack([2 * np.cos(angles), 2 * np.sin(angles)], 1).astype(np.float32)
    hues = np.array([colorsys.rgb_to_hsv(*(c / 255.0))[0]
                     for c in view.point_colors(ring, data)])
    violet = colorsys.rgb_to_hsv(*(np.array(FAKE) / 255.0))[0]
    distance = np.minimum(np.abs(hues - violet), 1 - np.abs(hues - violet))
    assert distance.min() > 0.06
    assert len(np.unique(np.round(hues, 2))) > 30  # still a spread of colours


def test_the_data_plot_shows_the_decoders_image_of_the_grid_drawn_in_latent_space() -> None:
    model = tiny_vae()
    grids = Grids.for_extent(model.data.extent)
    parts = view.build(model, {}, grids)
    n = int(np.sqrt(len(grids.z)))
    np.testing.assert_allclose(parts.side.segments, grid_lines(grids.z, n))
    np.testing.assert_allclose(parts.main.segments, grid_lines(model.decode(grids.z), n),
                               rtol=1e-6)
    # the first piece of each plot joins the same two grid points: z and its image
    z0, z1 = grids.z[0], grids.z[1]
    np.testing.assert_allclose(parts.side.segments[0], np.concatenate([z0, z1]))
    np.testing.assert_allclose(parts.main.segments[0],
                               model.decode(np.stack([z0, z1])).ravel(), rtol=1e-6)


def test_the_purple_points_are_prior_draws_and_their_decoded_images() -> None:
    model = tiny_vae()
    parts = build(model)
    z = model.prior_draws(len(parts.main.samples), seed=0)
    np.testing.assert_allclose(parts.main.samples, model.decode(z), rtol=1e-6)
    np.testing.assert_allclose(parts.main.samples, model.sample(len(z), seed=0))
    np.testing.assert_array_equal(parts.side.samples, z[:view.LATENT_DRAWS])


def test_the_elbo_note_gives_the_models_terms_on_held_out_points() -> None:
    model = tiny_vae()
    note = build(model).note
    assert note.startswith("held-out") and "log p(x) ≥ ELBO" in note
    numbers = [float(s.replace("−", "-"))
               for s in re.findall(r"−?\d+\.\d+", note)]
    recon, kl, neg_elbo, iwae = numbers
    assert np.isfinite(numbers).all()
    held = view.held_out(model.data)
    assert not np.isin(held, model.data.points).all(axis=1).any()  # fresh points
    nll, kls = model.elbo_terms(held, seed=0)
    assert recon == pytest.approx(nll.mean(), abs=0.006)
    assert kl == pytest.approx(kls.mean(), abs=0.006)
    assert neg_elbo == pytest.approx(nll.mean() + kls.mean(), abs=0.006)
    assert neg_elbo == pytest.approx(-model.elbo(held, seed=0), abs=0.006)
    assert iwae == pytest.approx(model.iwae(held, k=view.IWAE_K, seed=0).mean(), abs=0.006)


def test_drawn_points_have_their_elbo_measured_on_the_training_points() -> None:
    from models.toy.base import last_of
    from models.toy.data import from_points
    from models.toy.families import build_toy

    rng = np.random.default_rng(0)
    data = from_points(rng.normal(size=(120, 2)).astype(np.float32))
    model = build_toy("vae", data, seed=0, hidden=16, batch=32)
    last_of(model.run(5))
    parts = build(model)
    assert parts.note.startswith("training points")
    np.testing.assert_array_equal(view.held_out(data), data.points[:view.HELD_OUT])


def test_unticked_options_leave_out_posteriors_and_grid_and_reconstructions_are_arrows(
) -> None:
    model = tiny_vae()
    bare = build(model, posteriors=False, vae_grid=False)
    assert bare.main.marks is None and bare.side.marks is None
    assert bare.main.segments is None and bare.side.segments is None
    assert len(bare.side.ellipses) == len(view.PRIOR_RADII)
    assert "ellipses" not in bare.side.title and "grid" not in bare.main.title
    assert build(model).main.arrows is None
    arrows = build(model, reconstructions=True).main.arrows
    points = view.posterior_points(model.data)
    mu, _ = model.encode(points)
    np.testing.assert_allclose(arrows[:, :2], points)
    np.testing.assert_allclose(arrows[:, :2] + arrows[:, 2:], model.decode(mu), atol=1e-6)


def test_the_latent_density_is_the_mean_of_the_posteriors() -> None:
    model = tiny_vae(latent_dim=3)
    held = view.held_out(model.data)
    heat = view.aggregate_posterior(model, held)
    assert heat.shape == (view.LATENT_BINS, view.LATENT_BINS)
    mu, var = model.encode(held)
    e, b = view.LATENT_EXTENT, view.LATENT_BINS
    cell = 2 * e / b
    for row, col in ((3, 40), (24, 24), (30, 10)):  # rows go along z2, columns along z1
        z = np.array([-e + (col + 0.5) * cell, -e + (row + 0.5) * cell])
        gauss = np.exp(-0.5 * ((z - mu[:, :2]) ** 2 / var[:, :2]).sum(1)) / (
            2 * np.pi * np.sqrt(var[:, :2].prod(1)))
        assert heat[row, col] ** 2 == pytest.approx(gauss.mean(), rel=1e-4)
    assert (heat ** 2).sum() * cell ** 2 == pytest.approx(1.0, abs=0.1)  # mostly in view


def test_a_latent_of_three_dimensions_shows_the_first_two_and_says_so() -> None:
    model = tiny_vae(latent_dim=3)
    parts = build(model)
    assert "z1, z2 of 3" in parts.side.title
    mu, var = model.encode(view.posterior_points(model.data))
    np.testing.assert_allclose(posteriors_of(parts)[:, :2], mu[:, :2], rtol=1e-6)
    np.testing.assert_allclose(posteriors_of(parts)[:, 2:], np.sqrt(var[:, :2]), rtol=1e-6)
    grids = Grids.for_extent(model.data.extent)
    z = np.concatenate([grids.z, np.zeros((len(grids.z), 1), np.float32)], 1)
    n = int(np.sqrt(len(z)))
    np.testing.assert_allclose(parts.main.segments, grid_lines(model.decode(z), n),
                               rtol=1e-6)


def test_a_one_dimensional_latent_lies_on_the_x_axis() -> None:
    model = tiny_vae(latent_dim=1)
    parts = build(model)
    assert "1-D" in parts.side.title
    mu, var = model.encode(view.posterior_points(model.data))
    ellipses = posteriors_of(parts)
    np.testing.assert_allclose(ellipses[:, 0], mu[:, 0], rtol=1e-6)
    np.testing.assert_allclose(ellipses[:, 2], np.sqrt(var[:, 0]), rtol=1e-6)
    assert (ellipses[:, [1, 3]] == 0).all() and (parts.side.samples[:, 1] == 0).all()
    assert np.isfinite(parts.side.heat).all() and np.isfinite(parts.main.segments).all()
    assert np.allclose(parts.side.heat, parts.side.heat[:1])  # the same in every row


def test_the_canvas_draws_each_mark_in_its_own_colour_or_all_orange(qtbot: Any) -> None:
    from app.panels.toy_lab.canvas import MARK, ToyCanvas
    from app.panels.toy_lab.plane import Plane

    canvas = ToyCanvas()
    qtbot.addWidget(canvas)
    points = np.array([[0, 0], [1, 1], [-1, 0.5]], np.float32)
    colors = np.array([[200, 30, 30], [30, 30, 200], [230, 200, 20]], np.uint8)
    canvas.show_plane(Plane(samples=points, marks=points, mark_colors=colors))

    def drawn() -> list[tuple[int, int, int]]:  # a point without a brush has the item's
        return [(b or canvas.marks.opts["brush"]).color().getRgb()[:3]
                for b in canvas.marks.data["brush"]]

    assert drawn() == [tuple(int(c) for c in rgb) for rgb in colors]
    canvas.show_plane(Plane(samples=points, marks=points))
    assert drawn() == [MARK] * len(points)


def test_the_iwae_bound_is_refreshed_once_a_second_while_training_and_at_once_after_a_pause(
        monkeypatch: Any) -> None:
    from models.toy.base import last_of

    model = tiny_vae()
    held = view.held_out(model.data)
    now = [100.0]
    monkeypatch.setattr(view, "_clock", lambda: now[0])

    def shown() -> float:
        return view.iwae_bound(model, held)

    def exact() -> float:
        return float(model.iwae(held, k=view.IWAE_K, seed=0).mean())

    first = shown()
    assert first == pytest.approx(exact())
    while now[0] < 100.9:  # playing: a view every 50 ms, a step before each
        last_of(model.run(1))
        now[0] += 0.05
        assert shown() == first  # not recomputed within the second
    assert exact() != first
    now[0] += 0.15
    last_of(model.run(1))
    assert shown() == pytest.approx(exact())  # a second on: refreshed
    now[0] += 0.05
    held_value = shown()
    last_of(model.run(1))  # paused, then one step
    now[0] += 3.0
    assert shown() == pytest.approx(exact()) != held_value


@pytest.fixture
def panel(toy_panel: Any) -> Any:
    """The Toy lab panel (tests/app/conftest.py)."""
    return toy_panel


def test_the_panel_shows_the_latent_space_beside_the_data_and_the_elbo_in_its_line(
        qtbot: Any, panel: Any) -> None:
    panel.controls.family.setCurrentText("vae")
    panel.step()
    qtbot.waitUntil(lambda: panel.latest is not None and panel.latest.step >= 1
                    and panel._drawn is panel.latest, timeout=60_000)
    assert panel.side.isVisible()
    assert panel.side_caption.full_text().startswith("latent z")
    assert "−ELBO" in panel.note_line.full_text()
    side = panel.latest.side
    brushes = panel.side_canvas.marks.data["brush"]
    assert len(brushes) == len(side.marks)
    assert [b.color().getRgb()[:3] for b in brushes] == [tuple(map(int, c))
                                                         for c in side.mark_colors]


@pytest.mark.parametrize("name", ["8gaussians", "25gaussians"])
def test_every_mode_has_marked_points_whatever_the_draw(name: str) -> None:
    from models.toy.data import toy_dataset

    data = toy_dataset(name, 4000, seed=0)
    points = view.posterior_points(data)
    assert len(points) == view.POSTERIORS and np.isin(points, data.points).all()
    nearest = np.argmin(((points[:, None] - data.centres[None]) ** 2).sum(-1), 1)
    assert np.bincount(nearest, minlength=len(data.centres)).min() >= 1
