"""Two groups of points drawn with the box or lasso: their outlines, mean decoded images and
the attribute vector mean(A) − mean(B) published on the session (GUI thread)."""

from __future__ import annotations

import numpy as np

from app.panels.latent_map.sidebar import NO_VECTOR_TEXT
from app.session.latent_types import AttributeVector

GROUP_NAMES = ("A", "B")
GROUP_CHANNELS = {name: f"group{name}" for name in GROUP_NAMES}  # decodes of their means


def empty_groups() -> dict[str, np.ndarray]:
    """Return both groups with no points."""
    return {name: np.zeros(0, np.int64) for name in GROUP_NAMES}


class GroupsMixin:
    """Groups of LatentMapPanel (uses its scatter, outlines, groups view, `latent`, session)."""

    def _on_shape(self, polygon: np.ndarray) -> None:
        self.select_group(self.groups_view.target, polygon)

    def select_group(self, name: str, polygon: np.ndarray) -> np.ndarray:
        """Fill group `name` with the visible points inside `polygon`; return their indices.

        Decodes the group's mean latent, and when both groups have points publishes
        their attribute vector (mean A − mean B) on the session.
        """
        if self.data is None:
            return np.zeros(0, np.int64)
        idx = self.scatter.inside(polygon)
        self.groups[name] = idx
        closed = np.vstack([polygon, polygon[:1]])
        self.group_outlines[name].setData(closed[:, 0], closed[:, 1])
        self.groups_view.set_group(name, len(idx))
        if self.data.model is None:  # a precomputed map: no model to decode with yet
            self.groups_view.vector.setText("Group means are decoded once PyTorch has loaded.")
            return idx
        if len(idx):
            mean = self.data.means[idx].mean(0, keepdims=True)
            labels = np.bincount(np.maximum(self.data.labels[idx], 0)).argmax()
            self.latent.decode(GROUP_CHANNELS[name], mean, np.array([labels]))
        self._update_attribute_vector()
        return idx

    def clear_groups(self) -> None:
        """Empty both groups and withdraw the attribute vector."""
        had = any(len(g) for g in self.groups.values())
        self.groups = empty_groups()
        for name in GROUP_NAMES:
            self.group_outlines[name].setData([], [])
            self.groups_view.set_group(name, 0)
            self.latent.cancel_decode(GROUP_CHANNELS[name])
        if had:
            self._update_attribute_vector()

    def _update_attribute_vector(self) -> None:
        from models.latent.paths import attribute_vector

        a, b = self.groups["A"], self.groups["B"]
        if self.data is None or not len(a) or not len(b):
            self.groups_view.vector.setText(NO_VECTOR_TEXT)
            self.session.set_attribute_vector(None)
            return
        vec = attribute_vector(self.data.means[a], self.data.means[b]).astype(np.float32)
        self.groups_view.vector.setText(f"Attribute vector A − B: length "
                                        f"{np.linalg.norm(vec):.2f} (sent to interpolation)")
        self.session.set_attribute_vector(AttributeVector(vec, a.copy(), b.copy(),
                                                          self.data.generation))
