"""Where the application keeps its settings, and the few values it stores.

Tests and the self-test point LATENTLAB_SETTINGS at a temporary .ini file so that the
user's real settings are never read or written.
"""

from __future__ import annotations

import os
from pathlib import Path

from PySide6.QtCore import QSettings, QStandardPaths

ORGANIZATION = "LatentLab"
APPLICATION = "Latent Lab"
SETTINGS_ENV = "LATENTLAB_SETTINGS"
MAX_RECENT = 8


def app_settings() -> QSettings:
    """Return the settings store: the .ini file LATENTLAB_SETTINGS names, else the user's."""
    path = os.environ.get(SETTINGS_ENV)
    if path:
        return QSettings(path, QSettings.Format.IniFormat)
    return QSettings(QSettings.Format.IniFormat, QSettings.Scope.UserScope,
                     ORGANIZATION, APPLICATION)


def runs_root() -> Path:
    """Return the folder new GUI training runs are written into (created on demand)."""
    stored = app_settings().value("paths/runs_root", "", type=str)
    if stored:
        return Path(stored)
    docs = QStandardPaths.writableLocation(QStandardPaths.StandardLocation.DocumentsLocation)
    return Path(docs or Path.home()) / "LatentLab" / "runs"


def log_path() -> Path:
    """Return the log file, next to the settings file."""
    return Path(app_settings().fileName()).with_name("latentlab.log")


def recent_files() -> list[str]:
    """Return recently opened checkpoints and run folders, newest first."""
    value = app_settings().value("recent/files", [])
    if isinstance(value, str):  # QSettings returns a lone string for a 1-item list
        value = [value]
    return [str(v) for v in value or []]


def add_recent_file(path: Path | str) -> list[str]:
    """Put `path` at the top of the recent list and return the new list."""
    path = str(Path(path).resolve())
    items = [path, *[p for p in recent_files() if p != path]][:MAX_RECENT]
    app_settings().setValue("recent/files", items)
    return items


def clear_recent_files() -> None:
    """Forget the recent list."""
    app_settings().remove("recent/files")
