"""The Guidance view of the step viewer, for class-conditional models: the toggle that shows
it in place of rows A and B, the painting of run A's branches at the slider's step, and
the guidance slider that re-runs run A live (GUI thread).

A moved guidance slider sets the form's guidance and starts a new run A on the main run's
channel, so the newest position wins: the run it replaces is cancelled at its next step.
The step being looked at stays put (unless the view was following the newest step), and
fills in as the new run reaches it.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from PySide6.QtCore import Slot

from app.panels.diffusion.guidance_view import GuidanceView

if TYPE_CHECKING:
    from app.panels.diffusion.model_info import DiffusionModelInfo
    from app.panels.diffusion.runs import Runs as _Base
else:
    _Base = object  # a mixin of DiffusionPanel, before Playback (it extends show_current)

ROWS_PAGE, GUIDANCE_PAGE = 0, 1


class Guidance(_Base):
    """The Guidance toggle, view and slider."""

    info: DiffusionModelInfo | None
    guidance_view: GuidanceView

    def _connect_guidance(self) -> None:
        self.guidance_toggle.toggled.connect(self._on_guidance_toggled)
        self.guidance_view.slider.valueChanged.connect(self._on_guidance_slider)
        self.form.guidance.valueChanged.connect(self.guidance_view.set_guidance)

    def set_guidance_available(self, on: bool) -> None:
        """Offer the Guidance view (`on`: a class-conditional model) or hide it."""
        if not on:
            self.guidance_toggle.setChecked(False)
        self.guidance_toggle.setVisible(on)
        self.guidance_view.set_guidance(self.form.guidance.value())

    @Slot(bool)
    def _on_guidance_toggled(self, on: bool) -> None:
        self.view_stack.setCurrentIndex(GUIDANCE_PAGE if on else ROWS_PAGE)
        self.second.setVisible(not on)  # its row B is not shown beside the branches
        self.show_current()

    def guidance_shown(self) -> bool:
        """Return True while the Guidance view replaces rows A and B."""
        return self.view_stack.currentIndex() == GUIDANCE_PAGE

    @Slot(int)
    def _on_guidance_slider(self, _value: int) -> None:
        w = self.guidance_view.guidance()
        self.form.guidance.setValue(w)  # the main run's guidance follows the slider
        self.guidance_view.set_guidance(w)
        self.rerun_guidance()

    def rerun_guidance(self) -> int | None:
        """Start run A again with the form's settings (its guidance now the slider's),
        keeping the step shown; return the new run's id (None when none can start)."""
        if not self.run_button.isEnabled():
            return None
        k, following = self.slider.value(), self.follow_live
        run_id = self.run()
        if run_id is not None and not following:
            self.slider.blockSignals(True)
            self.slider.setValue(k)
            self.slider.blockSignals(False)
            self.follow_live = False
            self.show_current()
        return run_id

    def _update_guidance_controls(self) -> None:
        self.guidance_view.slider.setEnabled(self.run_button.isEnabled())

    @Slot()
    def show_current(self) -> None:
        """Paint the slider's step in rows A and B (Playback) and, while it is shown, the
        Guidance view: cached arrays only."""
        super().show_current()  # type: ignore[safe-super]
        if not self.guidance_shown():
            return
        view, a = self.guidance_view, self.primary
        if a is None:
            view.set_placeholder(self.row_a.panes["x_t"].placeholder)
            view.progress.set_text("")
            return
        sample = self.sample()
        w = a.spec.guidance
        if w is None and self.info is not None:
            w = self.info.default_guidance
        view.show_step(a, self.slider.value(), sample, self._class_text(sample), w)
        status = "" if a.status == "done" else f", {a.status}"
        view.progress.set_text(f"run with w = {w:g}: {a.available} / {a.num_steps} steps"
                               f"{status}" if w is not None else "")

    def _class_text(self, sample: int | None) -> str:
        """Return the class of the samples shown: "class b", "each its own class" or
        "no class" (the null class)."""
        a, info = self.primary, self.info
        labels = a.spec.labels if a is not None else None
        if not labels or info is None:
            return "no class"
        if sample is not None:
            labels = (labels[min(sample, len(labels) - 1)],)
        if len(set(labels)) > 1:
            return "each its own class"
        label = labels[0]
        return "no class" if label < 0 else f"class {info.class_names[label]}"
