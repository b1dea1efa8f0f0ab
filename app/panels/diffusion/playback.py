"""The step shown: slider, step keys, Play, the sample chooser, the filmstrip and the
counters under them (GUI thread). Everything here reads the trajectory cache: nothing
is recomputed to show a step."""

from __future__ import annotations

from typing import TYPE_CHECKING

from PySide6.QtCore import Qt, Slot
from PySide6.QtGui import QKeySequence, QShortcut

from app.panels.diffusion.cache import RunRecord, TrajectoryCache

if TYPE_CHECKING:
    from app.panels.diffusion.layout import PanelWidgets as _Base
else:
    _Base = object  # a mixin of DiffusionPanel


def megabytes(nbytes: int) -> str:
    """Return `nbytes` as "12 MB" (or "1.5 MB" below 10 MB)."""
    return f"{nbytes / 1024**2:.0f} MB" if nbytes >= 10 * 1024**2 else \
        f"{nbytes / 1024**2:.1f} MB"


class Playback(_Base):
    """Scrubbing and playing the cached steps of run A, with run B following."""

    cache: TrajectoryCache
    primary_id: int | None  # the run in row A
    secondary_id: int | None  # the run in row B
    follow_live: bool  # the slider follows the newest step of a streaming run

    @property
    def primary(self) -> RunRecord | None:
        """Return the run shown in row A (None if none or dropped)."""
        return self.cache.runs.get(self.primary_id) if self.primary_id is not None else None

    @property
    def secondary(self) -> RunRecord | None:
        """Return the branch or compared run shown in row B."""
        return self.cache.runs.get(self.secondary_id) \
            if self.secondary_id is not None else None

    def _connect_playback(self) -> None:
        self._refresh_timer.timeout.connect(self._follow_newest)
        self._play_timer.timeout.connect(self._on_play_tick)
        self.slider.valueChanged.connect(self._on_slider)
        self.sample_spin.valueChanged.connect(self.show_current)
        self.prev_button.clicked.connect(self.step_back)
        self.next_button.clicked.connect(self.step_forward)
        self.play_button.toggled.connect(self._on_play_toggled)
        self.filmstrip.stepClicked.connect(self.slider.setValue)
        for key, slot in (("Left", self.step_back), ("Right", self.step_forward),
                          ("Home", self._to_first), ("End", self._to_last),
                          ("Space", self.play_button.toggle)):
            shortcut = QShortcut(QKeySequence(key), self.reverse)
            shortcut.setContext(Qt.ShortcutContext.WidgetWithChildrenShortcut)
            shortcut.activated.connect(slot)

    def current_step(self) -> int:
        """Return the step index the slider is on."""
        return self.slider.value()

    def sample(self) -> int | None:
        """Return the sample shown alone (None: every sample as a grid)."""
        return self.sample_spin.value() - 1 if self.sample_spin.value() > 0 else None

    def _reset_slider(self) -> None:
        a = self.primary
        self.slider.blockSignals(True)
        self.slider.setRange(0, max(0, (a.frames if a else 1) - 1))
        self.slider.setValue(0)
        self.slider.blockSignals(False)
        self.sample_spin.setRange(0, a.spec.n if a else 0)
        self._update_progress()
        self.show_current()

    @Slot()
    def _follow_newest(self) -> None:
        a = self.primary
        if a is None:
            return
        # Counters and text follow at most at screen rate while a run streams.
        self._update_progress()
        self._update_cache_label()
        self.update_preview_cost()
        if self.follow_live and a.frames_available:
            self.slider.blockSignals(True)
            self.slider.setValue(a.frames_available - 1)
            self.slider.blockSignals(False)
        self.show_current()

    @Slot(int)
    def _on_slider(self, value: int) -> None:
        a = self.primary
        # Back at the newest step, the view follows the run again.
        self.follow_live = a is not None and value >= a.frames_available - 1
        self.show_current()

    @Slot()
    def show_current(self) -> None:
        """Paint the cached arrays of the slider's step in every row and the filmstrip."""
        a = self.primary
        k = self.slider.value()
        sample = self.sample()
        if a is None:
            self.filmstrip.set_run(None, None, -1)
            self.step_label.set_text("")
            return
        self.row_a.show_step(a, k, sample)
        shown = min(k, max(0, a.frames_available - 1))
        self.step_label.set_text("final image" if a.is_final(shown)
                                 else f"step {shown + 1} / {a.num_steps}")
        b = self.secondary
        if b is not None:
            self.row_b.show_step(b, self.second_step(a, b, k), sample)
        self.filmstrip.set_run(a, sample, k)

    @staticmethod
    def second_step(a: RunRecord, b: RunRecord, k: int) -> int:
        """Return row B's step for row A's step k: the same index for a branch, the same
        fraction of the way for a compared run with another step count; the final image
        for the final image."""
        if a.is_final(k):
            return b.num_steps
        if b.spec.kind == "branch" or b.num_steps == a.num_steps:
            return k
        return round(k * (b.num_steps - 1) / max(1, a.num_steps - 1))

    @Slot()
    def step_back(self) -> None:
        """Show the previous step."""
        self.slider.setValue(self.slider.value() - 1)

    @Slot()
    def step_forward(self) -> None:
        """Show the next step that has arrived."""
        a = self.primary
        if a is not None and self.slider.value() + 1 < a.frames_available:
            self.slider.setValue(self.slider.value() + 1)

    @Slot()
    def _to_first(self) -> None:
        self.slider.setValue(0)

    @Slot()
    def _to_last(self) -> None:
        a = self.primary
        if a is not None and a.frames_available:
            self.slider.setValue(a.frames_available - 1)

    @Slot(bool)
    def _on_play_toggled(self, on: bool) -> None:
        a = self.primary
        if on and a is not None and self.slider.value() >= a.frames_available - 1 \
                and a.status != "running":
            self.slider.setValue(0)  # at the end: play from the start
        self.play_button.setText("Pause" if on else "Play")
        if on:
            self._play_timer.start()
        else:
            self._play_timer.stop()

    @Slot()
    def _on_play_tick(self) -> None:
        a = self.primary
        if a is None:
            self.play_button.setChecked(False)
            return
        if self.slider.value() + 1 < a.frames_available:
            self.slider.setValue(self.slider.value() + 1)
        elif a.status != "running":
            self.play_button.setChecked(False)

    def _update_progress(self) -> None:
        a = self.primary
        text = "" if a is None else f"{a.available} / {a.num_steps} steps" + (
            "" if a.status in ("running", "done") else f", {a.status}")
        self.progress.set_text(text)

    def _update_cache_label(self) -> None:
        n = len(self.cache.runs)
        self.cache_label.set_text(f"Cache {megabytes(self.cache.total_bytes)} of "
                       f"{megabytes(self.cache.max_bytes)}\n{n} run{'s' if n != 1 else ''}")
