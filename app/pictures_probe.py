"""bench/time_to_pictures.py's hook: print when an opened checkpoint's pictures are painted.

With LATENTLAB_EXIT_AFTER_PICTURES=1, `latentlab --checkpoint PATH` prints
`first_paint_s=` (seconds since the process started), then `pictures_s=` at the first
paint of the diffusion dock after its recorded trajectory was shown, or of the latent
map dock after its map was projected, whichever comes first; then `torch_ready_s=` and
`torch_warm_up_s=` once the warm-up job has finished (torch imported and warmed up in
this process), and closes the window. GUI thread only.
"""

from __future__ import annotations

import sys
from collections.abc import Callable

from PySide6.QtCore import QEvent, QObject, Slot
from PySide6.QtWidgets import QApplication, QDockWidget, QWidget

ENV = "LATENTLAB_EXIT_AFTER_PICTURES"


class PicturesProbe(QObject):
    """Watches paints application-wide until the pictures are on screen (GUI thread)."""

    def __init__(self, window: object, session: object, clock: Callable[[], float],
                 out: Callable[[str], None] = lambda line: print(line, flush=True)) -> None:
        super().__init__()
        self._window, self._session, self._clock, self._out = window, session, clock, out
        self._armed: QDockWidget | None = None
        self._painted = False
        self._torch: dict | None = None
        window.diffusion_dock.widget().recordedShown.connect(  # type: ignore[attr-defined]
            lambda _id: self._arm(window.diffusion_dock))  # type: ignore[attr-defined]
        session.latent.projected.connect(  # type: ignore[attr-defined]
            lambda _r: self._arm(window.latent_dock))  # type: ignore[attr-defined]
        session.torchReady.connect(self._on_torch)  # type: ignore[attr-defined]
        window.firstPainted.connect(  # type: ignore[attr-defined]
            lambda: self._out(f"first_paint_s={self._clock():.3f}"))
        QApplication.instance().installEventFilter(self)

    def _arm(self, dock: QDockWidget) -> None:
        if not self._painted and self._armed is None:
            self._armed = dock
            dock.raise_()
            dock.widget().update()

    def eventFilter(self, obj: QObject, event: QEvent) -> bool:
        """Report the first paint inside the armed dock; never consumes an event."""
        dock = self._armed
        if dock is not None and not self._painted and event.type() == QEvent.Type.Paint \
                and isinstance(obj, QWidget) and (obj is dock or dock.isAncestorOf(obj)):
            self._painted = True
            self._out(f"pictures_s={self._clock():.3f}")
            self._out(f"pictures_dock={dock.objectName()}")
            self._out(f"torch_imported={'torch' in sys.modules}")
            self._finish()
        return False

    @Slot(object)
    def _on_torch(self, info: dict) -> None:
        self._torch = info
        self._out(f"torch_ready_s={self._clock():.3f}")
        self._out(f"torch_warm_up_s={float(info.get('seconds', 0.0)):.3f}")
        self._finish()

    def _finish(self) -> None:
        if self._painted and self._torch is not None:
            QApplication.instance().removeEventFilter(self)
            self._window.close()  # type: ignore[attr-defined]
