"""The two sources A and B the dock interpolates between and edits: a seed, or a real digit
projected into W (GUI thread for the widgets; `Source` is plain data)."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from PySide6.QtCore import Signal
from PySide6.QtWidgets import QComboBox, QHBoxLayout, QLabel, QSpinBox, QWidget

SEED, PROJECTED = "seed", "projected"


@dataclass(frozen=True)
class Source:
    """A seed (its z is `sample_z(model, 1, seed)`, its w that z mapped) or a projected
    digit (a w alone: it has no z). `w` is a float32 w_dim array for a projected digit."""

    kind: str
    seed: int = 0
    w: np.ndarray | None = None
    name: str = ""

    @property
    def has_z(self) -> bool:
        """Return True for a seed: a projected digit exists only in W."""
        return self.kind == SEED

    def label(self) -> str:
        """Return how the source is named in captions: "seed 3", "projected 7 (#12)"."""
        return f"seed {self.seed}" if self.kind == SEED else self.name


class SourcePicker(QWidget):
    """One source: a drop-down (seed / the projected digit, once there is one) and the seed
    (GUI thread). Emits changed() when what it names changes."""

    changed = Signal()

    def __init__(self, title: str, seed: int, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._projected: Source | None = None
        self.kind = QComboBox()
        self.kind.setObjectName(f"wspace_source_{title.lower()}")
        self.kind.addItem("Seed", SEED)
        self.kind.setSizeAdjustPolicy(QComboBox.SizeAdjustPolicy.AdjustToContents)
        self.kind.setToolTip(f"Source {title}: a seed's z (and its w), or a real digit "
                             "projected into W (Project tab)")
        self.seed = QSpinBox()
        self.seed.setObjectName(f"wspace_seed_{title.lower()}")
        self.seed.setRange(0, 999_999)
        self.seed.setValue(seed)
        self.seed.setToolTip("The seed of z ~ N(0, I)")
        layout = QHBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(QLabel(f"Source {title}"))
        layout.addWidget(self.kind)
        layout.addWidget(self.seed)
        self.kind.currentIndexChanged.connect(self._on_kind)
        self.seed.valueChanged.connect(lambda _v: self.changed.emit())

    def source(self) -> Source:
        """Return the source named now."""
        if self.kind.currentData() == PROJECTED and self._projected is not None:
            return self._projected
        return Source(SEED, self.seed.value())

    def offer_projected(self, source: Source | None, select: bool = False) -> None:
        """Offer (or, for None, withdraw) the projected digit; `select` picks it."""
        self._projected = source
        index = self.kind.findData(PROJECTED)
        self.kind.blockSignals(True)
        if source is None:
            if index >= 0:
                self.kind.removeItem(index)
        elif index < 0:
            self.kind.addItem(f"Projected: {source.name}", PROJECTED)
        else:
            self.kind.setItemText(index, f"Projected: {source.name}")
        if select and source is not None:
            self.kind.setCurrentIndex(self.kind.findData(PROJECTED))
        self.kind.blockSignals(False)
        self.seed.setEnabled(self.kind.currentData() == SEED)
        self.changed.emit()

    def _on_kind(self, _index: int) -> None:
        self.seed.setEnabled(self.kind.currentData() == SEED)
        self.changed.emit()
