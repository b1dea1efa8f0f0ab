"""Exporting the latent map: the plot as PNG, the latents as CSV (one row per point) or NPZ
(all arrays)."""

from __future__ import annotations

import csv
from pathlib import Path

import numpy as np
from PySide6.QtWidgets import QFileDialog

from app.theme import coloured
from app.widgets.snapshot import save_widget_image
from models.checkpoint.atomic import atomic_path


def write_csv(path: Path | str, positions: np.ndarray, latents: np.ndarray,
              labels: np.ndarray) -> Path:
    """Write index, label, map x/y and every latent value per point; return the path."""
    path = Path(path)
    with atomic_path(path) as tmp, tmp.open("w", newline="", encoding="utf-8") as f:
        out = csv.writer(f)
        out.writerow(["index", "label", "x", "y",
                      *(f"z{i}" for i in range(latents.shape[1]))])
        for i in range(len(latents)):
            out.writerow([i, int(labels[i]), f"{positions[i, 0]:.6g}", f"{positions[i, 1]:.6g}",
                          *(f"{v:.6g}" for v in latents[i])])
    return path


def write_npz(path: Path | str, positions: np.ndarray, latents: np.ndarray,
              labels: np.ndarray, method: str, **extra: np.ndarray) -> Path:
    """Write latents, labels, positions and the projection name (compressed); return path."""
    path = Path(path)
    path = path if path.suffix == ".npz" else path.with_suffix(path.suffix + ".npz")
    with atomic_path(path) as tmp:
        np.savez_compressed(tmp, latents=latents, labels=labels, positions=positions,
                            projection=np.array(method), **extra)
    return path


class ExportMixin:
    """The Export menu of LatentMapPanel: the plot as PNG, the latents as CSV or NPZ."""

    def _fill_export_menu(self) -> None:
        menu = self.export_button.menu()
        menu.addAction("Plot as PNG…", self._export_png_dialog)
        menu.addAction("Latents as CSV…", lambda: self._export_dialog("csv"))
        menu.addAction("Latents as NPZ…", lambda: self._export_dialog("npz"))

    def export_png(self, path: Path | str) -> bool:
        """Save the plot as shown to a PNG file; return True on success."""
        return save_widget_image(self.plot, path)

    def export_latents(self, path: Path | str, fmt: str) -> Path:
        """Write the latents, labels and map positions as "csv" or "npz"; return the path."""
        if self.data is None or self.projection is None:
            raise RuntimeError("there is no latent map to export yet")
        pos, z, y = self.projection.positions, self.data.means, self.data.labels
        if fmt == "csv":
            return write_csv(path, pos, z, y)
        return write_npz(path, pos, z, y, self.projection.method)

    def _export_png_dialog(self) -> None:
        path, _ = QFileDialog.getSaveFileName(self, "Export the latent map", "latent-map.png",
                                              "PNG image (*.png)")
        if path:
            self.export_png(path if path.lower().endswith(".png") else path + ".png")

    def _export_dialog(self, fmt: str) -> None:
        if self.data is None:
            self.status.setText("There is no latent map to export yet.")
            return
        path, _ = QFileDialog.getSaveFileName(self, "Export latents", f"latents.{fmt}",
                                              f"{fmt.upper()} file (*.{fmt})")
        if path:
            try:
                written = self.export_latents(path, fmt)
                self.status.setText(f"Latents saved to {written}")
            except OSError as exc:
                self.status.setText(coloured(f"Could not write {path}: {exc}", "error"))
