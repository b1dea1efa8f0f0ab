"""The comparison as a Qt table model: a row per run, its name and family, then a column per
measure; empty cells greyed with the reason in their tooltip (GUI thread)."""

from __future__ import annotations

from typing import Any

from PySide6.QtCore import QAbstractTableModel, QModelIndex, QPersistentModelIndex, Qt
from PySide6.QtGui import QBrush, QColor, QFont, QPixmap
from PySide6.QtWidgets import QTableView

from app import theme
from app.panels.compare.columns import MEASURES, run_colour, tooltip

LEADING = ("Run", "Family")

Index = QModelIndex | QPersistentModelIndex


class CompareTableModel(QAbstractTableModel):
    """The measured runs (RunFigures dicts), one per row (GUI thread)."""

    def __init__(self) -> None:
        super().__init__()
        self.rows: list[dict[str, Any]] = []

    def set_rows(self, rows: list[dict[str, Any]]) -> None:
        """Show `rows` instead of the rows shown."""
        self.beginResetModel()
        self.rows = list(rows)
        self.endResetModel()

    def add_row(self, row: dict[str, Any]) -> None:
        """Append one measured run."""
        self.beginInsertRows(QModelIndex(), len(self.rows), len(self.rows))
        self.rows.append(row)
        self.endInsertRows()

    def rowCount(self, parent: Index = QModelIndex()) -> int:  # noqa: B008
        """Return the number of runs."""
        return 0 if parent.isValid() else len(self.rows)

    def columnCount(self, parent: Index = QModelIndex()) -> int:  # noqa: B008
        """Return the name and family columns plus one per measure."""
        return 0 if parent.isValid() else len(LEADING) + len(MEASURES)

    def headerData(self, section: int, orientation: Qt.Orientation,
                   role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        """Return a column's header (its unit included) or a row's number."""
        if orientation == Qt.Orientation.Horizontal:
            if section < len(LEADING):
                return LEADING[section] if role == Qt.ItemDataRole.DisplayRole else None
            measure = MEASURES[section - len(LEADING)]
            if role == Qt.ItemDataRole.DisplayRole:
                return measure.header
            if role == Qt.ItemDataRole.ToolTipRole:
                better = {True: "lower is better", False: "higher is better",
                          None: ""}[measure.lower_is_better]
                full = ("digit classifier score (Inception-Score style, 1–10): "
                        "exp E[KL(p(y|x) ‖ p(y))], bundled digit classifier"
                        if measure.key == "classifier_score" else measure.long_header)
                return f"{full}{'; ' + better if better else ''}"
            return None
        if role == Qt.ItemDataRole.DisplayRole:
            return section + 1  # the bar charts number the runs so
        if role == Qt.ItemDataRole.DecorationRole:
            return _swatch(run_colour(section))  # the colour of its bars
        return None

    def data(self, index: Index, role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        """Return a cell's text, tooltip, alignment and (empty cells) muted colour."""
        if not index.isValid():
            return None
        row = self.rows[index.row()]
        column = index.column()
        if column < len(LEADING):
            if role == Qt.ItemDataRole.DisplayRole:
                return row["name"] if column == 0 else row["family"]
            if role == Qt.ItemDataRole.ToolTipRole and column == 0:
                return f"{row['name']}\n{row.get('checkpoint', '')}"  # the name elided
            return None
        measure = MEASURES[column - len(LEADING)]
        empty = measure.value(row) is None
        if role == Qt.ItemDataRole.DisplayRole:
            return measure.text(row)
        if role == Qt.ItemDataRole.ToolTipRole:
            return tooltip(measure, row) or None
        if role == Qt.ItemDataRole.TextAlignmentRole:
            return int(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)
        if role == Qt.ItemDataRole.ForegroundRole and empty:
            return QBrush(QColor(theme.text_colour("muted")))
        if role == Qt.ItemDataRole.FontRole and empty:
            font = QFont()
            font.setItalic(True)
            return font
        return None


def fit_run_column(table: QTableView, least: int = 60) -> None:
    """Size every column to its contents, then give the run's name what the others leave
    of the table's width (its full name elided in the middle, whole in its tooltip), so the
    table fits the dock without scrolling sideways while it can (GUI thread)."""
    table.resizeColumnsToContents()
    header = table.horizontalHeader()
    others = sum(header.sectionSize(c) for c in range(1, header.count())
                 if not header.isSectionHidden(c))
    spare = table.viewport().width() - others
    header.resizeSection(0, max(least, min(header.sectionSize(0), spare)))


def _swatch(colour: str, size: int = 10) -> QPixmap:
    """Return a small square of `colour` (a row header's mark of its run's bars)."""
    pixmap = QPixmap(size, size)
    pixmap.fill(QColor(colour))
    return pixmap
