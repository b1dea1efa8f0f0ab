"""The Export menu: the strip as PNG, the animation as GIF or MP4 (writers in export.py),
and the panel's state as JSON (state_file.py), saved and opened again (restore.py)."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import numpy as np
from PySide6.QtCore import Slot
from PySide6.QtWidgets import QFileDialog

from app.panels.interpolation import export
from app.panels.interpolation.controls import DIFFUSION, LATENT
from app.panels.interpolation.restore import capture_state, restore_state
from app.panels.interpolation.state_file import InterpolationState, load_state, save_state
from app.theme import coloured
from models.latent.first_stage import has_first_stage
from models.opened import OpenedModel

EXPORT_SCALE = 4


class ExportActions:
    """The InterpolationPanel's exports and state files (a part of it: GUI thread).

    Panel state used: `_pending_state`, a (checkpoint, state) to show once that
    checkpoint's model is shown (it outlives clear(): the state asked for that model).
    """

    # --- state ---------------------------------------------------------------------------
    def current_state(self) -> InterpolationState:
        """Return what is shown: model, anchors with their latents, path settings."""
        return capture_state(self)

    def save_state(self, path: str | Path) -> Path:
        """Write the state as JSON; return its path."""
        return save_state(self.current_state(), path)

    def open_state(self, path: str | Path) -> None:
        """Restore a saved state, opening its model first (for the whole window) when
        another one is shown. Raises OSError/ValueError for an unreadable file, and
        RuntimeError when no model can be opened now (torch loading, training)."""
        state = load_state(path)
        shown = self.model.path if self.model is not None else None
        if state.checkpoint and not _same_file(shown, Path(state.checkpoint)):
            self.session.open_path(Path(state.checkpoint))
            self._pending_state = (Path(state.checkpoint), state)
            return
        self.apply_state(state)

    def apply_state(self, state: InterpolationState) -> None:
        """Show `state` on the model loaded now (latents are taken as stored). Latent
        diffusion first moves to the state's latent (autoencoder or noise), which shows
        the model again and then the state."""
        model = self.model
        if model is not None and has_first_stage(model.capabilities) \
                and state.is_diffusion != (self.diffusion is not None):
            if model.path is not None:
                self._pending_state = (Path(model.path), state)
            self.choose_space(DIFFUSION if state.is_diffusion else LATENT)
            return
        restore_state(self, state)

    def _take_pending_state(self) -> InterpolationState | None:
        """Return the state waiting for the model shown now, if any (once)."""
        pending = self._pending_state
        if pending is None or self.model is None or \
                not _same_file(self.model.path, pending[0]):
            return None
        self._pending_state = None
        return pending[1]

    def _drop_pending_state_unless(self, model: OpenedModel) -> None:
        """Forget the state waiting for a model when `model`, another one, is shown."""
        if self._pending_state is not None and \
                not _same_file(model.path, self._pending_state[0]):
            self._pending_state = None

    # --- exports -------------------------------------------------------------------------
    def _export_frames(self) -> np.ndarray:
        if self.strip_images is None or not len(self.strip_images):
            raise RuntimeError("there is no strip to export yet")
        return self.strip_images

    def export_png(self, path: str | Path) -> Path:
        """Write the strip as one PNG (frames enlarged 4×); return its path."""
        return export.write_strip_png(self._export_frames(), path, EXPORT_SCALE)

    def export_gif(self, path: str | Path) -> Path:
        """Write the strip's frames as a GIF (bounce and speed as set); return its path."""
        return self._export_animation(export.write_gif, path)

    def export_mp4(self, path: str | Path) -> Path:
        """Write the strip's frames as an MP4 (needs ffmpeg); return its path."""
        return self._export_animation(export.write_mp4, path)

    def _export_animation(self, write: Callable[..., Path], path: str | Path) -> Path:
        frames = self._export_frames()
        fps = (len(frames) - 1) / self.path.speed.value()
        return write(frames, path, max(fps, 1.0), self.path.bounce.isChecked(), EXPORT_SCALE)

    # --- dialogs -------------------------------------------------------------------------
    def _export_dialog(self, title: str, name: str, filt: str,
                       write: Callable[[str], Path]) -> None:
        path, _ = QFileDialog.getSaveFileName(self, title.rstrip("…"), name, filt)
        if not path:
            return
        suffix = Path(name).suffix
        if not path.lower().endswith(suffix):
            path += suffix
        try:
            written = write(path)
            self.status.setText(f"Saved {written}")
        except (OSError, RuntimeError, ValueError) as exc:
            self.status.setText(coloured(f"Could not write {path}: {exc}", "error"))

    @Slot()
    def _open_state_dialog(self) -> None:
        path, _ = QFileDialog.getOpenFileName(self, "Open an interpolation", "",
                                              "Interpolation state (*.json)")
        if path:
            try:
                self.open_state(path)
            except (OSError, RuntimeError, ValueError) as exc:
                self.status.setText(coloured(f"Cannot open {path}: {exc}", "error"))


def _same_file(a: Path | None, b: Path) -> bool:
    """Return True when `a` names the same file or folder as `b`."""
    return a is not None and Path(a).resolve() == Path(b).resolve()
