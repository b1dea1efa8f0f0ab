"""The toy flow layer by layer: the spaces after k couplings seen from both ends, and the
base points its samples come from."""

import numpy as np
import pytest

from models.toy.data import toy_dataset
from models.toy.flow import ToyFlow, ToyFlowConfig

pytestmark = pytest.mark.usefixtures("one_thread")

RING = toy_dataset("8gaussians", 500)


def trained_flow(coupling: str = "spline") -> ToyFlow:
    flow = ToyFlow(ToyFlowConfig(couplings=3, hidden=16, batch=64, coupling=coupling), RING)
    list(flow.run(20))
    return flow


@pytest.mark.parametrize("coupling", ["spline", "affine"])
def test_undoing_couplings_retraces_the_forward_pass_space_by_space(coupling: str) -> None:
    flow = trained_flow(coupling)
    x = RING.points[:50]
    back = flow.layers_inverse(x)
    assert len(back) == 3 + 1
    np.testing.assert_array_equal(back[-1], x)
    np.testing.assert_allclose(back[0], flow.to_latent(x), atol=1e-6)
    ahead = flow.layers_forward(back[0])
    for k in range(4):  # the same point after k couplings, reached from z or from x
        np.testing.assert_allclose(ahead[k], back[k], atol=1e-4)


def test_forward_upto_and_inverse_downto_stop_after_k_couplings() -> None:
    flow = trained_flow()
    z = np.random.default_rng(0).standard_normal((20, 2)).astype(np.float32)
    full = flow.layers_forward(z)
    part = flow.layers_forward(z, upto=2)
    assert len(part) == 3
    np.testing.assert_array_equal(part[-1], full[2])
    x = full[-1]
    down = flow.layers_inverse(x, downto=2)
    assert len(down) == 2
    np.testing.assert_allclose(down[0], full[2], atol=1e-4)


def test_samples_are_the_base_points_carried_to_data_space() -> None:
    flow = trained_flow()
    z = flow.base_samples(30, seed=4)
    assert z.shape == (30, 2)
    np.testing.assert_array_equal(flow.sample(30, seed=4), flow.layers_forward(z)[-1])
