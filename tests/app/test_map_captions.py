"""The latent map explains its pictures: the hover pair is captioned, the prior is drawn as
labelled contours thick enough for a projector."""

from __future__ import annotations

from typing import Any

import numpy as np

from tests.app.test_latent_map import _decoded, _load, checkpoints, panel  # noqa: F401


def test_the_hover_pair_says_which_input_and_which_is_the_reconstruction(
        qtbot: Any, panel: Any, checkpoints: Any) -> None:  # noqa: F811
    _load(qtbot, panel, checkpoints[2])
    i = 7
    label = int(panel.data.labels[i])
    with _decoded(qtbot, panel, "hover"):
        assert panel.hover_at(*(float(v) for v in panel.projection.positions[i])) == i
        assert panel.hover_caption == (f"input #7 · class {label}", ("input",))
    qtbot.waitUntil(lambda: len(panel.hover_caption[1]) == 2)
    assert panel.hover_caption == (f"input #7 · class {label}", ("input", "reconstruction"))
    # The captions are drawn: the thumbnail is taller than the two 3× images.
    pixmap = panel.thumbnail.pixmap()
    assert pixmap.height() >= 28 * 3 + 2 * panel.fontMetrics().height()
    assert pixmap.width() >= 2 * 28 * 3
    panel._clear_hover()
    assert panel.hover_caption == ("", ())


def test_the_prior_shows_labelled_contours_thicker_in_presentation_mode(
        qtbot: Any, panel: Any, checkpoints: Any) -> None:  # noqa: F811
    from app.panels.latent_map.overlays import PRIOR_WIDTH
    from app.theme import apply_theme

    _load(qtbot, panel, checkpoints[2])
    assert panel.prior_contour_labels() == []
    panel.prior_check.setChecked(True)
    rings = panel.prior_contours()
    assert all(r.isVisible() for r in rings)
    assert panel.prior_contour_labels() == ["1σ", "2σ", "prior 3σ"]
    x, y = rings[1].getData()
    np.testing.assert_allclose(np.hypot(x, y), 2.0, atol=1e-9)  # a 2-D latent: centred at 0
    assert rings[0].opts["pen"].widthF() == PRIOR_WIDTH
    try:
        apply_theme("presentation", panel)
        assert rings[0].opts["pen"].widthF() == PRIOR_WIDTH * 2.5
        label = panel._prior_items[len(rings)]
        assert label.color.name() == "#000000"  # the presentation theme's plot text
    finally:
        apply_theme("light", panel)
    panel.prior_check.setChecked(False)
    assert not any(r.isVisible() for r in rings) and panel.prior_contour_labels() == []
