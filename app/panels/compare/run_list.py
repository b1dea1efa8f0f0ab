"""The runs a comparison is to measure (GUI thread): a list of checkpoint or run folders,
added from a folder dialog, the recent list the window keeps, or the model shown."""

from __future__ import annotations

from pathlib import Path

from PySide6.QtCore import Qt, Signal, Slot
from PySide6.QtWidgets import (
    QAbstractItemView,
    QFileDialog,
    QHBoxLayout,
    QListWidget,
    QListWidgetItem,
    QMenu,
    QPushButton,
    QToolButton,
    QVBoxLayout,
    QWidget,
)

from app import settings

PATH_ROLE = Qt.ItemDataRole.UserRole


def run_label(path: Path) -> str:
    """Return the name a run is listed under: its folder, `run/last` for a checkpoint kept
    in a run's checkpoints/ folder."""
    return f"{path.parent.parent.name}/{path.name}" if path.parent.name == "checkpoints" \
        else path.name


class RunList(QWidget):
    """The runs listed, with Add folder…, Recent runs, Add model shown and Remove (GUI
    thread). Emits changed() when a run is added or removed."""

    changed = Signal()

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.shown: Path | None = None  # the checkpoint of the model the window shows
        self.list = QListWidget()
        self.list.setSelectionMode(QAbstractItemView.SelectionMode.ExtendedSelection)
        self.list.setMaximumHeight(72)
        self.list.setToolTip("Checkpoints or run folders to compare (two or more, trained "
                             "on the same data)")
        self.add_folder = QPushButton("Add folder…")
        self.add_folder.setToolTip("Add a checkpoint or run folder")
        self.recent = QToolButton()
        self.recent.setText("Recent runs")
        self.recent.setPopupMode(QToolButton.ToolButtonPopupMode.InstantPopup)
        self.recent_menu = QMenu(self.recent)
        self.recent.setMenu(self.recent_menu)
        self.add_shown = QPushButton("Add model shown")
        self.add_shown.setToolTip("Add the checkpoint the window shows")
        self.remove = QPushButton("Remove")
        buttons = QVBoxLayout()
        for w in (self.add_folder, self.recent, self.add_shown, self.remove):
            buttons.addWidget(w)
        buttons.addStretch(1)
        layout = QHBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(self.list, 1)
        layout.addLayout(buttons)

        self.add_folder.clicked.connect(self._choose_folder)
        self.recent_menu.aboutToShow.connect(self._fill_recent)
        self.add_shown.clicked.connect(lambda: self.shown and self.add_run(self.shown))
        self.remove.clicked.connect(self._remove_selected)
        self.list.itemSelectionChanged.connect(self._update_buttons)
        self._busy = False
        self._update_buttons()

    def paths(self) -> list[Path]:
        """Return the runs listed, in order."""
        return [Path(self.list.item(i).data(PATH_ROLE)) for i in range(self.list.count())]

    def add_run(self, path: Path | str) -> None:
        """List the checkpoint or run folder `path` (once)."""
        path = Path(path)
        if path in self.paths():
            return
        item = QListWidgetItem(run_label(path))
        item.setData(PATH_ROLE, str(path))
        item.setToolTip(str(path))
        self.list.addItem(item)
        self.changed.emit()

    def set_shown(self, path: Path | None) -> None:
        """Offer `path`, the checkpoint of the model shown (None: nothing to offer)."""
        self.shown = path
        self._update_buttons()

    def set_busy(self, busy: bool) -> None:
        """Keep the runs measured in place while a comparison runs."""
        self._busy = busy
        self._update_buttons()

    @Slot()
    def _choose_folder(self) -> None:
        folder = QFileDialog.getExistingDirectory(self, "Add a checkpoint or run folder")
        if folder:
            self.add_run(folder)

    @Slot()
    def _fill_recent(self) -> None:
        self.recent_menu.clear()
        listed = set(self.paths())
        for path in settings.recent_files():
            act = self.recent_menu.addAction(path)
            act.setEnabled(Path(path) not in listed)
            act.triggered.connect(lambda _checked=False, p=path: self.add_run(p))
        if self.recent_menu.isEmpty():
            self.recent_menu.addAction("No recent runs").setEnabled(False)

    @Slot()
    def _remove_selected(self) -> None:
        for item in self.list.selectedItems():
            self.list.takeItem(self.list.row(item))
        self.changed.emit()

    def _update_buttons(self) -> None:
        self.add_shown.setEnabled(self.shown is not None)
        self.remove.setEnabled(bool(self.list.selectedItems()) and not self._busy)
