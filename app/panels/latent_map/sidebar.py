"""The latent map's side column: class legend with toggles, detail view, selection groups."""

from __future__ import annotations

import numpy as np
from PySide6.QtCore import QEvent, QSize, Qt, Signal, Slot
from PySide6.QtGui import QColor, QIcon, QPixmap
from PySide6.QtWidgets import (
    QGridLayout,
    QGroupBox,
    QLabel,
    QListWidget,
    QListWidgetItem,
    QPushButton,
    QScrollArea,
    QVBoxLayout,
    QWidget,
)

from app.panels.latent_map.images import class_colour
from app.widgets.images import to_pixmap

MIN_COLUMN_HEIGHT = 160  # px: the legend and a little of the detail; the rest scrolls

GROUP_COLOURS = {"A": "#d62728", "B": "#1f77b4"}
DETAIL_TEXT = "Click a point to select it, or empty space to decode there."
NO_VECTOR_TEXT = ("Select two groups: their mean difference is an attribute vector for "
                  "interpolation.")


class ClassLegend(QListWidget):
    """One checkable row per class (colour swatch, name, count). Emits
    classToggled(label, visible) when the user ticks or unticks a row (GUI thread)."""

    classToggled = Signal(int, bool)

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setToolTip("Untick a class to hide its points (and exclude them from hover)")
        self.itemChanged.connect(self._on_item_changed)

    def set_classes(self, counts: dict[int, int], names: tuple[str, ...],
                    hidden: set[int]) -> None:
        """Rebuild the rows for `counts` (label -> points); hidden labels stay unticked."""
        self.blockSignals(True)
        self.clear()
        for label, count in sorted(counts.items()):
            name = names[label] if 0 <= label < len(names) else (
                "unlabelled" if label < 0 else str(label))
            item = QListWidgetItem(f"{name}  ({count:,})")
            swatch = QPixmap(14, 14)
            swatch.fill(QColor(class_colour(label)))
            item.setIcon(QIcon(swatch))
            item.setData(Qt.ItemDataRole.UserRole, label)
            item.setFlags(item.flags() | Qt.ItemFlag.ItemIsUserCheckable)
            item.setCheckState(Qt.CheckState.Unchecked if label in hidden
                               else Qt.CheckState.Checked)
            self.addItem(item)
        self.blockSignals(False)
        self._fit_rows()

    def _fit_rows(self) -> None:
        """Be exactly as tall as the rows: every class shows without scrolling the list (a
        short column scrolls instead), and the detail view below gets the rest."""
        rows = max(1, self.count())
        self.setFixedHeight(rows * max(self.sizeHintForRow(0), 18) + 2 * self.frameWidth() + 4)

    def changeEvent(self, event: QEvent) -> None:
        """Refit when the font changes: presentation mode's taller rows hid the last ones."""
        super().changeEvent(event)
        if event.type() in (QEvent.Type.FontChange, QEvent.Type.StyleChange):
            self._fit_rows()

    def set_checked(self, label: int, visible: bool) -> None:
        """Tick or untick the row of `label` (emits classToggled like a user click)."""
        for row in range(self.count()):
            item = self.item(row)
            if item.data(Qt.ItemDataRole.UserRole) == label:
                item.setCheckState(Qt.CheckState.Checked if visible else Qt.CheckState.Unchecked)

    @Slot(QListWidgetItem)
    def _on_item_changed(self, item: QListWidgetItem) -> None:
        self.classToggled.emit(int(item.data(Qt.ItemDataRole.UserRole)),
                               item.checkState() == Qt.CheckState.Checked)


class DetailView(QGroupBox):
    """The selected point: original, reconstruction and latent values (GUI thread)."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__("Selected", parent)
        grid = QGridLayout(self)
        self.original = QLabel()
        self.reconstruction = QLabel()
        for col, (label, caption) in enumerate(((self.original, "image"),
                                                (self.reconstruction, "decoded"))):
            label.setAlignment(Qt.AlignmentFlag.AlignCenter)
            label.setMinimumSize(84, 84)
            grid.addWidget(label, 0, col)
            grid.addWidget(QLabel(caption, alignment=Qt.AlignmentFlag.AlignCenter), 1, col)
        self.text = QLabel(DETAIL_TEXT)
        self.text.setWordWrap(True)
        self.text.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        grid.addWidget(self.text, 2, 0, 1, 2)

    def show_point(self, title: str, latent: np.ndarray, image: np.ndarray | None) -> None:
        """Show a title, the latent's values and the original image (None: a decoded spot)."""
        self.original.setPixmap(to_pixmap(image) if image is not None else QPixmap())
        self.original.setText("" if image is not None else "—")
        self.reconstruction.setPixmap(QPixmap())
        values = ", ".join(f"{v:+.2f}" for v in latent[:16])
        more = f", … ({len(latent)} values)" if len(latent) > 16 else ""
        self.text.setText(f"{title}<br>z = [{values}{more}]")

    def show_decoded(self, image: np.ndarray) -> None:
        """Show the decoded image of the selected latent."""
        self.reconstruction.setPixmap(to_pixmap(image))

    def show_message(self, text: str) -> None:
        """Replace the text (e.g. why a position cannot be decoded)."""
        self.text.setText(text)

    def clear(self) -> None:
        """Show nothing selected."""
        for label in (self.original, self.reconstruction):
            label.setPixmap(QPixmap())
            label.setText("")
        self.text.setText(DETAIL_TEXT)


class GroupsView(QGroupBox):
    """Two box/lasso groups: counts, mean decoded images and the attribute vector.

    Emits targetChanged("A"|"B") when the user picks the group the next shape fills,
    cleared() when the groups are emptied (GUI thread).
    """

    targetChanged = Signal(str)
    cleared = Signal()

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__("Groups (box / lasso)", parent)
        grid = QGridLayout(self)
        self.buttons: dict[str, QPushButton] = {}
        self.counts: dict[str, QLabel] = {}
        self.means: dict[str, QLabel] = {}
        for col, name in enumerate("AB"):
            button = QPushButton(f"Fill {name}")
            button.setCheckable(True)
            button.setAutoExclusive(True)
            button.setToolTip(f"The next box or lasso selects group {name}")
            button.toggled.connect(self._on_toggled)
            self.buttons[name] = button
            self.counts[name] = QLabel(f"{name}: empty")
            # The same colours as the groups' outlines on the map.
            colour = GROUP_COLOURS[name]
            self.counts[name].setStyleSheet(f"color: {colour}; font-weight: bold")
            button.setStyleSheet(f"QPushButton:checked {{ color: {colour}; font-weight: bold }}")
            self.means[name] = QLabel()
            self.means[name].setAlignment(Qt.AlignmentFlag.AlignCenter)
            self.means[name].setMinimumSize(84, 84)
            grid.addWidget(button, 0, col)
            grid.addWidget(self.counts[name], 1, col)
            grid.addWidget(self.means[name], 2, col)
        self.buttons["A"].setChecked(True)
        self.vector = QLabel(NO_VECTOR_TEXT)
        self.vector.setWordWrap(True)
        grid.addWidget(self.vector, 3, 0, 1, 2)
        clear = QPushButton("Clear groups")
        clear.clicked.connect(self.cleared.emit)
        grid.addWidget(clear, 4, 0, 1, 2)

    @property
    def target(self) -> str:
        """Return the group the next shape fills."""
        return "A" if self.buttons["A"].isChecked() else "B"

    def set_group(self, name: str, count: int) -> None:
        """Show a group's size (its mean image arrives later)."""
        self.counts[name].setText(f"{name}: {count:,} points" if count else f"{name}: empty")
        self.means[name].setPixmap(QPixmap())

    def set_mean_image(self, name: str, image: np.ndarray) -> None:
        """Show a group's mean decoded image."""
        self.means[name].setPixmap(to_pixmap(image))

    def clear(self) -> None:
        """Show both groups empty, the next shape filling A."""
        for name in self.buttons:
            self.set_group(name, 0)
        self.vector.setText(NO_VECTOR_TEXT)
        self.buttons["A"].setChecked(True)

    @Slot(bool)
    def _on_toggled(self, checked: bool) -> None:
        if checked:
            self.targetChanged.emit(self.target)


class _ColumnScroll(QScrollArea):
    """A scroll area as wide as its column and as short as one row of it, so the column
    scrolls rather than holding the window taller than a 720-pixel screen."""

    def minimumSizeHint(self) -> QSize:  # Qt override
        """Return the column's minimum width (plus a scroll bar) by a short height."""
        column = self.widget()
        width = column.minimumSizeHint().width() if column is not None else 0
        return QSize(width + self.verticalScrollBar().sizeHint().width()
                     + 2 * self.frameWidth(), MIN_COLUMN_HEIGHT)


def side_column(*widgets: QWidget) -> QWidget:
    """Return a vertically scrolling column stacking `widgets` (the legend stretches)."""
    column = QWidget()
    layout = QVBoxLayout(column)
    layout.setContentsMargins(0, 0, 0, 0)
    for i, w in enumerate(widgets):
        layout.addWidget(w, 1 if i == 0 else 0)
    scroll = _ColumnScroll()
    scroll.setFrameShape(QScrollArea.Shape.NoFrame)
    scroll.setWidgetResizable(True)
    scroll.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
    scroll.setWidget(column)
    return scroll
