"""The panel's requests to the shared latent space (`session.latent`): its only caller here.

The latent space holds the encoded dataset (MapData) of the VAE or GAN shown and decodes
on named latest-wins channels. The latent map uses it too, so this panel's channels carry
an "interp" prefix, and only results of the panel's newest request per channel, and maps
of the model it asked for, reach the panel.
"""

from __future__ import annotations

from typing import Any

import numpy as np
from PySide6.QtCore import QObject, Signal, Slot

from app.session.latent_types import MapData
from models.opened import OpenedModel

LIVE, STRIP, GRID = "interp", "interp-strip", "interp-grid"  # the live frame, strip, traversal
ANCHOR = "interp-anchor"  # + the anchor's name: its thumbnail


class LatentRequests(QObject):
    """Opens the model's map, decodes and encodes for the panel (GUI thread).

    Emits mapReady(MapData) for maps of the model asked for (or a later encoding of it),
    decoded(channel, request id, uint8 N×H×W×C) for the panel's newest request of a
    channel, encoded(request id, N×D means) for the panel's encodes, failed(message).
    """

    mapReady = Signal(object)
    decoded = Signal(str, int, object)
    encoded = Signal(int, object)
    failed = Signal(str)

    def __init__(self, latent: Any, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self._latent = latent
        self._generation: int | None = None  # of the map asked for; None: none wanted
        self._latest: dict[str, int] = {}  # channel -> newest request id
        self._encodes: set[int] = set()
        latent.mapReady.connect(self._on_map)
        latent.decodedRequest.connect(self._on_decoded)
        latent.encoded.connect(self._on_encoded)
        latent.failed.connect(self.failed)

    def open(self, model: OpenedModel) -> MapData | None:
        """Ask for `model`'s map; return it if the latent space shows it already (else it
        arrives by mapReady). Asking again for the model mapped or being mapped costs nothing."""
        self._generation = self._latent.open(model)
        data = self._latent.data
        return data if data is not None and data.generation == self._generation else None

    def forget(self) -> None:
        """Ignore maps until the next open, and every result of requests made so far."""
        self._generation = None
        self._latest.clear()
        self._encodes.clear()

    def decode(self, channel: str, latents: np.ndarray,
               weights: np.ndarray | None = None) -> int:
        """Decode N×D `latents` on `channel` (latest wins), mixing N×K class `weights` for a
        conditional model; return the request id."""
        if weights is None:
            rid = self._latent.decode(channel, latents)
        else:
            rid = self._latent.decode_mixed(channel, latents, weights)
        self._latest[channel] = rid
        return int(rid)

    def encode(self, images: np.ndarray, labels: np.ndarray) -> int:
        """Encode uint8 N×C×H×W `images` (labels for conditional models); return the id."""
        rid = int(self._latent.encode(images, labels))
        self._encodes.add(rid)
        return rid

    @Slot(object)
    def _on_map(self, data: MapData) -> None:
        if data.model is None:
            return  # a precomputed map shown before its model opened: nothing to decode with
        if self._generation is not None and data.generation >= self._generation:
            self._generation = data.generation
            self.mapReady.emit(data)

    @Slot(int, str, object)
    def _on_decoded(self, request_id: int, channel: str, images: np.ndarray) -> None:
        if self._latest.get(channel) == request_id:
            self.decoded.emit(channel, request_id, images)

    @Slot(int, object)
    def _on_encoded(self, request_id: int, means: np.ndarray) -> None:
        if request_id in self._encodes:
            self._encodes.discard(request_id)
            self.encoded.emit(request_id, means)
