"""The Toy lab's plots laid out as squares: the main plot and, when the family has one, its
second plot beside it, each under a caption wrapped to the plot's width (GUI thread).

Both plots show a square of the plane with its aspect locked, so a plot taller or wider
than square only shows empty margins: here each plot is given a square (plus its axes)
and the height left over goes to the captions, which wrap instead of being cut."""

from __future__ import annotations

import pyqtgraph as pg
from PySide6.QtCore import QEvent, QObject, QRect, QSize, Qt
from PySide6.QtGui import QResizeEvent
from PySide6.QtWidgets import QLabel, QWidget

SIDE_SHARE = 0.85  # the side plot's size beside the main one's when the width decides
GAP = 10  # px between the two plots
MIN_PLOT = 120  # px: the smallest square a plot is given


class PlotCaption(QLabel):
    """A plot's caption, wrapped onto as many lines as the plot's width needs. Its height
    is the one of the longest text `reserve` named, so text that changes every frame
    (a reverse process's "t = 37 · …") does not move the plot under it."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setWordWrap(True)
        self.setTextFormat(Qt.TextFormat.PlainText)
        self.setAlignment(Qt.AlignmentFlag.AlignLeft | Qt.AlignmentFlag.AlignBottom)
        self._reserve = ""

    def full_text(self) -> str:
        """Return the text shown (all of it: a caption wraps, it is never cut)."""
        return self.text()

    def set_full_text(self, text: str) -> None:
        """Show `text` (its height is reserved by `reserve`, or by the text itself)."""
        if text != self.text():
            self.setText(text)

    def reserve(self, text: str) -> bool:
        """Keep room for `text` from now on; return True when the height needed changed
        (the plots must then be laid out again)."""
        if text == self._reserve:
            return False
        before = self.heightForWidth(self.width())
        self._reserve = text
        return self.heightForWidth(self.width()) != before

    def heightForWidth(self, width: int) -> int:  # Qt override
        """Return the height that shows the longer of the text and the reserved text."""
        room = max(1, width - 2 * self.margin() - self.contentsMargins().left()
                   - self.contentsMargins().right())
        metrics = self.fontMetrics()
        flags = int(Qt.TextFlag.TextWordWrap)
        tall = max(metrics.boundingRect(QRect(0, 0, room, 100_000), flags, text).height()
                   for text in (self.text() or " ", self._reserve or " "))
        return tall + 2 * self.margin() + self.contentsMargins().top() \
            + self.contentsMargins().bottom()


class PlotPair(QWidget):
    """The main plot and the optional side plot as squares side by side, centred, each
    with its caption above, and the footer lines (the metrics) right under them; the
    height left over stays below, not between the plots and their numbers (GUI thread)."""

    def __init__(self, main: tuple[PlotCaption, pg.PlotWidget],
                 side: tuple[PlotCaption, pg.PlotWidget], footer: tuple[QWidget, ...] = (),
                 parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.main, self.side, self.footer = main, side, footer
        for widget in (*main, *side, *footer):
            widget.setParent(self)
        for widget in footer:
            widget.installEventFilter(self)
        # an axis widens with its tick labels (and the theme's font) after a layout: the
        # squares are laid out again whenever one does
        self._extra: list[int] = []
        for _caption, canvas in (main, side):
            for name in ("left", "bottom"):
                canvas.getPlotItem().getAxis(name).geometryChanged.connect(self._axes_moved)
        self._side_shown = True
        self.set_side_visible(False)

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:  # Qt override
        """Lay out again when a footer line is shown or hidden; never consumes the event."""
        if watched in self.footer and event.type() in (QEvent.Type.Show, QEvent.Type.Hide):
            self.relayout()
        return super().eventFilter(watched, event)

    def side_visible(self) -> bool:
        """Return True when the side plot is shown."""
        return self._side_shown

    def set_side_visible(self, shown: bool) -> None:
        """Show or hide the side plot (the main plot grows to take its room)."""
        if shown == self._side_shown:
            return
        self._side_shown = shown
        for widget in self.side:
            widget.setVisible(shown)
        self.relayout()

    def sizeHint(self) -> QSize:  # Qt override
        """Return room for two plots a bit under 400 px, captions included."""
        return QSize(760, 420)

    def minimumSizeHint(self) -> QSize:  # Qt override
        """Return room for the smallest plots, a line of caption and the footer."""
        line = self.fontMetrics().lineSpacing()
        footer = sum(w.sizeHint().height() for w in self.footer)
        return QSize(2 * MIN_PLOT + GAP + 80, MIN_PLOT + 2 * line + 40 + footer)

    def resizeEvent(self, event: QResizeEvent) -> None:  # Qt override
        """Lay the plots out for the new size."""
        super().resizeEvent(event)
        self.relayout()

    def changeEvent(self, event: QEvent) -> None:  # Qt override
        """Lay out again when the font changes (presentation mode): captions re-wrap."""
        super().changeEvent(event)
        if event.type() == QEvent.Type.FontChange:
            self.relayout()

    def _axes_moved(self) -> None:
        """Lay out again when an axis's size changed what a square needs."""
        columns = [self.main] + ([self.side] if self._side_shown else [])
        if [axes_width(canvas) for _caption, canvas in columns] != self._extra:
            self.relayout()

    def relayout(self) -> None:
        """Place the captions and plots for the current size, captions and side plot."""
        columns = [self.main] + ([self.side] if self._side_shown else [])
        extra = self._extra = [axes_width(canvas) for _caption, canvas in columns]
        lines = [w for w in self.footer if not w.isHidden()]
        footer_h = sum(w.sizeHint().height() for w in lines)
        sizes = square_sizes(self.width() - sum(extra), self.height() - footer_h,
                             [caption for caption, _canvas in columns], extra)
        caption_h = max(caption.heightForWidth(s + x)
                        for (caption, _c), s, x in zip(columns, sizes, extra, strict=True))
        total = sum(sizes) + sum(extra) + GAP * (len(columns) - 1)
        x = max(0, (self.width() - total) // 2)
        for (caption, canvas), s, more in zip(columns, sizes, extra, strict=True):
            caption.setGeometry(x, 0, s + more, caption_h)
            canvas.setGeometry(x, caption_h, s + more, s)
            x += s + more + GAP
        y = caption_h + max(sizes)
        for line in lines:
            line.setGeometry(0, y, self.width(), line.sizeHint().height())
            y += line.sizeHint().height()


def axes_width(canvas: pg.PlotWidget) -> int:
    """Return how much wider than tall a plot must be for its view to be square: its left
    axis's width less its bottom axis's height."""
    item = canvas.getPlotItem()
    return max(0, int(item.getAxis("left").width() - item.getAxis("bottom").height()))


def square_sizes(width: int, height: int, captions: list[PlotCaption],
                 extra: list[int]) -> list[int]:
    """Return the square's side of each plot (one or two) so that they fit `width` side
    by side (less the gap; `extra` is each plot's axes beyond its square) and `height`
    under the tallest caption: the main one larger by 1/SIDE_SHARE while the width
    decides, both as tall as the height allows once it does."""
    gaps = GAP * (len(captions) - 1)
    room = max(width - gaps, MIN_PLOT * len(captions))
    if len(captions) == 1:
        wanted = [room]
    else:
        main = room / (1 + SIDE_SHARE)
        wanted = [main, room - main]
    sizes = [int(s) for s in wanted]
    for _ in range(3):  # a narrower plot may need a taller caption: settle in a few turns
        caption_h = max(c.heightForWidth(s + x)
                        for c, s, x in zip(captions, sizes, extra, strict=True))
        top = max(MIN_PLOT, height - caption_h)
        if all(s <= top for s in sizes):
            break
        if len(sizes) == 2 and sizes[0] > top:  # the height decides: the side gets the rest
            sizes = [top, min(top, room - top)]
        else:
            sizes = [min(s, top) for s in sizes]
    return [max(MIN_PLOT, s) for s in sizes]
