"""File › Models on this computer: the pipelines in the Hugging Face cache, listed without
network (models/pipelines/cache.py), refused ones greyed with their one-line reason
(GUI thread; the scan reads JSON and directory listings only)."""

from __future__ import annotations

from pathlib import Path

from PySide6.QtCore import Qt, Slot
from PySide6.QtGui import QPalette
from PySide6.QtWidgets import (
    QDialog,
    QDialogButtonBox,
    QLabel,
    QTreeWidget,
    QTreeWidgetItem,
    QVBoxLayout,
    QWidget,
)

from models.pipelines.cache import CachedPipeline, find_cached_pipelines
from models.pipelines.index import MODE_LABELS

PROBLEM_ROLE = Qt.ItemDataRole.UserRole + 1  # a row's reason it cannot open
COLUMNS = ("Model", "Class", "Modes", "Size", "Status")
EMPTY_TEXT = ("No Stable Diffusion–family pipelines in the Hugging Face cache ({where}). "
              "Download one with huggingface-cli, or open a pipeline folder with "
              "File › Open model.")


def folder_size(path: Path) -> int:
    """Return the bytes of the files under `path` (links followed: the cache's blobs)."""
    total = 0
    for file in path.rglob("*"):
        try:
            if file.is_file():
                total += file.stat().st_size
        except OSError:
            continue
    return total


def human_size(size: int) -> str:
    """Return `size` bytes as "12.3 MB"."""
    value = float(size)
    for unit in ("B", "kB", "MB", "GB"):
        if value < 1000 or unit == "GB":
            return f"{value:.0f} {unit}" if unit == "B" else f"{value:.1f} {unit}"
        value /= 1000
    return f"{value:.1f} TB"


class CachedModelsDialog(QDialog):
    """Lists the cache's pipelines; `chosen()` is the snapshot folder picked (GUI thread)."""

    def __init__(self, cache_dir: Path | str | None = None,
                 parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setWindowTitle("Models on this computer")
        self.setObjectName("cached_models_dialog")
        self.resize(980, 380)
        self.found: list[CachedPipeline] = find_cached_pipelines(cache_dir)
        layout = QVBoxLayout(self)
        where = str(cache_dir) if cache_dir is not None else "HF_HUB_CACHE"
        self.note = QLabel("Pipelines in the Hugging Face cache, read from disk only (no "
                           "network). Greyed ones cannot be opened as they are; the "
                           "Status column says why." if self.found
                           else EMPTY_TEXT.format(where=where))
        self.note.setWordWrap(True)
        layout.addWidget(self.note)
        self.tree = QTreeWidget()
        self.tree.setObjectName("cached_models_list")
        self.tree.setHeaderLabels(list(COLUMNS))
        self.tree.setRootIsDecorated(False)
        self.tree.setAlternatingRowColors(True)
        for entry in self.found:
            self.tree.addTopLevelItem(self._item(entry))
        for col in range(len(COLUMNS) - 1):
            self.tree.resizeColumnToContents(col)
        self.tree.itemDoubleClicked.connect(self._on_double_click)
        self.tree.currentItemChanged.connect(self._update_button)
        layout.addWidget(self.tree, 1)
        self.reason = QLabel("")  # a greyed row's whole reason, when it is selected
        self.reason.setObjectName("cached_model_reason")
        self.reason.setWordWrap(True)
        layout.addWidget(self.reason)
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Open
                                   | QDialogButtonBox.StandardButton.Cancel)
        self.open_button = buttons.button(QDialogButtonBox.StandardButton.Open)
        buttons.accepted.connect(self.accept)
        buttons.rejected.connect(self.reject)
        layout.addWidget(buttons)
        first = next((i for i, e in enumerate(self.found) if e.problem is None), None)
        if first is not None:
            self.tree.setCurrentItem(self.tree.topLevelItem(first))
        self._update_button()

    def _item(self, entry: CachedPipeline) -> QTreeWidgetItem:
        modes = ", ".join(entry.modes)  # the short names: the reason needs the room
        status = "opens" if entry.problem is None else entry.problem
        item = QTreeWidgetItem([entry.label, entry.class_name, modes,
                                human_size(folder_size(entry.path)), status])
        item.setData(0, Qt.ItemDataRole.UserRole, str(entry.path))
        item.setToolTip(0, str(entry.path))
        item.setToolTip(2, ", ".join(MODE_LABELS.get(m, m) for m in entry.modes))
        if entry.problem is not None:
            # Greyed, and selectable so that its whole reason shows below the list.
            grey = self.palette().color(QPalette.ColorGroup.Disabled,
                                        QPalette.ColorRole.Text)
            for col in range(len(COLUMNS)):
                item.setForeground(col, grey)
            item.setData(0, PROBLEM_ROLE, entry.problem)
            item.setToolTip(4, entry.problem)
        return item

    def chosen(self) -> Path | None:
        """Return the snapshot folder of the selected pipeline, None when none is (or
        the one selected cannot be opened)."""
        item = self.tree.currentItem()
        if item is None or item.data(0, PROBLEM_ROLE):
            return None
        return Path(str(item.data(0, Qt.ItemDataRole.UserRole)))

    @Slot()
    def _update_button(self, *_: object) -> None:
        self.open_button.setEnabled(self.chosen() is not None)
        item = self.tree.currentItem()
        problem = item.data(0, PROBLEM_ROLE) if item is not None else None
        self.reason.setText(f"Cannot open {item.text(0)}: {problem}" if problem else "")

    @Slot(object, int)
    def _on_double_click(self, item: QTreeWidgetItem, _column: int) -> None:
        self.tree.setCurrentItem(item)
        if self.chosen() is not None:
            self.accept()
