"""Which plots the Training panel draws: one per logged metric, known pairs together,
titled by what the family's metric means; where a run's later phases begin, and which
steps each phase's plots show."""

from __future__ import annotations

from app.history import RunHistory
from models.metric_units import metric_meaning
from models.training.run_record import RunShape

# Keys shown together on one plot when a run logs all of them: same unit, read as a pair.
# Reconstruction and KL are not paired: KL is ~20× smaller and read flat beside it.
PAIRED_KEYS: tuple[tuple[str, ...], ...] = (("d_real", "d_fake"), ("grad_norm_g", "grad_norm_d"))
PAIR_TITLES = {("grad_norm_g", "grad_norm_d"): "Gradient norms"}
LEGEND_NAMES = {"d_real": "real", "d_fake": "fake", "grad_norm_g": "G", "grad_norm_d": "D"}


def plan_views(keys: list[str], family: str = "") -> list[tuple[str, tuple[str, ...]]]:
    """Return (title, keys) for each plot to show, given the logged metric keys in order
    and the family that logs them (which decides the titles)."""
    views: list[tuple[str, tuple[str, ...]]] = []
    used: set[str] = set()
    pairs = [ks for ks in PAIRED_KEYS if all(k in keys for k in ks)]
    for key in keys:
        if key in used:
            continue
        group = next((ks for ks in pairs if key in ks), (key,))
        title = PAIR_TITLES.get(group) or metric_meaning(family, key)[0]
        used.update(group)
        # One quantity logged under two names (a GAN's loss is its loss_g) is drawn once:
        # on a 720-pixel screen every plot counts.
        if len(group) == 1 and any(t == title and len(ks) == 1 for t, ks in views):
            continue
        views.append((title, group))
    return views


def phase_boundaries(history: RunHistory) -> list[tuple[int, str]]:
    """Return (step, "phase i: name") where each later phase of `history`'s run begins,
    for the phases its steps have reached (none for a run of one phase)."""
    shape = history.shape
    last = history.last_step
    return [(step, f"phase {i + 1}: {shape.phases[i][0]}")
            for step, i in shape.boundaries() if step < last]


def view_phase(keys: tuple[str, ...], shape: RunShape) -> int | None:
    """Return the index of the earlier phase whose metrics `keys` all are (named
    `<phase>_<key>`), or None: a run of one phase, or the last phase's metrics. An
    earlier phase's plots show that phase's steps alone (a 3-epoch autoencoder before a
    70-epoch UNet was a sliver at the left of a shared axis)."""
    if not shape.multi_phase:
        return None
    for i, (name, _epochs) in enumerate(shape.phases[:-1]):
        if all(k.startswith(f"{name}_") for k in keys):
            return i
    return None


def phase_span(shape: RunShape, phase: int | None) -> tuple[int, int]:
    """Return (first step before, last step) of `phase` (None: the last phase; (0, 0) for
    a run of one phase or unknown length): the x range its plots keep to."""
    if not shape.multi_phase or not shape.steps_per_epoch:
        return 0, 0
    epochs = [n for _name, n in shape.phases]
    index = len(epochs) - 1 if phase is None else phase
    start = sum(epochs[:index]) * shape.steps_per_epoch
    return start, start + epochs[index] * shape.steps_per_epoch
