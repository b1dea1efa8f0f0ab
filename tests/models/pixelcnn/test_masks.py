"""The autoregressive order, checked by gradient: the logits at (row, col, channel) depend
on every earlier value within the receptive field and on nothing at or after it."""

from __future__ import annotations

import pytest
import torch

from models.pixelcnn.layers import channel_mask
from tests.models.pixelcnn.helpers import sharpened, tiny

pytestmark = pytest.mark.usefixtures("one_thread")


def _dependencies(model, channels: int, size: int) -> dict[tuple, torch.Tensor]:
    """Return, per output position (row, col, channel), the bool [C, H, W] map of inputs
    its logits have a non-zero gradient for."""
    x = (torch.rand(1, channels, size, size) * 2 - 1).requires_grad_(True)
    out = model(x)
    deps = {}
    for r in range(size):
        for c in range(size):
            for ch in range(channels):
                (grad,) = torch.autograd.grad(out[0, :, ch, r, c].pow(2).sum(), x,
                                              retain_graph=True)
                deps[(r, c, ch)] = grad[0].abs() > 0
    return deps


def _earlier(r: int, c: int, ch: int, rr: int, cc: int, cch: int) -> bool:
    return (rr, cc, cch) < (r, c, ch) if (rr, cc) == (r, c) else (rr, cc) < (r, c)


@pytest.mark.parametrize("channels", [1, 3])
def test_outputs_never_depend_on_the_current_or_later_values(channels: int) -> None:
    size = 8
    model = sharpened(tiny(channels, size, filters=12, output_filters=24))
    for (r, c, ch), dep in _dependencies(model, channels, size).items():
        for cch, rr, cc in dep.nonzero().tolist():
            assert _earlier(r, c, ch, rr, cc, cch), \
                f"({r},{c},ch {ch}) depends on ({rr},{cc},ch {cch})"


@pytest.mark.parametrize("channels", [1, 3])
def test_no_blind_spot_every_earlier_value_in_reach_is_seen(channels: int) -> None:
    # A 5×5 first layer and two 3×3 gated layers: the row stack reaches 2 + 1 + 1
    # columns left, the column stack (seen one row up) 4 rows further up and 4 columns
    # either side.
    size = 8
    # Wide enough that no channel's few ReLU units are all off at the pixel checked.
    model = tiny(channels, size, first_kernel=5, filters=12, output_filters=24)
    deps = _dependencies(model, channels, size)
    r, c = 5, 4
    for ch in range(channels):
        dep = deps[(r, c, ch)]
        # The original PixelCNN's blind spot: up and to the right.
        for rr, cc in [(r - 1, c + 1), (r - 1, c + 3), (r - 2, c + 3), (r - 4, c + 3),
                       (r, c - 1), (r, c - 4), (r - 4, c - 3), (r - 1, c)]:
            for cch in range(channels):
                assert dep[cch, rr, cc], f"({r},{c},ch {ch}) blind to ({rr},{cc},ch {cch})"
        for cch in range(ch):  # earlier channels of the same pixel
            assert dep[cch, r, c]


def test_channel_masks_type_a_and_b() -> None:
    a = channel_mask(6, 3, 3, strict=True)
    b = channel_mask(6, 3, 3, strict=False)
    # Output maps 0 and 3 are red: type A sees nothing of the pixel, type B its red.
    assert a[0].tolist() == [0, 0, 0] and b[0].tolist() == [1, 0, 0]
    assert a[4].tolist() == [1, 0, 0] and b[4].tolist() == [1, 1, 0]
    assert a[5].tolist() == [1, 1, 0] and b[5].tolist() == [1, 1, 1]
    assert not channel_mask(4, 1, 1, strict=True).any()  # greyscale type A: centre off
