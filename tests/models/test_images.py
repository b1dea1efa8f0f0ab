"""Display conversions, grids, PNG and GIF files."""

from pathlib import Path

import numpy as np
import torch
from PIL import Image

from models.images import make_grid, save_gif, save_png, to_uint8_nhwc


def test_tensors_become_uint8_hwc_copies() -> None:
    t = torch.rand(3, 1, 5, 7)
    arr = to_uint8_nhwc(t)
    assert arr.shape == (3, 5, 7, 1) and arr.dtype == np.uint8
    assert arr.flags.c_contiguous
    t.zero_()
    assert arr.max() > 0  # not sharing memory with the tensor


def test_grid_tiles_row_by_row() -> None:
    imgs = np.stack([np.full((4, 4, 3), i * 20, np.uint8) for i in range(6)])
    grid = make_grid(imgs, nrow=3, padding=1, pad_value=0)
    assert grid.shape == (2 * 5 + 1, 3 * 5 + 1, 3)
    assert grid[1, 1, 0] == 0 and grid[1, 6, 0] == 20 and grid[6, 1, 0] == 60


def test_png_and_gif_files_round_trip(tmp_path: Path) -> None:
    frames = np.stack([np.full((8, 10, 1), v, np.uint8) for v in (0, 100, 200, 255)])
    save_png(frames[1], tmp_path / "a.png")
    assert np.asarray(Image.open(tmp_path / "a.png")).shape == (8, 10)
    gif = save_gif(frames, tmp_path / "a.gif", fps=10)
    with Image.open(gif) as im:
        assert im.n_frames == 4 and im.size == (10, 8)
    with Image.open(save_gif(frames, tmp_path / "b.gif", bounce=True)) as im:
        assert im.n_frames == 6
    assert [p.name for p in tmp_path.iterdir() if p.suffix == ".tmp"] == []
