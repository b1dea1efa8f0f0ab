"""Latent diffusion in the latent map and interpolation panels: the map is of the first
stage's latents and decodes through its decoder; images are interpolated in those latents;
the diffusion stage is interpolated in its starting noise x_T, sampled and decoded.

A tiny LDM is built and trained a few autoencoder steps in the test, saved as a
checkpoint and opened the way the window opens checkpoints.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np
import pytest
import torch

from models.checkpoint import load_checkpoint, save_checkpoint
from models.config import DataConfig
from models.images import to_uint8_nhwc
from models.latent_diffusion.config import CLDMConfig, LDMConfig
from models.latent_diffusion.model import LDM, ConditionalLDM
from tests.models.helpers import small_mnist, wake_unet

DIGITS = tuple(str(i) for i in range(10))
# 28 px digits → 32 px frame → 2×8×8 latents (128 values).
TINY: dict[str, Any] = {"preset": "custom", "block_channels": (8, 16), "norm_groups": 4,
                        "vae_channels": (4, 8, 8), "vae_norm_groups": 4,
                        "latent_channels": 2, "sample_steps": 3, "epochs_ae": 1}
STEPS = 3  # DDIM steps per noise-path frame


def _tiny_ldm(cls: type[LDM]) -> LDM:
    """Return a tiny LDM whose autoencoder took a few Adam steps on real digits and whose
    UNet's outputs are not all zero (a fresh UNet's last layer is)."""
    torch.manual_seed(0)
    config_cls = CLDMConfig if cls is ConditionalLDM else LDMConfig
    model = cls(config_cls(**TINY))  # type: ignore[arg-type]
    data = small_mnist(64)
    x = torch.from_numpy(data.images).float().div(255.0)
    y = torch.from_numpy(data.labels)
    model.enter_phase("autoencoder", x, x, crossing=True)
    opt = {"vae": torch.optim.Adam(model.vae.parameters(), lr=1e-3)}
    for start in (0, 32, 0):
        model.training_step(x[start:start + 32], y[start:start + 32], opt)
    return wake_unet(model)  # a fresh UNet's last conv is zero-initialised


@pytest.fixture(scope="module")
def checkpoints(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    root = tmp_path_factory.mktemp("ldm-ck")
    return {family: save_checkpoint(root / family, _tiny_ldm(cls),
                                    data=DataConfig(dataset="mnist5k"), class_names=DIGITS,
                                    progress={"epoch": 2})
            for family, cls in (("ldm", LDM), ("cldm", ConditionalLDM))}


@pytest.fixture
def interp(interpolation_panel: Any) -> Any:
    """The shown InterpolationPanel of tests/app/conftest.py."""
    return interpolation_panel


def _adopt(panel: Any, path: Path) -> Any:
    """Open the checkpoint at `path` as the window does (every panel shows it)."""
    from models.opened import open_model

    model = open_model(path)
    panel.session.models.adopt(model, same_run=False)
    return model


def _net(path: Path) -> Any:
    return load_checkpoint(path).model.eval()


def _images(indices: list[int]) -> torch.Tensor:
    from models.data import load_dataset

    ds = load_dataset(DataConfig(dataset="mnist5k"))
    return torch.from_numpy(ds.images[indices]).float().div(255.0)


# --- the latent map --------------------------------------------------------------------------
def test_the_map_shows_the_first_stage_latents_and_decodes_a_click(
        qtbot, latent_map_panel, checkpoints) -> None:
    panel = latent_map_panel
    _adopt(panel, checkpoints["ldm"])
    qtbot.waitUntil(lambda: panel.projection is not None and panel.latent.busy is None,
                    timeout=60_000)
    data, net = panel.data, _net(checkpoints["ldm"])
    # The points are the autoencoder's posterior means (2×8×8 = 128 values each).
    assert data.means.shape == (5000, 128)
    with torch.no_grad():
        means, _ = net.encode(_images([0, 1, 4999]))
    np.testing.assert_allclose(data.means[[0, 1, 4999]], means.numpy(), rtol=1e-4, atol=1e-5)
    # No N(0, I) prior to shade, unconditional: LDA offered; the note says which latent.
    assert not data.has_prior and not data.conditional and data.kl_per_dim is None
    assert [panel.projection_box.itemText(i) for i in range(2)] == ["PCA", "LDA"]
    assert "autoencoder's latent space (2×8×8 = 128 values)" in panel.status.text()
    assert "not the diffusion noise" in panel.status.text()
    # Clicking empty space decodes there, through the PCA's inverse and the decoder.
    x = float(panel.projection.positions[:, 0].max()) + 0.5
    y = float(panel.projection.positions[:, 1].max()) + 0.5
    panel.view_box.setRange(xRange=(x - 1, x + 1), yRange=(y - 1, y + 1), padding=0)
    qtbot.wait(20)
    with qtbot.waitSignal(panel.latent.decoded, timeout=10_000,
                          check_params_cb=lambda ch, _i: ch == "detail") as blocker:
        anchor = panel.click_at(x, y)
    assert anchor is not None and anchor.latent.shape == (128,)
    decoded = blocker.args[1]
    assert decoded.shape == (1, 28, 28, 1) and decoded.dtype == np.uint8
    with torch.no_grad():
        expected = to_uint8_nhwc(net.decode(torch.from_numpy(anchor.latent[None])))
    np.testing.assert_array_equal(decoded, expected)


def test_a_pixel_ddpm_still_has_no_map(qtbot, latent_map_panel, tmp_path) -> None:
    from models.diffusion.config import DDPMConfig
    from models.registry import build_model

    ddpm = save_checkpoint(tmp_path / "ddpm", build_model("ddpm", DDPMConfig(
        image_size=8, preset="custom", block_channels=(4, 8), norm_groups=4)),
        data=DataConfig(dataset="mnist5k"))
    _adopt(latent_map_panel, ddpm)
    assert latent_map_panel.data is None
    assert "no latent map" in latent_map_panel.empty_text.toPlainText()


# --- interpolation ---------------------------------------------------------------------------
def test_images_are_interpolated_in_the_autoencoder_latents(qtbot, interp, checkpoints) -> None:
    from app.panels.interpolation.controls import LATENT

    panel = interp
    panel.path.frames.setValue(4)
    _adopt(panel, checkpoints["ldm"])
    qtbot.waitUntil(lambda: panel.data is not None and panel.strip_images is not None,
                    timeout=60_000)
    assert panel.space.isVisibleTo(panel) and panel.space.value == LATENT
    assert panel.diffusion is None and panel.tabs.isEnabled()
    assert panel.labels["A"] == 1 and panel.labels["B"] == 7  # a 1 and a 7 by default
    net = _net(checkpoints["ldm"])
    index_a, index_b = (panel.anchors[n].number.value() for n in "AB")
    with torch.no_grad():
        recon = to_uint8_nhwc(net.reconstruct(_images([index_a, index_b])))
    # The strip starts and ends at the two images' reconstructions.
    assert panel.strip_images.shape == (4, 28, 28, 1)
    for frame, expected in ((panel.strip_images[0], recon[0]),
                            (panel.strip_images[-1], recon[1])):
        assert np.abs(frame.astype(int) - expected.astype(int)).max() <= 1
    # The live frame at α is the decoded point of the slerp path.
    from models.latent.paths import slerp

    panel.path.method.setCurrentIndex(panel.path.method.findData("slerp"))
    panel.path.set_alpha(0.25)
    rid = panel.live_request
    qtbot.waitUntil(lambda: panel.frame.painted_tag == rid, timeout=10_000)
    z = slerp(panel.latents["A"], panel.latents["B"], 0.25)
    with torch.no_grad():
        expected = to_uint8_nhwc(net.decode(torch.from_numpy(z[None])))[0]
    np.testing.assert_array_equal(panel.frame.image, expected)
    # 128 sliders' worth of values, named by channel and place, searchable by name.
    assert panel.dims.note.text().startswith("128 dimensions")
    assert "2×8×8 grid" in panel.dims.note.text()
    panel.dims.search.setText("c1 (7")  # channel 1, row 7: values 64 + 7·8 … 64 + 7·8 + 7
    assert sorted(panel.dims.visible_dimensions()) == list(range(120, 128))


def test_noise_x_t_is_slerped_and_each_frame_is_a_sample(qtbot, interp, checkpoints) -> None:
    from app.panels.interpolation.controls import DIFFUSION, LATENT

    panel = interp
    panel.path.frames.setValue(2)
    panel.path.steps.setValue(STEPS)
    _adopt(panel, checkpoints["ldm"])
    qtbot.waitUntil(lambda: panel.data is not None, timeout=60_000)
    panel.choose_space(DIFFUSION)
    assert panel.diffusion is not None and not panel.tabs.isEnabled()
    assert str(panel.path.method.currentData()) == "slerp"
    assert panel.path.steps.value() == STEPS
    qtbot.waitUntil(lambda: len(panel.cache) and not panel.noise_running(), timeout=60_000)
    assert all(f is not None for f in panel.cache)
    assert "noises x_T of seeds 1 and 2" in panel.status.text()
    # α = 0 and α = 1 are the DDIM samples of seeds 1's and 2's noises, decoded.
    net = _net(checkpoints["ldm"])
    for seed, frame in ((1, panel.cache[0]), (2, panel.cache[-1])):
        sample = net.sample(1, seed, noise=net.initial_noise(1, seed), sampler="ddim",
                            steps=STEPS, eta=0.0)
        assert frame.shape == (28, 28, 1)
        assert np.abs(frame.astype(int) - to_uint8_nhwc(sample)[0].astype(int)).max() <= 1
    # In between: the slerp of the two noises, sampled.
    from models.latent.paths import slerp

    mid = len(panel.cache) // 2
    noise = slerp(net.initial_noise(1, 1)[0].numpy(), net.initial_noise(1, 2)[0].numpy(),
                  float(panel.cache_alphas[mid]))
    sample = net.sample(1, 1, noise=torch.from_numpy(noise[None]), sampler="ddim",
                        steps=STEPS, eta=0.0)
    assert np.abs(panel.cache[mid].astype(int)
                  - to_uint8_nhwc(sample)[0].astype(int)).max() <= 1
    # Back to the autoencoder's latents: the images' path again, nothing of the noise's.
    panel.choose_space(LATENT)
    qtbot.waitUntil(lambda: panel.strip_images is not None and panel.data is not None,
                    timeout=60_000)
    assert panel.diffusion is None and panel.cache == [] and panel.labels["A"] == 1


def test_a_saved_noise_path_reopens_in_the_noise(qtbot, interp, checkpoints,
                                                  tmp_path) -> None:
    from app.panels.interpolation.controls import DIFFUSION, LATENT

    panel = interp
    panel.path.frames.setValue(2)
    panel.path.steps.setValue(STEPS)
    _adopt(panel, checkpoints["ldm"])
    qtbot.waitUntil(lambda: panel.data is not None, timeout=60_000)
    panel.choose_space(DIFFUSION)
    panel.anchors["B"].number.setValue(5)
    qtbot.waitUntil(lambda: not panel.noise_running(), timeout=60_000)
    saved = panel.save_state(tmp_path / "noise.json")
    panel.choose_space(LATENT)
    qtbot.waitUntil(lambda: panel.strip_images is not None, timeout=60_000)
    panel.open_state(saved)
    assert panel.space.value == DIFFUSION and panel.diffusion is not None
    assert panel.anchors["B"].number.value() == 5
    qtbot.waitUntil(lambda: not panel.noise_running(), timeout=60_000)
    assert "seeds 1 and 5" in panel.status.text()


def test_a_class_conditional_ldm_interpolates_its_unconditional_first_stage(
        qtbot, interp, checkpoints) -> None:
    panel = interp
    panel.path.frames.setValue(3)
    _adopt(panel, checkpoints["cldm"])
    qtbot.waitUntil(lambda: panel.data is not None and panel.strip_images is not None,
                    timeout=60_000)
    # The autoencoder takes no class: no class boxes, plain decodes.
    assert not panel.data.conditional and not panel.classes.isVisibleTo(panel)
    net = _net(checkpoints["cldm"])
    with torch.no_grad():
        first = to_uint8_nhwc(net.decode(torch.from_numpy(panel.latents["A"][None])))
    # (decoded in a batch of three: a pixel may round the other way)
    assert np.abs(panel.strip_images[0].astype(int) - first[0].astype(int)).max() <= 1
