"""Playback over the steps of a draw: Play/Pause, one step back and forward, first and
last, a scrub slider and the speed (GUI thread). Slider value k shows the first k values
drawn; while a draw streams in, the slider follows it as long as it is at its end."""

from __future__ import annotations

from PySide6.QtCore import QEvent, Qt, QTimer, Signal, Slot
from PySide6.QtGui import QKeySequence, QShortcut
from PySide6.QtWidgets import QComboBox, QHBoxLayout, QLabel, QPushButton, QSlider, QWidget

TICK_MS = 33  # ~30 frames a second while playing
SPEEDS = (5, 30, 100, 300, 1000, 3000)  # values per second
DEFAULT_SPEED = 100


class PlaybackBar(QWidget):
    """Emits stepChanged(k) whenever the step shown changes (k values drawn)."""

    stepChanged = Signal(int)

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.total = 0  # steps of the draw (C·H·W)
        self.available = 0  # steps arrived
        self.follow = True  # the slider stays at the newest step as steps arrive
        self._carry = 0.0  # fractions of a step owed by the play timer
        self.first_button = self._button("|◀", "pixels_first", "First step (Home)")
        self.back_button = self._button("◀", "pixels_back", "One value back (Left)")
        self.play_button = self._button("Play", "pixels_play", "Play or pause (Space)")
        self.play_button.setCheckable(True)
        self.forward_button = self._button("▶", "pixels_forward", "One value on (Right)")
        self.last_button = self._button("▶|", "pixels_last", "Last step drawn (End)")
        self.slider = QSlider(Qt.Orientation.Horizontal)
        self.slider.setObjectName("pixels_slider")
        self.slider.setToolTip("Scrub through the values in the order they were drawn")
        self.slider.setRange(0, 0)
        self.step_label = QLabel()
        self.step_label.setObjectName("pixels_step")
        self.speed = QComboBox()
        self.speed.setObjectName("pixels_speed")
        self.speed.setToolTip("Values drawn per second while playing")
        for value in SPEEDS:
            self.speed.addItem(f"{value} values/s", value)
        self.speed.setCurrentIndex(SPEEDS.index(DEFAULT_SPEED))
        self.timer = QTimer(self)
        self.timer.setInterval(TICK_MS)
        self.timer.timeout.connect(self._tick)
        self.slider.valueChanged.connect(self._on_slider)
        self.first_button.clicked.connect(lambda: self.slider.setValue(0))
        self.back_button.clicked.connect(self.step_back)
        self.forward_button.clicked.connect(self.step_forward)
        self.last_button.clicked.connect(lambda: self.slider.setValue(self.available))
        self.play_button.toggled.connect(self._on_play)

        row = QHBoxLayout(self)
        row.setContentsMargins(0, 0, 0, 0)
        for button in (self.first_button, self.back_button, self.play_button,
                       self.forward_button, self.last_button):
            row.addWidget(button)
        row.addWidget(self.slider, 1)
        row.addWidget(self.step_label)
        row.addWidget(QLabel("Speed"))
        row.addWidget(self.speed)
        self._fit_label()
        self._update_label()

    def _fit_label(self) -> None:
        # As wide as its longest text: the slider must not jitter while playing.
        sample = "00000 / 00000 values (00000 arrived)"
        self.step_label.setMinimumWidth(self.step_label.fontMetrics().horizontalAdvance(sample))

    def changeEvent(self, event: QEvent) -> None:
        """Refit the step counter when the font changes (presenting)."""
        super().changeEvent(event)
        if event.type() == QEvent.Type.FontChange:
            self._fit_label()

    def _button(self, text: str, name: str, tip: str) -> QPushButton:
        button = QPushButton(text)
        button.setObjectName(name)
        button.setToolTip(tip)
        return button

    def add_shortcuts(self, owner: QWidget) -> None:
        """Let Left, Right, Home, End and Space drive playback while `owner` has focus."""
        for key, slot in (("Left", self.step_back), ("Right", self.step_forward),
                          ("Home", lambda: self.slider.setValue(0)),
                          ("End", lambda: self.slider.setValue(self.available)),
                          ("Space", self.play_button.toggle)):
            shortcut = QShortcut(QKeySequence(key), owner)
            shortcut.setContext(Qt.ShortcutContext.WidgetWithChildrenShortcut)
            shortcut.activated.connect(slot)

    # --- the draw ----------------------------------------------------------------------------
    def reset(self, total: int) -> None:
        """A new draw of `total` steps begins (none arrived): back to step 0, following."""
        self.play_button.setChecked(False)
        self.total, self.available, self.follow = total, 0, True
        self.slider.blockSignals(True)
        self.slider.setRange(0, 0)
        self.slider.setValue(0)
        self.slider.blockSignals(False)
        self._update_label()
        self.stepChanged.emit(0)

    def set_available(self, available: int) -> None:
        """`available` steps have arrived: the slider reaches them, and moves to the newest
        when it was following."""
        self.available = available
        self.slider.blockSignals(True)
        self.slider.setMaximum(available)
        self.slider.blockSignals(False)
        if self.follow and not self.play_button.isChecked():
            self.slider.setValue(available)  # emits stepChanged when it moved
        self._update_label()

    def step(self) -> int:
        """Return k, the number of values shown drawn."""
        return self.slider.value()

    # --- moving ------------------------------------------------------------------------------
    @Slot()
    def step_back(self) -> None:
        """Show one value fewer."""
        self.play_button.setChecked(False)
        self.slider.setValue(self.slider.value() - 1)

    @Slot()
    def step_forward(self) -> None:
        """Show one value more (of those arrived)."""
        self.play_button.setChecked(False)
        self.slider.setValue(min(self.available, self.slider.value() + 1))

    @Slot(int)
    def _on_slider(self, value: int) -> None:
        # Back at the newest step, the view follows the draw again.
        self.follow = value >= self.available
        self._update_label()
        self.stepChanged.emit(value)

    @Slot(bool)
    def _on_play(self, on: bool) -> None:
        self.play_button.setText("Pause" if on else "Play")
        if on:
            if self.slider.value() >= self.available and self.available == self.total:
                self.slider.setValue(0)  # at the end: play from the start
            self._carry = 0.0
            self.timer.start()
        else:
            self.timer.stop()

    @Slot()
    def _tick(self) -> None:
        self._carry += float(self.speed.currentData()) * TICK_MS / 1000
        whole = int(self._carry)
        self._carry -= whole
        target = min(self.available, self.slider.value() + whole)
        if whole:
            self.slider.setValue(target)
        if target >= self.available and self.available == self.total:
            self.play_button.setChecked(False)

    def _update_label(self) -> None:
        k = self.slider.value()
        text = f"{k} / {self.total} values" if self.total else "no draw"
        if self.available < self.total:
            text += f" ({self.available} arrived)"
        self.step_label.setText(text)
