"""RealNVP's likelihood: the change-of-variables term against a numerical Jacobian, the
dequantisation and logit terms against a density known in closed form, and 8 bits/dim
for a uniform model."""

import math

import pytest
import torch
from scipy import integrate, stats

from models.flows.config import RealNVPConfig
from models.flows.dequantize import bits_per_dim, logit_forward
from models.flows.realnvp import RealNVP

TINY = RealNVPConfig(image_size=8, channels=1, num_scales=2, couplings=2, hidden_channels=4,
                     res_blocks=1, actnorm=True)


def randomized(config: RealNVPConfig, seed: int = 0, scale: float = 0.3) -> RealNVP:
    """Return a float64 model whose every weight (the zero-initialised last convolutions
    and ActNorm included) is random with σ `scale`, so no coupling is the identity."""
    torch.manual_seed(seed)
    model = RealNVP(config).double().eval()
    with torch.no_grad():
        for p in model.parameters():
            p.copy_(torch.randn_like(p) * scale)
    return model.requires_grad_(False)


def test_a_uniform_density_on_the_pixel_cube_measures_exactly_8_bits() -> None:
    dims = 784
    assert torch.allclose(bits_per_dim(torch.zeros(3, dtype=torch.float64), dims),
                          torch.full((3,), 8.0, dtype=torch.float64), atol=1e-12)


@pytest.mark.parametrize("channels,size", [(1, 8), (3, 8)])
def test_flow_log_det_matches_the_numerical_jacobian(channels: int, size: int) -> None:
    model = randomized(TINY.replace(channels=channels, image_size=size))
    h = torch.randn(1, channels, size, size, dtype=torch.float64)

    def flat(v: torch.Tensor) -> torch.Tensor:
        return model.flow_forward(v.reshape(h.shape))[0].reshape(-1)

    jac = torch.autograd.functional.jacobian(flat, h.reshape(-1))
    _, expected = torch.linalg.slogdet(jac)
    _, log_det = model.flow_forward(h)
    assert abs(float(log_det[0]) - float(expected)) < 1e-8
    assert abs(float(log_det[0])) > 1.0  # the weights do change volumes


def test_log_density_matches_the_change_of_variables_from_pixels_to_z() -> None:
    model = randomized(TINY)
    u = torch.rand(1, 1, 8, 8, dtype=torch.float64)

    def z_of(v: torch.Tensor) -> torch.Tensor:
        h, _ = logit_forward(v.reshape(u.shape), TINY.logit_alpha)
        return model.flow_forward(h)[0].reshape(-1)

    jac = torch.autograd.functional.jacobian(z_of, u.reshape(-1))
    _, log_det = torch.linalg.slogdet(jac)
    z = z_of(u.reshape(-1))
    expected = stats.norm.logpdf(z.numpy()).sum() + float(log_det)
    assert abs(float(model.log_density(u)[0]) - expected) < 1e-8


def identity_bits(k: int, alpha: float) -> tuple[float, float]:
    """Return (the dequantisation bound E_v[−log₂ p(k + v)], the exact −log₂ P(k)) in bits
    for one pixel whose u = (k + v)/256 has the density of logit⁻¹ of N(0, 1) rescaled by
    α — computed with scipy, independently of the model."""
    def h(u: float) -> float:
        y = alpha + (1 - 2 * alpha) * u
        return math.log(y / (1 - y))

    def log_p_u(u: float) -> float:
        y = alpha + (1 - 2 * alpha) * u
        return stats.norm.logpdf(h(u)) + math.log(1 - 2 * alpha) - math.log(y * (1 - y))

    lo, hi = k / 256, (k + 1) / 256
    mean_log_p, _ = integrate.quad(log_p_u, lo, hi, epsabs=1e-12)
    bound = (-(mean_log_p * 256) + math.log(256)) / math.log(2)  # the mean over the bin
    exact = -math.log2(stats.norm.cdf(h(hi)) - stats.norm.cdf(h(lo)))
    return bound, exact


@pytest.mark.parametrize("k", [0, 40, 128, 255])
def test_an_identity_flow_measures_the_known_bits_per_dim(k: int) -> None:
    # A fresh model is the identity (couplings start at zero, ActNorm uninitialised), so
    # z is h rearranged and p(u) is N(0, 1) carried through the logit transform.
    torch.manual_seed(0)
    model = RealNVP(TINY).double().eval()
    x = torch.full((400, 1, 8, 8), k / 255, dtype=torch.float64)
    with torch.no_grad():
        z, _ = model.encode(x[:1])
        h, _ = logit_forward((torch.full((1, 64), k + 0.5, dtype=torch.float64)) / 256,
                             TINY.logit_alpha)
        assert torch.allclose(z, h)  # the identity, at the bin centre
        measured = model.nll_bits_per_dim(x).mean().item()  # 25,600 uniform draws
    bound, exact = identity_bits(k, TINY.logit_alpha)
    assert abs(measured - bound) < 0.01
    assert bound >= exact - 1e-9  # dequantisation gives an upper bound on the NLL
    assert bound - exact < 0.05


def test_nll_bits_per_dim_is_per_image_and_repeatable() -> None:
    model = randomized(TINY).float()
    x = torch.rand(5, 1, 8, 8)
    with torch.no_grad():
        a, b = model.nll_bits_per_dim(x), model.nll_bits_per_dim(x)
    assert a.shape == (5,) and torch.equal(a, b)
    assert RealNVP.likelihood_kind == "exact"
    # Quantised inside: any x in the same 8-bit bins scores the same.
    nudged = (torch.round(x * 255) + 0.3) / 255
    with torch.no_grad():
        assert torch.allclose(model.nll_bits_per_dim(nudged), a)
