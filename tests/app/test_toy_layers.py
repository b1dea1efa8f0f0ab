"""The Toy lab's network-size controls: Layers (hidden layers of every family's MLPs) and
the flow's Couplings are settings, so changing one starts a new run from the seed, built
with that many layers."""

from __future__ import annotations

from typing import Any

import numpy as np
import pytest
from torch import nn

from app.panels.toy_lab.views import flow as flow_view

pytestmark = pytest.mark.usefixtures("one_thread")

# each family's MLPs, by attribute path on the model
NETWORKS = {"gan": ("G", "D"), "vae": ("enc", "dec"), "diffusion": ("net",),
            "score": ("net.net",), "ebm": ("energy",),
            "flow": ("flow.layers.0.net", "flow.layers.3.net")}


def hidden_layers(module: nn.Module) -> int:
    """Return an MLP's hidden layers: its Linear layers less the output one."""
    return sum(isinstance(m, nn.Linear) for m in module.modules()) - 1


def network(model: Any, path: str) -> nn.Module:
    out = model
    for part in path.split("."):
        out = out[int(part)] if part.isdigit() else getattr(out, part)
    return out


def build(family: str, settings: dict[str, object]):
    from models.toy.data import toy_dataset
    from models.toy.families import build_toy

    data = toy_dataset("8gaussians", 300, seed=0)
    return build_toy(family, data, seed=3, **{"hidden": 16, "batch": 32, **settings})


@pytest.fixture
def controls(qtbot: Any) -> Any:
    from app.panels.toy_lab.controls import ToyControls

    widget = ToyControls()
    qtbot.addWidget(widget)
    return widget


@pytest.mark.parametrize("family", sorted(NETWORKS))
def test_the_layers_control_sets_every_network_of_the_family(controls: Any,
                                                               family: str) -> None:
    controls.family.setCurrentText(family)
    assert controls.form.isRowVisible(controls.layers)
    assert "layers" not in controls.settings()  # "default": the config's own
    controls.layers.setValue(1)
    settings = controls.settings()
    assert settings["layers"] == 1
    assert ("d_layers" in settings) == (family == "gan")
    model = build(family, settings)
    for path in NETWORKS[family]:
        assert hidden_layers(network(model, path)) == 1, path
    controls.layers.setValue(5)
    deeper = build(family, controls.settings())
    for path in NETWORKS[family]:
        assert hidden_layers(network(deeper, path)) == 5, path


@pytest.mark.parametrize("family", ["gan", "flow"])
def test_a_run_with_chosen_layers_is_reproducible_from_the_seed(family: str) -> None:
    from models.toy.base import last_of

    settings = {"layers": 2, "d_layers": 2} if family == "gan" else {"layers": 1}
    a, b = build(family, settings), build(family, settings)
    last_of(a.run(3))
    last_of(b.run(3))
    np.testing.assert_array_equal(a.sample(64, seed=1), b.sample(64, seed=1))


def test_the_couplings_control_is_the_flows_and_ends_its_layer_slider(controls: Any) -> None:
    from models.toy.flow import ToyFlowConfig

    assert flow_view.DEFAULT_COUPLINGS == ToyFlowConfig().couplings
    controls.family.setCurrentText("gan")
    assert not controls.form.isRowVisible(controls.couplings)
    controls.family.setCurrentText("flow")
    assert controls.form.isRowVisible(controls.couplings)
    assert "couplings" not in controls.settings()
    slider = controls.option("flow_layer")
    assert slider.maximum() == flow_view.DEFAULT_COUPLINGS
    controls.couplings.setValue(6)
    assert controls.settings()["couplings"] == 6 and slider.maximum() == 6
    assert len(build("flow", controls.settings()).flow.layers) == 6
    slider.setValue(6)
    controls.couplings.setValue(2)  # the slider's end follows: still data space
    assert slider.maximum() == 2 and slider.value() == 2
    assert flow_view.layer_of(controls.option_values(), 2) == 2


def test_changing_the_layers_starts_a_new_run_from_the_seed(qtbot: Any,
                                                            toy_panel: Any) -> None:
    panel = toy_panel
    panel.controls.family.setCurrentText("vae")
    panel.controls.layers.setValue(1)
    panel.step()
    qtbot.waitUntil(lambda: panel.latest is not None and panel.latest.step == 1,
                    timeout=60_000)
    first = panel.latest.samples
    panel.controls.layers.setValue(2)  # a new run: nothing shown until it steps
    assert panel.latest is None and panel._control is None
    panel.controls.layers.setValue(1)
    panel.step()
    qtbot.waitUntil(lambda: panel.latest is not None and panel.latest.step == 1,
                    timeout=60_000)
    np.testing.assert_array_equal(panel.latest.samples, first)
