"""A PixelCNN opened in the window: the latent map and the interpolation panel say it has
no latent, rather than trying to map or decode one."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from models.checkpoint import save_checkpoint
from models.config import DataConfig
from models.opened import open_model
from models.pixelcnn.config import PixelCNNConfig
from models.pixelcnn.model import PixelCNN


@pytest.fixture
def checkpoint(tmp_path: Path) -> Path:
    model = PixelCNN(PixelCNNConfig(filters=3, gated_layers=1, output_filters=3))
    return save_checkpoint(tmp_path / "pcnn", model, data=DataConfig(dataset="mnist5k"))


def test_the_latent_map_says_a_pixelcnn_has_no_latent(latent_map_panel: Any,
                                                      checkpoint: Path) -> None:
    latent_map_panel.session.models.adopt(open_model(checkpoint), same_run=False)
    assert latent_map_panel.data is None
    assert "Autoregressive models have no latent map" in \
        latent_map_panel.empty_text.toPlainText()


def test_the_interpolation_panel_says_a_pixelcnn_has_nothing_to_interpolate(
        interpolation_panel: Any, checkpoint: Path) -> None:
    panel = interpolation_panel
    panel.session.models.adopt(open_model(checkpoint), same_run=False)
    assert "pixelcnn has no latent to interpolate" in panel.status.text()
    assert panel.kind is None and not panel.path.isEnabled()
    assert panel.session.latent.busy is None  # no map asked for
