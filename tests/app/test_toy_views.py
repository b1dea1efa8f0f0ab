"""Every toy family's view: built on the toy lane from a model, it fills its plots with
arrays of the shapes the canvas draws, and its options are declared once."""

from __future__ import annotations

import numpy as np
import pytest

from app.panels.toy_lab.views import FAMILY_VIEWS
from models.toy.families import TOY_FAMILIES


def tiny_view(family: str, options: dict | None = None):
    from app.panels.toy_lab.control import ToyControl
    from app.panels.toy_lab.snapshot import ViewBuilder
    from models.toy.base import last_of
    from models.toy.data import toy_dataset
    from models.toy.families import build_toy

    model = build_toy(family, toy_dataset("8gaussians", 500, seed=0), seed=0, hidden=16,
                      batch=32)
    last_of(model.run(2))
    control = ToyControl()
    control.options = options or {}
    return ViewBuilder(model, control).build(1.0, {}, force_metrics=True)


def test_every_toy_family_has_a_view() -> None:
    assert set(FAMILY_VIEWS) == set(TOY_FAMILIES)


@pytest.mark.parametrize("family", sorted(FAMILY_VIEWS))
def test_a_family_view_fills_its_plots_with_drawable_arrays(family: str) -> None:
    view = tiny_view(family)
    assert view.family == family and view.step == 2
    for plane in (view.main, view.side):
        if plane is None:
            continue
        assert plane.title
        shown = plane.samples if plane.frames is None else plane.frames[-1]
        assert shown.ndim == 2 and shown.shape[1] == 2 and np.isfinite(shown).all()
        for name, width in (("arrows", 4), ("segments", 4), ("ellipses", 4)):
            array = getattr(plane, name)
            assert array is None or (array.ndim == 2 and array.shape[1] == width)
        if plane.heat is not None:
            assert plane.heat.ndim == 2 and plane.heat.shape[0] == plane.heat.shape[1]
    assert view.metrics is not None and np.isfinite(view.metrics.kl)


def test_an_option_key_shared_by_families_means_the_same_control() -> None:
    seen: dict[str, object] = {}
    for module in FAMILY_VIEWS.values():
        for option in module.OPTIONS:
            if option.key in seen:
                assert seen[option.key] == option, option.key
            seen[option.key] = option


def test_a_build_reports_the_seconds_its_metrics_took_and_none_when_they_were_not_due(
) -> None:
    """The view throttle leaves the metrics' refresh out (it has a budget of its own), so
    the builder says how long the metrics of its last build took."""
    from app.panels.toy_lab.snapshot import ViewBuilder
    from models.toy.base import last_of
    from models.toy.data import toy_dataset
    from models.toy.families import build_toy

    model = build_toy("ebm", toy_dataset("8gaussians", 500, seed=0), seed=0, hidden=16,
                      batch=32)
    last_of(model.run(2))
    builder = ViewBuilder(model)
    builder.build(1.0, {}, force_metrics=True)
    assert builder.metrics_s_of_last_build > 0.0
    builder.build(1.0, {})  # metrics wait about a second before their next refresh
    assert builder.metrics_s_of_last_build == 0.0
