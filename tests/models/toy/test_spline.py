"""The rational-quadratic spline of the toy flow: inverse, log-derivative, identity tails."""

import numpy as np
import pytest
import torch

from models.toy.data import toy_dataset
from models.toy.flow import ToyFlow, ToyFlowConfig
from models.toy.metrics import Grid
from models.toy.spline import spline

BINS, BOUND = 5, 2.0


def _raw(n: int) -> torch.Tensor:
    return torch.randn(n, 3 * BINS - 1, generator=torch.Generator().manual_seed(1),
                       dtype=torch.float64) * 2


def test_spline_inverse_undoes_it_and_log_derivatives_match_autograd() -> None:
    x = torch.linspace(-2.5, 2.5, 101, dtype=torch.float64).requires_grad_(True)
    raw = _raw(101)
    y, logd = spline(x, raw, BINS, BOUND, inverse=False)
    (dy,) = torch.autograd.grad(y.sum(), x)
    np.testing.assert_allclose(logd.detach(), dy.log(), atol=1e-8)
    back, logd_inv = spline(y.detach(), raw, BINS, BOUND, inverse=True)
    np.testing.assert_allclose(back, x.detach(), atol=1e-9)
    np.testing.assert_allclose(logd_inv, -logd.detach(), atol=1e-8)
    outside = x.detach().abs() >= BOUND
    assert outside.any() and torch.equal(y[outside], x[outside])


@pytest.mark.parametrize("settings", [dict(coupling="spline"), dict(coupling="affine"),
                                      dict(coupling="spline", rotate=True)])
def test_each_coupling_kind_has_a_normalised_density_and_inverts(settings) -> None:
    ring = toy_dataset("8gaussians", 500)
    flow = ToyFlow(ToyFlowConfig(couplings=3, hidden=16, batch=64, **settings), ring)
    before = flow.log_prob(ring.points).mean()
    list(flow.run(60))
    assert flow.log_prob(ring.points).mean() > before
    grid = Grid(6.0, 240)
    mass = np.exp(flow.log_prob(grid.centres)).sum() * (12.0 / 240) ** 2
    assert abs(mass - 1) < 0.02
    assert flow.roundtrip_error(ring.points) < 1e-4


def test_an_unknown_coupling_is_refused() -> None:
    with pytest.raises(ValueError, match="affine or spline"):
        ToyFlow(ToyFlowConfig(coupling="cubic"), toy_dataset("8gaussians", 100))
