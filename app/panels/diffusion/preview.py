"""Latent models' previews in the step viewer: the preview choice offered, the linear
preview's R² shown, and the measured cost per step of the choice (GUI thread).

Costs come from the runs themselves: each latent step carries its measured times
(`PixelViews`), and a finished run's means are kept per preview choice, so switching the
choice shows what it measured when it last ran.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from PySide6.QtCore import Slot

from app.panels.diffusion.cache import RunRecord

if TYPE_CHECKING:
    from app.panels.diffusion.runs import Runs as _Base
else:
    _Base = object  # a mixin of DiffusionPanel


def cost_text(mode: Any, measured: tuple[float, float, int] | None) -> str:
    """Return the cost line for `mode`: measured ms/step, or that it is not measured yet."""
    if measured is None:
        return f"{mode.describe()}: cost not measured yet — Run to measure it"
    preview_ms, step_ms, steps = measured
    return (f"{preview_ms:.1f} ms/step measured ({mode.describe()}, mean of {steps} steps; "
            f"the sampler's step {step_ms:.1f} ms)")


class LatentPreview(_Base):
    """The preview bar of latent models and its measured costs."""

    preview_costs: dict[Any, tuple[float, float, int]]  # PreviewMode → measured means

    def _connect_preview(self) -> None:
        self.preview_costs = {}
        self.preview_bar.changed.connect(self.update_preview_cost)

    def set_latent_model(self, latent: bool, r2: float | None) -> None:
        """Offer the preview choice for a latent model (hidden for pixel-space ones);
        rows caption their linear preview with its held-out R²."""
        self.preview_bar.setVisible(latent)
        for row in (self.row_a, self.row_b):
            row.r2 = r2
            row.set_latent(latent)
        if not latent:
            self.preview_costs = {}
            self.preview_bar.reset()
        self.update_preview_cost()

    def give_linear_views(self, record: RunRecord) -> None:
        """Give a latent run recorded without pixel views (a file) the linear preview of
        its steps, when the model shown has a map for latents of its shape."""
        info = self.info
        if record.spec.latent and info is not None and info.linear_preview is not None \
                and record.x0[0] is not None and record.x0[0].shape[1] == info.latent_channels:
            record.add_linear_views(info.linear_preview, info.scaling_factor)

    def preview_mode(self) -> Any:
        """Return the PreviewMode of the next run (None: a pixel-space model)."""
        info = self.info
        return self.preview_bar.mode() if info is not None and info.latent else None

    def note_preview_cost(self, record: RunRecord | None) -> None:
        """Keep `record`'s measured preview cost under its preview choice."""
        if record is None or record.spec.preview is None:
            return
        cost = record.preview_cost()
        if cost is not None:
            self.preview_costs[record.spec.preview] = cost
        self.update_preview_cost()

    @Slot()
    def update_preview_cost(self) -> None:
        """Show the measured cost of the choice: the running row A's live figure when it
        records with this choice, else the last run's with it."""
        if not self.preview_bar.isVisibleTo(self):
            return
        mode = self.preview_bar.mode()
        a = self.primary
        measured = a.preview_cost() if a is not None and a.spec.preview == mode else None
        self.preview_bar.cost.set_text(cost_text(mode, measured or self.preview_costs.get(mode)))
