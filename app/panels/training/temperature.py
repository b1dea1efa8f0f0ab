"""The sampling temperature of models that sample at one (a flow's σ of the base normal):
a slider above the sample grid, shown only for them."""

from __future__ import annotations

import dataclasses

from PySide6.QtCore import Qt, Signal, Slot
from PySide6.QtWidgets import QHBoxLayout, QLabel, QWidget

from app.widgets.labeled_slider import LabeledDoubleSlider
from models.config import ModelConfig

TEMPERATURE_TIP = ("Temperature T: samples decode z ~ N(0, T²I). Below 1 they are smoother "
                   "and more typical, above 1 more varied and noisier; 1 is the model itself.")


def samples_at_temperature(config: ModelConfig) -> bool:
    """Return True for a family whose config has a sampling `temperature` (torch-free)."""
    return any(f.name == "temperature" for f in dataclasses.fields(config))


class TemperatureControl(QWidget):
    """"sampling temperature" and its slider (GUI thread). Emits `chosen(T)` when the
    slider is let go or moved with the keyboard, not at every pixel of a drag."""

    chosen = Signal(float)

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.slider = LabeledDoubleSlider(Qt.Orientation.Horizontal)
        self.slider.setObjectName("sampling_temperature")
        self.slider.setRange(0.0, 2.0)
        self.slider.setDecimals(2)
        self.slider.setValue(1.0)
        self.slider.setTracking(False)  # valueChanged once the drag ends
        self.setToolTip(TEMPERATURE_TIP)
        row = QHBoxLayout(self)
        row.setContentsMargins(0, 0, 0, 0)
        row.addWidget(QLabel("sampling temperature"))
        row.addWidget(self.slider, 1)
        self.slider.valueChanged.connect(self._on_value)

    def reset(self, value: float) -> None:
        """Show `value` (the model's own temperature) without asking for samples."""
        self.slider.blockSignals(True)
        self.slider.setValue(value)
        self.slider.blockSignals(False)

    def value(self) -> float:
        """Return the temperature the slider shows."""
        return float(self.slider.value())

    @Slot(float)
    def _on_value(self, value: float) -> None:
        self.chosen.emit(float(value))
