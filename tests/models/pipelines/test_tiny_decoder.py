"""A tiny decoder (AutoencoderTiny) as an x̂0 preview beside the VAE and the linear map."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest

from models.pipelines.errors import PipelineError
from models.pipelines.opening import open_pipeline
from models.pipelines.stepper import TextRequest, run_pipeline
from models.pipelines.tiny_decoder import load_tiny_decoder
from tests.models.pipelines.tiny import tiny_autoencoder_tiny

pytestmark = pytest.mark.usefixtures("one_thread")


def test_each_step_is_also_decoded_by_the_tiny_decoder(sd_folder: Path, tmp_path: Path
                                                       ) -> None:
    import torch

    reference = tiny_autoencoder_tiny(tmp_path / "taesd")
    tiny = load_tiny_decoder(tmp_path / "taesd", latent_channels=4)
    events = list(run_pipeline(open_pipeline(sd_folder), TextRequest("a cat", steps=2,
                                                                     sampler="ddim"),
                               tiny_decoder=tiny))
    step = events[1].step
    assert step.pixels.tiny.shape == (1, 3, 16, 16) and step.pixels.tiny_ms > 0
    assert step.pixels.preview_ms >= step.pixels.tiny_ms
    with torch.no_grad():
        want = (reference.decode(torch.from_numpy(step.x0)).sample / 2 + 0.5).clamp(0, 1)
    np.testing.assert_allclose(step.pixels.tiny, want.numpy(), atol=1e-5)
    assert events[-1].pixels.tiny is not None


def test_a_folder_that_is_not_a_tiny_decoder_is_refused(sd_folder: Path, tmp_path: Path
                                                        ) -> None:
    with pytest.raises(PipelineError, match="not an AutoencoderTiny"):
        load_tiny_decoder(sd_folder / "vae")
    tiny_autoencoder_tiny(tmp_path / "taesd")
    with pytest.raises(PipelineError, match="4-channel latents"):
        load_tiny_decoder(tmp_path / "taesd", latent_channels=16)
    config = tmp_path / "taesd" / "config.json"
    config.write_text(json.dumps({**json.loads(config.read_text()),
                                  "auto_map": {"AutoModel": "x.Y"}}))
    with pytest.raises(PipelineError, match="code"):
        load_tiny_decoder(tmp_path / "taesd")


def test_tiny_decoders_in_the_cache_are_listed(tmp_path: Path) -> None:
    from models.pipelines.cache import find_cached_pipelines, find_cached_tiny_decoders
    from tests.models.pipelines.test_cache_scan import _add_snapshot

    tiny_autoencoder_tiny(tmp_path / "taesd")
    _add_snapshot(tmp_path / "hub", "org/taesd", tmp_path / "taesd", "a" * 40)
    (found,) = find_cached_tiny_decoders(tmp_path / "hub")
    assert found.repo_id == "org/taesd" and found.problem is None
    assert found.class_name == "AutoencoderTiny"
    assert find_cached_pipelines(tmp_path / "hub") == []
    load_tiny_decoder(found.path)
