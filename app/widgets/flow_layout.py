"""A layout that places its items left to right and wraps onto further rows when the width
runs out (Qt's classic FlowLayout example, GUI thread)."""

from __future__ import annotations

from PySide6.QtCore import QMargins, QPoint, QRect, QSize, Qt
from PySide6.QtWidgets import QLayout, QLayoutItem, QWidget


class FlowLayout(QLayout):
    """Rows of widgets that wrap: its minimum width is that of its widest item, so a long
    row of settings never holds a dock (and the window) wider than the screen."""

    def __init__(self, parent: QWidget | None = None, spacing: int = 6,
                 stretch_last: bool = False) -> None:
        """`stretch_last`: the last item takes the rest of its row (e.g. a line of text)."""
        super().__init__(parent)
        self._stretch_last = stretch_last
        self._items: list[QLayoutItem] = []
        self._spacing = spacing
        self.setContentsMargins(0, 0, 0, 0)

    def addItem(self, item: QLayoutItem) -> None:
        self._items.append(item)

    def count(self) -> int:
        return len(self._items)

    def itemAt(self, index: int) -> QLayoutItem | None:
        return self._items[index] if 0 <= index < len(self._items) else None

    def takeAt(self, index: int) -> QLayoutItem | None:
        return self._items.pop(index) if 0 <= index < len(self._items) else None

    def expandingDirections(self) -> Qt.Orientation:
        return Qt.Orientation(0)

    def hasHeightForWidth(self) -> bool:
        return True

    def heightForWidth(self, width: int) -> int:
        """Return the height the rows need at `width`."""
        return self._do_layout(QRect(0, 0, width, 0), apply=False)

    def setGeometry(self, rect: QRect) -> None:
        super().setGeometry(rect)
        self._do_layout(rect, apply=True)

    def sizeHint(self) -> QSize:
        """Return the size of everything on one row."""
        width = height = 0
        for item in self._visible():
            hint = _hint(item)
            width += hint.width() + (self._spacing if width else 0)
            height = max(height, hint.height())
        m = self.contentsMargins()
        return QSize(width + m.left() + m.right(), height + m.top() + m.bottom())

    def minimumSize(self) -> QSize:
        """Return the size of the widest single item (the rows wrap below it)."""
        size = QSize()
        for item in self._visible():
            size = size.expandedTo(item.minimumSize())
        m: QMargins = self.contentsMargins()
        return size + QSize(m.left() + m.right(), m.top() + m.bottom())

    def _visible(self) -> list[QLayoutItem]:
        return [i for i in self._items if not (i.widget() and i.widget().isHidden())]

    def _do_layout(self, rect: QRect, apply: bool) -> int:
        m = self.contentsMargins()
        area = rect.adjusted(m.left(), m.top(), -m.right(), -m.bottom())
        x, y, line_height = area.x(), area.y(), 0
        items = self._visible()
        for item in items:
            hint = _hint(item)
            next_x = x + hint.width() + self._spacing
            if next_x - self._spacing > area.right() + 1 and line_height > 0:
                x, y = area.x(), y + line_height + self._spacing
                next_x = x + hint.width() + self._spacing
                line_height = 0
            if apply:
                if self._stretch_last and item is items[-1]:
                    hint = QSize(max(hint.width(), area.right() + 1 - x), hint.height())
                item.setGeometry(QRect(QPoint(x, y), hint))
            x, line_height = next_x, max(line_height, hint.height())
        return y + line_height - rect.y() + m.bottom()


def _hint(item: QLayoutItem) -> QSize:
    """Return the size an item is laid out at: its hint, at least its minimum."""
    return item.sizeHint().expandedTo(item.minimumSize())
