"""Monotone rational-quadratic splines (Durkan et al. 2019, "Neural Spline Flows") on
[-bound, bound], the identity outside: the 1-D map of the toy flow's spline couplings.
Both directions are closed-form; each returns the log |derivative| of the map it applies."""

from __future__ import annotations

import torch
from torch.nn import functional as F

MIN_SIZE = 1e-3  # smallest bin width/height and knot derivative (keeps the map invertible)


def _knots(raw: torch.Tensor, bins: int, bound: float
           ) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
    """Return knot x (n, K+1), knot y (n, K+1) and knot derivatives (n, K+1) from raw
    parameters (n, 3K-1); the end derivatives are 1, so the tails join the identity."""
    w, h, d = raw[:, :bins], raw[:, bins:2 * bins], raw[:, 2 * bins:]

    def edges(u: torch.Tensor) -> torch.Tensor:
        size = MIN_SIZE + (1 - MIN_SIZE * bins) * torch.softmax(u, dim=1)
        return F.pad(torch.cumsum(size, 1), (1, 0)) * 2 * bound - bound

    one = torch.ones(len(raw), 1)
    deriv = torch.cat([one, MIN_SIZE + F.softplus(d + 0.5413), one], 1)  # softplus(0.54)≈1
    return edges(w), edges(h), deriv


def _pick(t: torch.Tensor, k: torch.Tensor) -> torch.Tensor:
    return t.gather(1, k)[:, 0]


def spline(x: torch.Tensor, raw: torch.Tensor, bins: int, bound: float, inverse: bool
           ) -> tuple[torch.Tensor, torch.Tensor]:
    """Return the spline's image of x (n,) and log |d image / d x| (n,): the map from knot
    x to knot y, or with `inverse` from knot y back to knot x."""
    kx, ky, deriv = _knots(raw, bins, bound)
    inside = (x > -bound) & (x < bound)
    xc = x.clamp(-bound + 1e-6, bound - 1e-6)[:, None]
    k = (torch.searchsorted((ky if inverse else kx)[:, 1:-1].contiguous(), xc.contiguous()))
    x0, x1 = _pick(kx, k), _pick(kx, k + 1)
    y0, y1 = _pick(ky, k), _pick(ky, k + 1)
    d0, d1 = _pick(deriv, k), _pick(deriv, k + 1)
    w, h = x1 - x0, y1 - y0
    s = h / w
    bend = d1 + d0 - 2 * s
    if inverse:
        dy = xc[:, 0] - y0
        a = h * (s - d0) + dy * bend
        b = h * d0 - dy * bend
        c = -s * dy
        xi = (2 * c) / (-b - torch.sqrt((b * b - 4 * a * c).clamp_min(0)))
        out = x0 + xi * w
    else:
        xi = (xc[:, 0] - x0) / w
        out = y0 + h * (s * xi ** 2 + d0 * xi * (1 - xi)) / (s + bend * xi * (1 - xi))
    one_minus = 1 - xi
    denom = s + bend * xi * one_minus
    logd = (2 * torch.log(s) + torch.log(d1 * xi ** 2 + 2 * s * xi * one_minus
                                          + d0 * one_minus ** 2) - 2 * torch.log(denom))
    if inverse:
        logd = -logd
    return torch.where(inside, out, x), torch.where(inside, logd, torch.zeros_like(logd))
