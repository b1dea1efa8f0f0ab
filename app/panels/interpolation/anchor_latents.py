"""Anchors A, B, C as latents: a dataset image, the latent map's pick, a seed, an image file.

The AnchorBox widgets (anchors.py) only describe an anchor; `resolve.py` turns a
description into a latent with the map data; this part of the panel keeps the latents and
labels, asks the latent space for thumbnails and for encoding dropped files (VAEs and
GANs). For diffusion models an anchor is a seed, read when the noise path starts.
"""

from __future__ import annotations

import html
from pathlib import Path

import numpy as np
from PySide6.QtCore import Slot

from app.panels.interpolation.anchors import DATASET, FILE, MAP
from app.panels.interpolation.controls import ARITH, PATH
from app.panels.interpolation.latent_requests import ANCHOR
from app.panels.interpolation.resolve import anchor_from_source
from app.session.latent_types import LatentAnchor
from app.theme import coloured


def default_anchor_indices(labels: np.ndarray) -> dict[str, int]:
    """Return the dataset index each anchor starts from: the first 1 for A, 7 for B and 0
    for C among labelled digits, else the first three images."""
    out: dict[str, int] = {}
    for name, digit, fallback in (("A", 1, 0), ("B", 7, 1), ("C", 0, 2)):
        hits = np.flatnonzero(labels == digit)
        out[name] = int(hits[0]) if len(hits) else min(fallback, len(labels) - 1)
    return out


class AnchorLatents:
    """The InterpolationPanel's anchors (a part of it: GUI thread).

    Panel state used: `latents` and `labels` per anchor name, `data` (MapData), `_center`,
    `_std`, `_prior` (the latent's spread and whether it has an N(0, I) prior).
    """

    def resolve_anchor(self, name: str) -> None:
        """Turn anchor `name`'s description into a latent, label and thumbnail."""
        box = self.anchors[name]
        if self.data is None:
            return
        r = anchor_from_source(box.source, box.number.value(), self.data,
                               self.session.latent_selection, self._prior, self._center,
                               self._std)
        if r is None:
            return  # a file anchor keeps the latent its encode returned
        self.latents[name], self.labels[name] = r.latent, r.label
        box.show_anchor(r.image, r.text)
        if r.image is None:
            self.decode_anchor(name)

    def decode_anchor(self, name: str) -> None:
        """Ask for anchor `name`'s thumbnail, decoded from its latent."""
        z = self.latents[name]
        if z is not None:
            self._decode(f"{ANCHOR}{name}", z[None], np.zeros(1), self.class_for(name))

    def class_for(self, name: str) -> int:
        """Return the class chosen for anchor `name` (B has its own box; C uses A's)."""
        box = self.classes.class_b if name == "B" else self.classes.class_a
        return max(box.currentIndex(), 0)

    def _default_anchors(self) -> None:
        """Start from a 1 and a 7 (and a 0 for C) when the images are labelled digits."""
        assert self.data is not None
        for name, index in default_anchor_indices(self.data.labels).items():
            self.anchors[name].set_source(DATASET, index)

    def _resolve_anchors(self, first: bool) -> None:
        """Resolve every anchor on a newly arrived map (files are encoded again by it);
        on the model's first map, each class box starts at its anchor's own class."""
        for name, box in self.anchors.items():
            if box.source == FILE and box.file is not None:
                self._on_file_chosen(name, box.file)
            else:
                self.resolve_anchor(name)
        if first and self.data is not None and self.data.conditional:
            for name, classes in (("A", self.classes.class_a), ("B", self.classes.class_b)):
                if 0 <= self.labels[name] < classes.count():
                    classes.blockSignals(True)
                    classes.setCurrentIndex(self.labels[name])
                    classes.blockSignals(False)

    @Slot(str)
    def _on_anchor_changed(self, name: str) -> None:
        if self.diffusion is not None:
            self.start_noise_path()
            return
        if self.anchors[name].source == FILE and self.latents[name] is not None \
                and self.anchors[name].file is not None:
            return  # the file's latent stays until another file is chosen
        self.resolve_anchor(name)
        if self.data is not None and self.data.conditional and name in "AB" \
                and self.labels[name] >= 0:
            box = self.classes.class_a if name == "A" else self.classes.class_b
            box.setCurrentIndex(self.labels[name])  # a digit's own class by default
        self.source = ARITH if self.source == ARITH else PATH
        self.refresh()

    @Slot(object)
    def _on_map_pick(self, pick: LatentAnchor) -> None:
        for name, box in self.anchors.items():
            if box.source == MAP:
                self.resolve_anchor(name)
        if any(box.source == MAP for box in self.anchors.values()):
            self.refresh()

    @Slot(str, str)
    def _on_file_chosen(self, name: str, path: str) -> None:
        """Encode the image file at `path` as anchor `name` (models that encode only)."""
        from models.latent.image_file import dark_background, image_for_model

        data = self.data
        if data is None or data.generated:
            self.status.setText("Only models with an encoder can place an image file.")
            return
        _, h, _, c = data.images.shape
        try:
            image = image_for_model(path, c, h, dark_background(data.images[:500]))
        except OSError as exc:  # the decoder's DataError names the file; OSError may not
            text = str(exc) if Path(path).name in str(exc) else f"cannot read {path}: {exc}"
            self.status.setText(coloured(html.escape(text), "error"))
            return
        rid = self.latent_requests.encode(image[None], np.array([self.class_for(name)]))
        self._file_requests[rid] = (name, image.transpose(1, 2, 0).copy())
        self.anchors[name].show_anchor(image.transpose(1, 2, 0), f"encoding {Path(path).name}…")

    @Slot(int, object)
    def _on_encoded(self, request_id: int, means: np.ndarray) -> None:
        if request_id not in self._file_requests:
            return
        name, image = self._file_requests.pop(request_id)
        self.latents[name] = np.asarray(means[0], np.float32)
        self.labels[name] = -1
        file = self.anchors[name].file or ""
        self.anchors[name].show_anchor(image, f"file {Path(file).name}")
        self.refresh()
