"""Latent diffusion's first stage as a latent space: which models have a map, and how the
C×h×w values are named and described (numpy only, no model needed)."""

from __future__ import annotations

import numpy as np

from models.base import Capabilities
from models.latent.first_stage import (
    can_map,
    dimension_name,
    first_stage_note,
    has_first_stage,
    shape_text,
)


def _caps(encodes: bool, diffusion: bool) -> Capabilities:
    return Capabilities(can_encode=encodes, conditional=False, is_diffusion=diffusion,
                        latent_shape=(4, 8, 8), has_prior=True)


def test_only_pixel_diffusion_has_no_map() -> None:
    assert can_map(_caps(True, True)) and has_first_stage(_caps(True, True))
    assert not can_map(_caps(False, True)) and not has_first_stage(_caps(False, True))
    assert can_map(_caps(True, False)) and not has_first_stage(_caps(True, False))
    assert can_map(_caps(False, False))


def test_values_are_named_by_channel_row_and_column_in_flattening_order() -> None:
    shape = (4, 8, 8)
    grid = np.arange(256).reshape(shape)  # what flatten(1) undoes: index d at [c, r, k]
    for c, r, k in ((0, 0, 0), (2, 3, 5), (3, 7, 7)):
        assert dimension_name(int(grid[c, r, k]), shape) == f"c{c} ({r},{k})"
    assert dimension_name(12, (16,)) == "z12" and dimension_name(3, ()) == "z3"


def test_the_note_says_the_size_and_that_it_is_not_the_noise() -> None:
    assert shape_text((4, 8, 8)) == "4×8×8 = 256 values"
    note = first_stage_note((4, 8, 8))
    assert "autoencoder's latent space (4×8×8 = 256 values)" in note
    assert "not the diffusion noise x_T" in note
