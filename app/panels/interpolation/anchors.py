"""Anchor boxes: where anchor A, B or C comes from (dataset image, map pick, seed, file).

The box only describes the anchor; the panel turns that description into a latent (it has
the map data and the decoder). GUI thread only.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
from PySide6.QtCore import Qt, Signal, Slot
from PySide6.QtGui import QDragEnterEvent, QDropEvent
from PySide6.QtWidgets import (
    QComboBox,
    QFileDialog,
    QGridLayout,
    QGroupBox,
    QLabel,
    QSpinBox,
    QToolButton,
    QWidget,
)

from app.theme import style_text
from app.widgets.images import to_pixmap

DATASET, MAP, RANDOM, FILE = "dataset", "map", "random", "file"
SOURCE_TEXT = {DATASET: "Dataset image", MAP: "Latent map pick", RANDOM: "Random latent",
               FILE: "Image file"}
IMAGE_FILTER = "Images (*.png *.jpg *.jpeg *.bmp *.gif *.webp)"


class AnchorBox(QGroupBox):
    """One anchor's source, number and thumbnail; accepts an image file dropped on it.

    Emits changed(name) when the user picks another source, index or seed, and
    fileChosen(name, path) when a file is dropped or browsed (GUI thread).
    """

    changed = Signal(str)
    fileChosen = Signal(str, str)

    def __init__(self, name: str, parent: QWidget | None = None) -> None:
        super().__init__(f"Anchor {name}", parent)
        self.name = name
        self.file: str | None = None
        self.setAcceptDrops(True)
        self.source_box = QComboBox()
        self.source_box.setObjectName(f"anchor_{name}_source")
        for key, text in SOURCE_TEXT.items():
            self.source_box.addItem(text, key)
        self.source_box.setToolTip("Where this anchor's latent comes from")
        self.number = QSpinBox()
        self.number.setObjectName(f"anchor_{name}_number")
        self.number.setRange(0, 2**31 - 1)
        self.number.setKeyboardTracking(False)
        self.number.setMinimumWidth(96)
        self.dice = QToolButton()
        self.dice.setText("Random")
        self.dice.setToolTip("A random dataset image, or a new seed")
        self.browse = QToolButton()
        self.browse.setText("File…")
        self.browse.setToolTip("Encode an image file (or drop one on this box)")
        self.thumbnail = QLabel()
        self.thumbnail.setFixedSize(60, 60)
        self.thumbnail.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.thumbnail.setStyleSheet("background: #2b2b2b; border: 1px solid #555")
        self.description = QLabel("—")
        self.description.setWordWrap(True)
        style_text(self.description, "muted")
        grid = QGridLayout(self)
        grid.setContentsMargins(6, 4, 6, 4)
        grid.setSpacing(4)
        grid.addWidget(self.thumbnail, 0, 0, 3, 1)
        grid.addWidget(self.source_box, 0, 1, 1, 3)
        grid.addWidget(self.number, 1, 1)
        grid.addWidget(self.dice, 1, 2)
        grid.addWidget(self.browse, 1, 3)
        grid.addWidget(self.description, 2, 1, 1, 3)
        grid.setColumnStretch(1, 1)
        self.source_box.activated.connect(self._on_source)
        self.number.valueChanged.connect(self._on_number)
        self.dice.clicked.connect(self._on_dice)
        self.browse.clicked.connect(self._on_browse)
        self._max_index = 0
        self._update_controls()

    # --- what the panel reads and sets -------------------------------------------------
    @property
    def source(self) -> str:
        """Return the source key (dataset, map, random or file)."""
        return str(self.source_box.currentData())

    def set_source(self, source: str, number: int | None = None, emit: bool = False) -> None:
        """Select `source` (and its index or seed) without emitting unless `emit`."""
        self.blockSignals(True)
        self.source_box.setCurrentIndex(max(0, self.source_box.findData(source)))
        self._update_controls()
        if number is not None:
            self.number.setValue(int(number))
        self.blockSignals(False)
        if emit:
            self.changed.emit(self.name)

    def reset(self) -> None:
        """Forget the anchor: first dataset image, no file, no picture (without emitting)."""
        self.file = None
        self._max_index = 0
        self.set_sources_allowed(set(SOURCE_TEXT))
        self.set_source(DATASET, 0)
        self.show_anchor(None, "—")

    def set_dataset_size(self, n: int) -> None:
        """Allow indices 0..n−1 for dataset images."""
        self._max_index = max(0, n - 1)
        self._update_controls()

    def set_sources_allowed(self, allowed: set[str]) -> None:
        """Grey out sources the model cannot use (files need an encoder; diffusion: seeds)."""
        model = self.source_box.model()
        for i in range(self.source_box.count()):
            item = model.item(i)  # type: ignore[attr-defined]
            item.setEnabled(self.source_box.itemData(i) in allowed)
        self.setAcceptDrops(FILE in allowed)
        if self.source not in allowed and allowed:
            self.set_source(next(k for k in SOURCE_TEXT if k in allowed))

    def show_anchor(self, image: np.ndarray | None, text: str) -> None:
        """Show the anchor's picture (uint8 H×W×C) and a one-line description."""
        if image is None:
            self.thumbnail.clear()
        else:
            pix = to_pixmap(image, max(1, 56 // max(image.shape[:2])))
            self.thumbnail.setPixmap(pix)
        self.description.setText(text)

    # --- user input ----------------------------------------------------------------------
    def _update_controls(self) -> None:
        src = self.source
        self.number.setVisible(src in (DATASET, RANDOM))
        self.dice.setVisible(src in (DATASET, RANDOM))
        self.browse.setVisible(src == FILE)
        self.number.blockSignals(True)
        if src == DATASET:
            self.number.setPrefix("#")
            self.number.setMaximum(max(self._max_index, 0))
            self.number.setToolTip("Index of the dataset image (or generated sample)")
        else:
            self.number.setPrefix("seed ")
            self.number.setMaximum(2**31 - 1)
            self.number.setToolTip("Seed of the random latent (same seed, same latent)")
        self.number.blockSignals(False)

    @Slot(int)
    def _on_source(self, _index: int) -> None:
        self._update_controls()
        if self.source == FILE and self.file is None:
            self._on_browse()
            return
        self.changed.emit(self.name)

    @Slot(int)
    def _on_number(self, _value: int) -> None:
        self.changed.emit(self.name)

    @Slot()
    def _on_dice(self) -> None:
        rng = np.random.default_rng()
        top = self._max_index if self.source == DATASET else 99_999
        self.number.setValue(int(rng.integers(0, top + 1)))

    @Slot()
    def _on_browse(self) -> None:
        path, _ = QFileDialog.getOpenFileName(self, f"Image for anchor {self.name}", "",
                                              IMAGE_FILTER)
        if path:
            self.choose_file(path)

    def choose_file(self, path: str | Path) -> None:
        """Use the image file at `path` (emits fileChosen)."""
        self.file = str(path)
        self.set_source(FILE)
        self.fileChosen.emit(self.name, self.file)

    def dragEnterEvent(self, event: QDragEnterEvent) -> None:
        """Accept a dragged local file."""
        urls = event.mimeData().urls()
        if urls and urls[0].isLocalFile():
            event.acceptProposedAction()

    def dropEvent(self, event: QDropEvent) -> None:
        """Encode the dropped image file as this anchor."""
        urls = event.mimeData().urls()
        if urls and urls[0].isLocalFile():
            event.acceptProposedAction()
            self.choose_file(urls[0].toLocalFile())
