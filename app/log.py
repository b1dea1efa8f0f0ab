"""Logging: a file log next to the settings, and a Qt bridge that shows records in the window."""

from __future__ import annotations

import logging
from pathlib import Path

from PySide6.QtCore import QObject, Signal

LOGGER_NAME = "latentlab"
log = logging.getLogger(LOGGER_NAME)


class QtLogBridge(QObject):
    """Re-emits log records as `record(level_name, text)`; any thread may log.

    Emitting a signal is thread-safe; receivers on the GUI thread get it queued.
    """

    record = Signal(str, str)


class _BridgeHandler(logging.Handler):
    def __init__(self, bridge: QtLogBridge) -> None:
        super().__init__(logging.INFO)
        self.bridge = bridge
        self.setFormatter(logging.Formatter("%(asctime)s %(levelname)s %(message)s",
                                            "%H:%M:%S"))

    def emit(self, record: logging.LogRecord) -> None:
        try:
            self.bridge.record.emit(record.levelname, self.format(record))
        except RuntimeError:  # the bridge was deleted at shutdown
            pass


def setup_logging(file: Path | None) -> QtLogBridge:
    """Send the app's log to `file` (if given) and return the bridge the window listens to."""
    log.setLevel(logging.INFO)
    for h in list(log.handlers):
        log.removeHandler(h)
        h.close()
    if file is not None:
        try:
            file.parent.mkdir(parents=True, exist_ok=True)
            fh = logging.FileHandler(file, encoding="utf-8")
            fh.setFormatter(logging.Formatter("%(asctime)s %(levelname)s %(name)s %(message)s"))
            log.addHandler(fh)
        except OSError:
            pass  # a read-only home must not stop the app
    bridge = QtLogBridge()
    log.addHandler(_BridgeHandler(bridge))
    return bridge
