"""The latent map's Z/W switch for a StyleGAN (a mixin of LatentMapPanel, GUI thread).

In W the same samples are drawn at the positions of their w = mapping(z): the projection
chosen (PCA, LDA, t-SNE, UMAP) is fitted to the w's, as a job on the "latent-w" lane with
its own copy of the model. Points, labels, images, hover, picks and groups stay those of
the samples (a pick hands on the sample's z); positions between points are not decoded
in W (the map's latents, and so its decoder, are z's).
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

from PySide6.QtWidgets import QComboBox, QLabel

from app.jobs import Job
from app.session.latent_jobs import LatentProgress, projection_events
from app.session.latent_types import MapData, ProjectionResult
from models.latent.style_space import has_style_space, mapped_latents

W_LANE = "latent-w"
Z_SPACE, W_SPACE = "Z", "W"
SPACE_TIP = ("Z: the samples' input latents z ~ N(0, I). W: the same samples at their "
             "w = mapping(z), the style space StyleGAN's layers read (colours: the digit "
             "classifier's predicted classes)")
W_NOTE = " — in W: each sample at its w = mapping(z); clicks pick samples (their z)"
W_NO_INVERSE = ("In W the map's points are w's, but its latents (and decoder) are z's: a "
                "position between points is not decoded. Click a point to pick its sample.")


@dataclass(frozen=True)
class WProjection(ProjectionResult):
    """Positions of the samples' w: drawn like a projection, never inverted to a latent."""

    no_inverse_reason: str = W_NO_INVERSE

    @property
    def invertible(self) -> bool:
        """Return False: a W position has no z."""
        return False


def w_projection_events(job: Job, data: MapData, method: str
                        ) -> Iterator[LatentProgress | ProjectionResult | None]:
    """Yield progress, then the WProjection of `data`'s samples by `method` (lane thread)."""
    assert data.model is not None
    yield LatentProgress("Mapping z to w", 0, 0)
    w = mapped_latents(data.model.inference_copy(), data.means)
    for ev in projection_events(job, data.generation, method, w, None, data.labels):
        if isinstance(ev, ProjectionResult):
            yield WProjection(ev.generation, ev.method, ev.positions, ev.linear)
        else:
            yield ev


class SpaceMixin:
    """The Z/W switch of LatentMapPanel (uses its data, projection and busy state)."""

    space: str = Z_SPACE

    def _build_space(self) -> tuple[QLabel, QComboBox]:
        self.space_label = QLabel("Space")
        self.space_box = QComboBox()
        self.space_box.setObjectName("latent_space")
        self.space_box.addItems([Z_SPACE, W_SPACE])
        self.space_box.setToolTip(SPACE_TIP)
        self._w_cache: dict[str, ProjectionResult] = {}
        self._z_shown: ProjectionResult | None = None
        self._w_job: Job | None = None
        self._reset_space(None)
        return self.space_label, self.space_box

    def _reset_space(self, data: MapData | None) -> None:
        """Back to Z for a new map; the switch is offered when `data` has a W (a StyleGAN
        whose model has opened)."""
        self._cancel_w()
        self.space = Z_SPACE
        self._w_cache.clear()
        self._z_shown = None
        self.space_box.setCurrentText(Z_SPACE)
        shown = data is not None and has_style_space(data.family) and data.model is not None
        self.space_label.setVisible(shown)
        self.space_box.setVisible(shown)

    def _on_space_chosen(self, index: int) -> None:
        self.choose_space(self.space_box.itemText(index))

    def choose_space(self, space: str) -> None:
        """Draw the map's samples in `space` ("Z" or "W") with the projection shown."""
        if self.data is None or self.projection is None or space == self.space:
            return
        method = self.projection.method
        if space == Z_SPACE:
            self._cancel_w()
            self.space = Z_SPACE
            z = self._cache.get(method) or self._z_shown
            if z is not None:
                self.show_projection(z)
            return
        self._z_shown = self.projection
        self.space = W_SPACE
        self.choose_w_projection(method)

    def choose_w_projection(self, method: str) -> None:
        """Show the samples' w by `method`: at once when computed, else as a job."""
        if method in self._w_cache:
            self._cancel_w()
            self.show_projection(self._w_cache[method])
            return
        data = self.data
        if data is None or data.model is None:
            return
        self._cancel_w()
        self._set_busy(True, f"W, {method}: mapping z to w…")
        self._w_job = self.session.jobs.submit(
            W_LANE, lambda job: w_projection_events(job, data, method),
            on_event=lambda ev: self._on_w_event(data, ev),
            on_done=lambda status: self._on_w_done(data, status),
            on_error=lambda message, _tb: self._on_failed(message))

    def _on_w_event(self, data: MapData, ev: Any) -> None:
        if data is not self.data or self.space != W_SPACE:
            return
        if isinstance(ev, LatentProgress):
            self._on_progress(f"W: {ev.stage}", ev.done, ev.total)
        elif isinstance(ev, ProjectionResult):
            self._w_cache[ev.method] = ev
            self.show_projection(ev)

    def _on_w_done(self, data: MapData, status: str) -> None:
        if data is not self.data:
            return
        self._w_job = None
        self._set_busy(False)
        if self.projection is not None:  # the chooser back on what is shown
            self.projection_box.setCurrentText(self.projection.method)
        if status != "done" and self.space == W_SPACE and self.projection is not None \
                and not isinstance(self.projection, WProjection):
            self.space = Z_SPACE  # nothing of W was drawn: the switch says what is
            self.space_box.setCurrentText(Z_SPACE)
            self.status.setText(f"W {status}.")

    def _cancel_w(self) -> None:
        if self._w_job is not None:
            self.session.jobs.cancel(W_LANE)
            self._w_job = None

    def space_axes(self, labels: tuple[str, str], result: ProjectionResult
                   ) -> tuple[str, str]:
        """Return the axis labels, "… of w" in W ("LD 1 of w (51%)")."""
        if not isinstance(result, WProjection):
            return labels
        return tuple(label.replace(" (", " of w (", 1) if " (" in label else f"{label} of w"
                     for label in labels)  # type: ignore[return-value]

    def space_note(self, result: ProjectionResult) -> str:
        """Return what the status line adds for `result` ("" in Z)."""
        return W_NOTE if isinstance(result, WProjection) else ""
