"""Capturing the panel's state for the JSON file, and showing a saved state again."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np

from app.panels.interpolation.anchors import DATASET, FILE, MAP, RANDOM
from app.panels.interpolation.controls import PATH
from app.panels.interpolation.state_file import AnchorState, InterpolationState
from app.session.latent_types import AttributeVector

if TYPE_CHECKING:
    from app.panels.interpolation.panel import InterpolationPanel


def capture_state(panel: InterpolationPanel) -> InterpolationState:
    """Return what `panel` shows: model, anchors with their latents, path settings."""
    model = panel.model
    path = model.path if model is not None else None
    family = model.family if model is not None else ""
    anchors = {}
    for name, box in panel.anchors.items():
        z = panel.latents[name]
        anchors[name] = AnchorState(box.source, box.number.value() if box.source == DATASET
                                    else 0, box.number.value() if box.source == RANDOM
                                    else 0, box.file, panel.labels[name],
                                    None if z is None else [float(v) for v in z])
    vec = None if panel.attribute is None else [float(v) for v in panel.attribute.vector]
    return InterpolationState(
        None if path is None else str(path), family, panel.diffusion is not None,
        str(panel.path.method.currentData()), panel.alpha(),
        panel.path.extrapolate.isChecked(), panel.path.frames.value(), anchors,
        panel.class_for("A"), panel.class_for("B"), panel.classes.interpolate.isChecked(),
        panel.arith.strength_value(), vec, [float(v) for v in panel.dims.latent],
        panel.path.steps.value())


def restore_state(panel: InterpolationPanel, state: InterpolationState) -> None:
    """Show `state` in `panel` on the model loaded now (latents are taken as stored)."""
    p = panel.path
    widgets = (p.method, p.extrapolate, p.frames, p.steps, p.alpha, panel.classes.class_a,
               panel.classes.class_b, panel.classes.interpolate)
    for w in widgets:
        w.blockSignals(True)
    p.method.setCurrentIndex(max(0, p.method.findData(state.method)))
    p.extrapolate.setChecked(state.extrapolate)
    p.frames.setValue(state.frames)
    p.set_alpha(state.alpha)
    panel.path.alpha_label.setText(f"α {panel.alpha():.2f}")
    panel.classes.class_a.setCurrentIndex(state.class_a)
    panel.classes.class_b.setCurrentIndex(state.class_b)
    panel.classes.interpolate.setChecked(state.interpolate_class)
    panel.arith.set_strength(state.attribute_strength)
    p.steps.setValue(state.diffusion_steps)
    for w in widgets:
        w.blockSignals(False)
    for name, anchor in state.anchors.items():
        box = panel.anchors[name]
        box.file = anchor.file
        box.set_source(anchor.source, anchor.seed if anchor.source == RANDOM
                       else anchor.index)
        panel.latents[name] = None if anchor.latent is None \
            else np.asarray(anchor.latent, np.float32)
        panel.labels[name] = anchor.label
        if anchor.source in (DATASET, RANDOM, MAP) and panel.data is not None:
            panel.resolve_anchor(name)
            if anchor.latent is not None:  # the stored latent wins
                panel.latents[name] = np.asarray(anchor.latent, np.float32)
        if anchor.source == FILE and panel.data is not None:
            box.show_anchor(None, f"file {Path(anchor.file or '').name}")
            panel.decode_anchor(name)
    if panel.diffusion is not None:
        panel.start_noise_path()
        return
    if panel.data is not None and state.attribute_vector is not None \
            and len(state.attribute_vector) == panel.data.latent_dim:
        panel.use_attribute_vector(AttributeVector(
            np.asarray(state.attribute_vector, np.float32), np.zeros(0, np.int64),
            np.zeros(0, np.int64), panel.data.generation))
        panel.arith.strength.setValue(round(state.attribute_strength * 100))
    if state.dims_latent is not None and panel.data is not None \
            and len(state.dims_latent) == panel.data.latent_dim:
        panel.dims.set_latent(np.asarray(state.dims_latent, np.float32))
    panel.source = PATH  # the live frame follows α again
    panel.refresh()

