"""One latent run at one step (latent diffusion): x_t's channels in false colour, x̂0
through the real decoder and x̂0 through the linear map (GUI thread; paints cached arrays,
computes nothing but colour lookups)."""

from __future__ import annotations

import numpy as np
from PySide6.QtWidgets import QGridLayout, QHBoxLayout, QVBoxLayout, QWidget

from app.panels.diffusion.cache import RunRecord
from app.panels.diffusion.display import LATENT_RANGE, channel_tiles, tile, to_display
from app.panels.diffusion.image_pane import ImagePane, TextLine

MAX_CHANNEL_TILES = 4  # the latents' first channels shown (the brief's 4×8×8 latents: all)
TILE_MIN = 48  # px: a channel tile's smallest side, so that the latent page needs no more
# height than the pixel page (a stacked widget takes its largest page's minimum)
DECODED_TITLE = "x̂0 through the decoder"
LINEAR_TITLE = "x̂0 linear preview"


def channel_title(k: int) -> str:
    """Return the label of channel k's tile (0-based k, shown from 1)."""
    return f"x_t latent, channel {k + 1}"


class LatentPanes(QWidget):
    """x_t's channel tiles (2×2, with the colour range under them), the decoded x̂0 and
    the linear preview of one latent run at one frame."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.tiles = [ImagePane(channel_title(k), title_scale=1.0, min_side=TILE_MIN)
                      for k in range(MAX_CHANNEL_TILES)]
        self.decoded = ImagePane(DECODED_TITLE)
        self.linear = ImagePane(LINEAR_TITLE)
        self.legend = TextLine()
        self.legend.set_text(f"colour: blue −{LATENT_RANGE:g} · white 0 · red "
                             f"+{LATENT_RANGE:g} (fixed)")
        self.legend.setToolTip("Each channel of the latent x_t the UNet sees (scaled to unit "
                               "variance), on a diverging colour map with a fixed symmetric "
                               "range: the same colours mean the same values at every step")
        grid = QGridLayout()
        grid.setSpacing(3)
        grid.setContentsMargins(0, 0, 0, 0)
        for k, pane in enumerate(self.tiles):
            grid.addWidget(pane, k // 2, k % 2)
        channels = QVBoxLayout()
        channels.setSpacing(0)
        channels.setContentsMargins(0, 0, 0, 0)
        channels.addLayout(grid, 1)
        channels.addWidget(self.legend)
        row = QHBoxLayout(self)
        row.setContentsMargins(0, 0, 0, 0)
        row.setSpacing(6)
        row.addLayout(channels, 6)  # four tiles share it: a little more room
        row.addWidget(self.decoded, 5)
        row.addWidget(self.linear, 5)

    def set_placeholder(self, text: str) -> None:
        """Empty every pane; the big ones say `text`."""
        for pane in (*self.tiles, self.decoded, self.linear):
            pane.placeholder = "" if pane in self.tiles else text
            pane.set_image(None)

    def show_frame(self, run: RunRecord, frame: int, sample: int | None,
                   nrow: int | None, r2: float | None) -> None:
        """Paint `run`'s frame (arrived): channel tiles of x_t (the final latents on the
        final frame), the latest decoded x̂0 up to it and the frame's linear preview."""
        latents = run.final if run.is_final(frame) else run.x_t[frame]
        assert latents is not None
        tiles = channel_tiles(latents, sample, nrow)
        for k, pane in enumerate(self.tiles):
            pane.setVisible(k < len(tiles))
            if k < len(tiles):
                pane.set_image(tiles[k])
        self._show_decoded(run, frame, sample, nrow)
        views = run.frame_pixels(frame)
        linear = None if views is None else views.linear
        self.linear.set_title(LINEAR_TITLE + ("" if r2 is None else f" (R² {r2:.2f} held-out)"))
        if linear is None:
            self.linear.placeholder = "No linear map for this run"
            self.linear.set_image(None)
        else:
            self.linear.set_image(self._image(linear, run, sample, nrow))

    def _show_decoded(self, run: RunRecord, frame: int, sample: int | None,
                      nrow: int | None) -> None:
        found = run.decoded_at(frame)
        if found is None:
            self.decoded.set_title(DECODED_TITLE)
            if run.spec.preview is None:  # loaded from a file: latents only
                self.decoded.placeholder = ("Recorded as latents only: the decoder has not "
                                            "run on them — press Run to sample anew")
            else:
                self.decoded.placeholder = ("Not decoded at this step: the preview is the "
                                            "linear map only (the final sample is decoded)")
            self.decoded.set_image(None)
            return
        step, views = found
        same = step == frame
        # Short: the pane may be narrow, and the caption says which step is shown.
        self.decoded.set_title(DECODED_TITLE if same else f"x̂0 decoded, from step {step + 1}")
        assert views.decoded is not None
        self.decoded.set_image(self._image(views.decoded, run, sample, nrow))

    @staticmethod
    def _image(images: np.ndarray, run: RunRecord, sample: int | None,
               nrow: int | None) -> np.ndarray:
        """Return [0, 1] B×C×H×W images as the pane's uint8 tile."""
        return tile(to_display(images * 2.0 - 1.0, "x0", run.image_size), sample, nrow)
