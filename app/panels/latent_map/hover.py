"""Hovering the latent map: ring the nearest point and show its image beside its
reconstruction in a captioned thumbnail that follows the mouse (GUI thread)."""

from __future__ import annotations

import numpy as np
from PySide6.QtCore import QPoint
from PySide6.QtGui import QPixmap

from app.widgets.captioned import captioned_images

THUMBNAIL_SCALE = 3
THUMBNAIL_OFFSET = 16  # px between the mouse and the thumbnail


class HoverMixin:
    """Hover look-ups of LatentMapPanel (uses its plot, scatter, thumbnail and `latent`)."""

    _hover: int | None = None
    # What the thumbnail shows: its title and each image's caption (for tests, too).
    hover_caption: tuple[str, tuple[str, ...]] = ("", ())

    def _pixel_size(self) -> tuple[float, float]:
        """Return the view-units size of one screen pixel along x and y."""
        px = self.view_box.viewPixelSize()
        return (float(px[0]) or 1.0, float(px[1]) or 1.0)

    def _on_mouse_moved(self, args: tuple) -> None:
        scene_pos = args[0]
        if self.projection is None or not self.view_box.sceneBoundingRect().contains(scene_pos):
            self._set_hover(None)
            return
        p = self.view_box.mapSceneToView(scene_pos)
        self.hover_at(p.x(), p.y(), self.plot.mapFromScene(scene_pos))

    def hover_at(self, x: float, y: float, widget_pos: QPoint | None = None) -> int | None:
        """Ring and preview the visible point nearest (x, y) within a few pixels; return it."""
        index = self.scatter.nearest(x, y, self._pixel_size())
        self._set_hover(index, widget_pos)
        return index

    def _set_hover(self, index: int | None, widget_pos: QPoint | None = None) -> None:
        if index == self._hover:
            if index is not None and widget_pos is not None:
                self._place_thumbnail(widget_pos)
            return
        self._hover = index
        self.scatter.set_highlight(index)
        if index is None or self.data is None:
            self.thumbnail.hide()
            return
        first = "generated" if self.data.generated else "input"
        self._show_thumbnail([self.data.images[index]], (first,))
        if widget_pos is not None:
            self._place_thumbnail(widget_pos)
        self.thumbnail.show()
        # Generated points are already decoded images; a precomputed map without its
        # model shows the image alone until the model attaches.
        if not self.data.generated and self.data.model is not None:
            self.latent.decode("hover", self.data.means[index:index + 1],
                               self.data.labels[index:index + 1])

    def _show_hover_decoded(self, image: np.ndarray) -> None:
        """Show the hovered point's image beside its reconstruction."""
        if self._hover is not None and self.data is not None:
            self._show_thumbnail([self.data.images[self._hover], image],
                                 ("input", "reconstruction"))

    def hover_title(self, index: int) -> str:
        """Return which point the thumbnail shows: "input #123 · class 7" (or "sample #…"
        for a generated map, whose points are decoded prior samples)."""
        data = self.data
        kind = "sample" if data.generated else "input"
        label = int(data.labels[index])
        if label < 0:
            return f"{kind} #{index:,}"
        name = data.class_names[label] if label < len(data.class_names) else str(label)
        return f"{kind} #{index:,} · class {name}"

    def _show_thumbnail(self, images: list[np.ndarray], captions: tuple[str, ...]) -> None:
        title = self.hover_title(self._hover)
        self.hover_caption = (title, captions)
        self.thumbnail.setPixmap(captioned_images(images, list(captions), title,
                                                  THUMBNAIL_SCALE))
        self.thumbnail.adjustSize()

    def _place_thumbnail(self, pos: QPoint) -> None:
        x, y = pos.x() + THUMBNAIL_OFFSET, pos.y() + THUMBNAIL_OFFSET
        if x + self.thumbnail.width() > self.plot.width():
            x = pos.x() - THUMBNAIL_OFFSET - self.thumbnail.width()
        if y + self.thumbnail.height() > self.plot.height():
            y = pos.y() - THUMBNAIL_OFFSET - self.thumbnail.height()
        self.thumbnail.move(max(0, x), max(0, y))

    def _clear_hover(self) -> None:
        """Forget the hovered point and its thumbnail."""
        self._set_hover(None)
        self.hover_caption = ("", ())
        self.thumbnail.setPixmap(QPixmap())
        self.latent.cancel_decode("hover")
