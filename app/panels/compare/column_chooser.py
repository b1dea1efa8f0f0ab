"""The Compare table's column chooser: a menu of checkable columns, opened from the
"Columns" button or the header's context menu; hidden columns are remembered (GUI thread)."""

from __future__ import annotations

from PySide6.QtCore import QPoint, Qt, Signal
from PySide6.QtGui import QAction
from PySide6.QtWidgets import QMenu, QTableView, QToolButton

from app.panels.compare.columns import MEASURES
from app.panels.compare.table import LEADING
from app.settings import app_settings

SETTINGS_KEY = "compare/hidden_columns"


class ColumnChooser(QToolButton):
    """A "Columns" button whose menu shows or hides the table's measure columns (the run's
    name always stays). Hiding one shrinks the table: nothing else changes. Emits
    changed() after a column is shown or hidden."""

    changed = Signal()

    def __init__(self, table: QTableView) -> None:
        super().__init__()
        self.table = table
        self.setText("Columns")
        self.setToolTip("Choose the measures the table shows (also: right-click its header)")
        self.setPopupMode(QToolButton.ToolButtonPopupMode.InstantPopup)
        self.menu_ = QMenu(self)
        self.actions_: dict[str, QAction] = {}
        hidden = self._saved()
        for column, measure in enumerate(MEASURES, start=len(LEADING)):
            action = self.menu_.addAction(measure.long_header)
            action.setCheckable(True)
            action.setChecked(measure.key not in hidden)
            action.toggled.connect(lambda on, c=column: self._show_column(c, on))
            self.actions_[measure.key] = action
            table.horizontalHeader().setSectionHidden(column, measure.key in hidden)
        self.setMenu(self.menu_)
        header = table.horizontalHeader()
        header.setContextMenuPolicy(Qt.ContextMenuPolicy.CustomContextMenu)
        header.customContextMenuRequested.connect(self._open_at)

    def set_shown(self, key: str, shown: bool) -> None:
        """Show or hide the column of the measure `key`."""
        self.actions_[key].setChecked(shown)

    def hidden(self) -> list[str]:
        """Return the keys of the measures hidden."""
        return [k for k, a in self.actions_.items() if not a.isChecked()]

    def _open_at(self, pos: QPoint) -> None:
        self.menu_.popup(self.table.horizontalHeader().mapToGlobal(pos))

    def _show_column(self, column: int, shown: bool) -> None:
        self.table.horizontalHeader().setSectionHidden(column, not shown)
        app_settings().setValue(SETTINGS_KEY, ",".join(self.hidden()))
        self.changed.emit()

    @staticmethod
    def _saved() -> set[str]:
        value = app_settings().value(SETTINGS_KEY, "")
        return {k for k in str(value or "").split(",") if k}
