"""The Export menu of the step viewer: run A as GIF or PNG, and trajectories saved to and
loaded from .npz files (GUI thread; the pictures are made in export.py)."""

from __future__ import annotations

import html
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any

from PySide6.QtCore import Slot
from PySide6.QtWidgets import QFileDialog

from app import theme
from app.panels.diffusion.cache import RunRecord
from app.panels.diffusion.export import export_gif, export_step_png
from models.diffusion.samplers import Departures
from models.diffusion.trajectory_io import Trajectory

if TYPE_CHECKING:
    from app.panels.diffusion.runs import Runs as _Base
else:
    _Base = object  # a mixin of DiffusionPanel


class FileMenu(_Base):
    """Exports and trajectory files of run A."""

    def _connect_files(self) -> None:
        self.act_gif.triggered.connect(self._export_gif_dialog)
        self.act_png.triggered.connect(self._export_png_dialog)
        self.act_save.triggered.connect(self._save_dialog)
        self.act_load.triggered.connect(self._load_dialog)

    def export_gif(self, path: Path | str) -> Path:
        """Write run A's denoising (x_t beside x̂0 per step) as a GIF; return the path."""
        if self.primary is None:
            raise ValueError("run the sampler first")
        return export_gif(self.primary, self.sample(), path)

    def export_png(self, path: Path | str) -> Path:
        """Write the current step of run A (x_t, ε̂, x̂0) as a PNG; return the path."""
        if self.primary is None or not self.primary.available:
            raise ValueError("run the sampler first")
        k = min(self.current_step(), self.primary.frames_available - 1)
        return export_step_png(self.primary, k, self.sample(), path)

    def save_trajectory(self, path: Path | str) -> Path:
        """Write run A as a trajectory .npz; return the path."""
        if self.primary is None:
            raise ValueError("run the sampler first")
        return self.primary.to_trajectory(self._departures()).save(path)

    def _departures(self) -> dict[str, bool]:
        """Return how the shown model's sampling departs from diffusers' pipelines (each
        saved trajectory records it: the same seed elsewhere needs the same choices)."""
        model = self.session.model
        config = model.model_config if model is not None else None
        return {name: bool(getattr(config, name, False)) for name in Departures.names()}

    def load_trajectory(self, path: Path | str) -> int:
        """Show a trajectory .npz as run A (no model needed); return its run id."""
        traj = Trajectory.load(path)
        run_id = self.next_run_id()
        record = RunRecord.from_trajectory(
            run_id, traj, self.info.image_size if self.info else None)
        self.give_linear_views(record)
        self.clear_second()
        self.cache.add(record)
        self.primary_id = run_id
        self.follow_live = False
        self._pin()
        self._reset_slider()
        self.status.setText(f"Trajectory {Path(path).name}: {record.spec.describe()}")
        self._update_buttons()
        self._update_cache_label()
        return run_id

    def _file_action(self, title: str, filt: str, save: bool,
                     action: Callable[[str], Any]) -> None:
        dialog = QFileDialog.getSaveFileName if save else QFileDialog.getOpenFileName
        path, _ = dialog(self, title, "", filt)
        if not path:
            return
        try:
            action(path)
        except (OSError, ValueError) as exc:
            self.status.setText(theme.coloured(html.escape(str(exc)), "error"))

    @Slot()
    def _export_gif_dialog(self) -> None:
        self._file_action("Export denoising GIF", "GIF images (*.gif)", True, self.export_gif)

    @Slot()
    def _export_png_dialog(self) -> None:
        self._file_action("Export step PNG", "PNG images (*.png)", True, self.export_png)

    @Slot()
    def _save_dialog(self) -> None:
        self._file_action("Save trajectory", "Trajectories (*.npz)", True,
                          self.save_trajectory)

    @Slot()
    def _load_dialog(self) -> None:
        self._file_action("Load trajectory", "Trajectories (*.npz)", False,
                          self.load_trajectory)
