"""A titled, aspect-locked view of one uint8 image (sample grids, reconstruction pairs)."""

from __future__ import annotations

import numpy as np
import pyqtgraph as pg

from app import theme
from app.theme import text_colour


def caption_size() -> str:
    """Return the caption font size in the current theme (larger when presenting)."""
    return f"{11 * theme.current().font_scale:.0f}pt"


class ImagePane(pg.GraphicsLayoutWidget):
    """Shows a uint8 H×W×C array with a caption above it (GUI thread)."""

    def __init__(self, title: str, empty_text: str, parent: object = None) -> None:
        super().__init__(parent)
        self._title = title
        self._empty_text = empty_text
        self.caption = self.addLabel(title, row=0, col=0, size=caption_size())
        self.view = self.addViewBox(row=1, col=0, lockAspect=True, invertY=True,
                                    enableMouse=False)
        self.view.setMenuEnabled(False)
        self.image = pg.ImageItem(axisOrder="row-major")
        self.view.addItem(self.image)
        self.array: np.ndarray | None = None
        self.set_caption("")

    def set_caption(self, text: str) -> None:
        """Set the caption (the title is kept in front; empty text explains the blank)."""
        if not text and self.array is None:
            self.caption.setText(f"{self._title} <span style='color:{text_colour('muted')}'>— "
                                 f"{self._empty_text}</span>", size=caption_size())
            return
        self.caption.setText(f"{self._title} — {text}" if text else self._title,
                             size=caption_size())

    def set_array(self, array: np.ndarray | None) -> None:
        """Show `array` (uint8 H×W×C or H×W); None shows the placeholder."""
        if array is self.array and array is not None:
            return  # the same grid again (e.g. the live epoch re-selected): no re-upload
        shape = None if self.array is None else self.array.shape
        self.array = array
        if array is None:
            self.image.clear()
            return
        img = array[:, :, 0] if array.ndim == 3 and array.shape[2] == 1 else array
        # Explicit levels keep ImageItem on its fast uint8 path (docs/architecture.md,
        # performance traps).
        self.image.setImage(np.ascontiguousarray(img), levels=(0, 255), autoLevels=False)
        if array.shape != shape:
            # Stay fitted when the pane is resized, not only now.
            self.view.enableAutoRange(enable=True)
