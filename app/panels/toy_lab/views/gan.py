"""The GAN's view (toy lane): D's decision surface, G(z) with the gradient arrows that
push each fake, and GAN Lab's transport lines from a grid of z to G(z); which network
trains (D and G, D only, G only); and slow motion, one step shown stage by stage."""

from __future__ import annotations

from collections.abc import Iterator, Mapping

import numpy as np

from app.panels.toy_lab.options import OptionValue, ViewOption
from app.panels.toy_lab.plane import Plane
from app.panels.toy_lab.views.common import SHOWN_SAMPLES, FamilyParts, Grids, field_arrows

TRAIN_CHOICES = (("both", "D and G"), ("d", "D only"), ("g", "G only"))
OPTIONS = (
    ViewOption("gan_train", "Train", "choice", "both",
               "Which network the next steps update (GAN Lab's step D only / G only)",
               choices=TRAIN_CHOICES, live=True),
    ViewOption("slow_motion", "Slow motion", "check", False,
               "Show each training step as its stages, each held about a second, the "
               "stage under way highlighted; Step shows one whole step", live=True),
    ViewOption("transport", "z → G(z) lines", "check", True,
               "Lines from a grid of noise z to the points G(z) it becomes"),
)
# slow motion's stages (models/toy/gan.py STAGES) as the stage strip names them
STAGES = (("sample", "1 sample real and fake"),
          ("update_d", "2 update D (its surface moves)"),
          ("g_grads", "3 G's gradients on the fakes"),
          ("update_g", "4 update G (fakes move)"))
ARROWED = 150  # fakes that get a gradient arrow
ARROW_LENGTH = 0.35  # the longest arrow, in data units
CRITIC_REFERENCE = 512  # data points and fakes a critic's midpoint is taken over
MARKED = 96  # real points of D's batch marked in slow motion (all would hide the fakes)
VISIBLE_MOVE = 0.08  # G's moves shorter than this are drawn magnified


def apply_live(model, options: Mapping[str, OptionValue]) -> None:
    """Set which network the next step updates (toy lane, between steps)."""
    model.mode = str(options.get("gan_train", "both"))


def slow_motion(options: Mapping[str, OptionValue]) -> bool:
    """Return True when steps are to be shown stage by stage."""
    return bool(options.get("slow_motion", False))


def skipped_stages(options: Mapping[str, OptionValue]) -> set[str]:
    """Return the stages a step in the chosen training mode does not go through."""
    mode = options.get("gan_train", "both")
    return {"d": {"g_grads", "update_g"}, "g": {"sample", "update_d"}}.get(str(mode), set())


def staged_step(model, grids: Grids) -> Iterator:
    """Return the model's next step as a generator of its stages (D recorded on the
    heatmap's grid before its update)."""
    return model.staged_step(probe=grids.heat)


def build(model, options: Mapping[str, OptionValue], grids: Grids) -> FamilyParts:
    """Return the main plot: D's surface, fakes, their −∂L_G/∂x arrows, transport lines;
    in the middle of a slow-motion step, what the stage under way shows."""
    if model.stage is not None:
        return build_stage(model, model.stage, grids)
    m = model
    e = m.data.extent
    samples = m.sample(SHOWN_SAMPLES, seed=0)
    d, label = surface(m, grids)
    grads = m.fake_gradients(samples[:ARROWED])
    segments = None
    if options.get("transport", True):
        z = np.zeros((len(grids.z), m.config.noise_dim), np.float32)
        k = min(2, m.config.noise_dim)
        z[:, :k] = grids.z[:, :k]
        feet = z[:, :2] if k == 2 else np.pad(z[:, :1], ((0, 0), (0, 1)))
        segments = np.concatenate([feet, m.transport(z)], 1)
    title = (f"green: data · heat: {label} · purple: G(z) · arrows: −∂L_G/∂x"
             + (" · grey lines: z → G(z)" if segments is not None else ""))
    main = Plane(title=title, extent=e, heat=d, heat_label=label, diverging=True,
                 heat_levels=heat_levels(m), samples=samples,
                 arrows=field_arrows(samples[:ARROWED], grads, ARROW_LENGTH),
                 segments=segments)
    return FamilyParts(main)


def heat_levels(model) -> tuple[float, float] | None:
    """Return the colour range of D's surface: 0–1 for a probability (ns) or least
    squares' clipped D, so a D unsure everywhere (0.4–0.55) shows pale, as it is, and
    not in the full colours; None for a critic, which has no scale."""
    return (0.0, 1.0) if model.config.loss in ("ns", "lsgan") else None


def surface(model, grids: Grids) -> tuple[np.ndarray, str]:
    """Return D on the heatmap's grid (bins, bins), with its middle where the loss puts
    the boundary between real and fake, and what its values are.

    The canvas centres a diverging heat on 0.5 for values within [0, 1], else on 0. A
    probability (ns) is drawn as it is; least squares' D aims at 1 for real and 0 for fake,
    so it is clipped to [0, 1] (its boundary at 0.5); a critic has no fixed zero (adding a
    constant changes no WGAN loss), so it is drawn minus the midpoint of its means on the
    data and on the fakes: green scores nearer the data's."""
    n = int(np.sqrt(len(grids.heat)))
    d = model.decision(grids.heat).reshape(n, n)
    loss = model.config.loss
    if loss == "ns":
        return d, "D(x) = P(real)"
    if loss == "lsgan":
        return np.clip(d, 0.0, 1.0), "D(x): 1 real, 0 fake"
    data = model.data.points
    real = data[np.linspace(0, len(data) - 1, min(CRITIC_REFERENCE, len(data))).astype(int)]
    fake = model.sample(CRITIC_REFERENCE, seed=0)
    middle = 0.5 * (model.decision(real).mean() + model.decision(fake).mean())
    return d - middle, "critic D(x), centred"


def build_stage(model, stage, grids: Grids) -> FamilyParts:
    """Return the main plot of one slow-motion stage (models/toy/gan.py GANStage): the
    batch D trains on, D's surface after its update (and by how much it moved), G's
    gradients on its batch, then that batch moved by G's update."""
    d, label = surface(model, grids)
    common = dict(extent=model.data.extent, heat=d, heat_label=label, diverging=True,
                  heat_levels=heat_levels(model))
    batch = 0 if stage.real is None else len(stage.real)
    marked = f"{min(MARKED, batch)} of {batch}" if batch > MARKED else f"{batch}"
    if stage.name == "sample":
        return FamilyParts(Plane(
            title=f"1 · D's batch: purple = fakes G(z), orange = real ({marked}) · "
                  f"heat: {label}", marks=stage.real[:MARKED], samples=stage.fake,
            **common))
    if stage.name == "update_d":
        note = ""
        if stage.d_before is not None:
            change = np.abs(model.decision(grids.heat) - stage.d_before)  # raw D's change
            note = f"D moved by {change.mean():.2g} on average, {change.max():.2g} at most"
        return FamilyParts(Plane(
            title=f"2 · D updated on that batch · heat: {label}, after the update",
            marks=stage.real[:MARKED], samples=stage.fake, **common), note=note)
    if stage.name == "g_grads":
        return FamilyParts(Plane(
            title="3 · G's batch (purple) and −∂L_G/∂x on each: where G's update will "
                  "push it", samples=stage.fake,
            arrows=field_arrows(stage.fake, stage.grads, ARROW_LENGTH), **common))
    move = stage.moved - stage.fake
    longest = float(np.linalg.norm(move, axis=1).max()) if len(move) else 0.0
    # an arrow from where each fake was to where it is; a move too short to see is
    # magnified, and the caption says by how much
    scale = 1.0 if longest >= VISIBLE_MOVE or longest == 0 else ARROW_LENGTH / longest
    arrows = np.concatenate([stage.fake, move * scale], 1).astype(np.float32)
    how = "from where each fake was to where it is" if scale == 1.0 \
        else f"each fake's move ×{scale:.3g}"
    return FamilyParts(Plane(
        title=f"4 · G updated: purple = its batch now · arrows: {how}",
        samples=stage.moved, arrows=arrows, **common),
        note=f"fakes moved by {longest:.2g} at most")
