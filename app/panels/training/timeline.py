"""The epoch timeline: a slider over finished epochs with Play, following the newest one."""

from __future__ import annotations

from PySide6.QtCore import Qt, QTimer, Signal, Slot
from PySide6.QtWidgets import QHBoxLayout, QLabel, QSizePolicy, QSlider, QToolButton, QWidget

from app.panels.training.text_line import TextLine

PLAY_INTERVAL_MS = 700


class Timeline(QWidget):
    """Epoch picker (GUI thread). Emits epochSelected(int epoch, bool live).

    While the slider sits on the newest epoch it is "live" and moves on by itself as
    epochs finish; dragging back freezes it on a past epoch; Play walks forward.
    """

    epochSelected = Signal(int, bool)

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        layout = QHBoxLayout(self)
        layout.setContentsMargins(4, 2, 4, 2)
        self.play_button = QToolButton()
        self.play_button.setObjectName("timeline_play")
        self.play_button.setText("▶ Play")
        self.play_button.setToolTip("Play through the epochs (Ctrl+L)")
        self.play_button.setCheckable(True)
        self.play_button.setShortcut("Ctrl+L")
        self.slider = QSlider(Qt.Orientation.Horizontal)
        self.slider.setObjectName("timeline_slider")
        self.slider.setRange(0, 0)
        self.slider.setPageStep(1)
        self.slider.setEnabled(False)
        # Not a QLabel: its text changes every epoch and would re-lay out the window.
        self.label = TextLine(widest="epoch 00000 of 00000  (latest)")
        self.label.setText("no epochs yet")
        self.label.setSizePolicy(QSizePolicy.Policy.Fixed, QSizePolicy.Policy.Preferred)
        layout.addWidget(QLabel("Epoch"))
        layout.addWidget(self.play_button)
        layout.addWidget(self.slider, 1)
        layout.addWidget(self.label)
        self._epochs: list[int] = []
        self.recorded = False  # a finished record: its last epoch is not "latest" news
        self._timer = QTimer(self)
        self._timer.setInterval(PLAY_INTERVAL_MS)
        self._timer.timeout.connect(self._advance)
        self.play_button.toggled.connect(self._on_play)
        self.slider.valueChanged.connect(self._on_value)

    @property
    def live(self) -> bool:
        """Return True when the newest epoch is shown and new ones will be followed."""
        return not self._epochs or self.slider.value() == len(self._epochs) - 1

    def current_epoch(self) -> int | None:
        """Return the epoch number shown, or None before any."""
        return self._epochs[self.slider.value()] if self._epochs else None

    def reset(self) -> None:
        """Forget every epoch (a new run)."""
        self.play_button.setChecked(False)
        self._epochs = []
        self.slider.blockSignals(True)
        self.slider.setRange(0, 0)
        self.slider.blockSignals(False)
        self.slider.setEnabled(False)
        self.label.setText("no epochs yet")

    def set_epochs(self, epochs: list[int]) -> None:
        """Offer `epochs` (sorted); stays live if it was."""
        was_live = self.live
        self._epochs = list(epochs)
        self.slider.blockSignals(True)
        self.slider.setRange(0, max(0, len(epochs) - 1))
        if was_live:
            self.slider.setValue(len(epochs) - 1)
        self.slider.blockSignals(False)
        self.slider.setEnabled(len(epochs) > 1)
        self._emit()

    def select(self, epoch: int) -> None:
        """Show epoch `epoch` if it exists."""
        if epoch in self._epochs:
            self.slider.setValue(self._epochs.index(epoch))

    @Slot(bool)
    def _on_play(self, on: bool) -> None:
        if on:
            if self.live and len(self._epochs) > 1:
                self.slider.setValue(0)  # replay from the start
            self.play_button.setText("❚❚ Pause")
            self._timer.start()
        else:
            self.play_button.setText("▶ Play")
            self._timer.stop()

    @Slot()
    def _advance(self) -> None:
        if self.slider.value() >= self.slider.maximum():
            self.play_button.setChecked(False)
        else:
            self.slider.setValue(self.slider.value() + 1)

    @Slot(int)
    def _on_value(self, _: int) -> None:
        self._emit()

    def _emit(self) -> None:
        epoch = self.current_epoch()
        if epoch is None:
            return
        total = self._epochs[-1]
        latest = self.live and not self.recorded
        self.label.setText(f"epoch {epoch} of {total}" + ("  (latest)" if latest else ""))
        self.epochSelected.emit(epoch, self.live)
