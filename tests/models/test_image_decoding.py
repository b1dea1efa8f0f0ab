"""Image files decode to the pixels a user sees; odd files are named or skipped, not fatal."""

import struct
import warnings
import zlib
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from models.autoencoders.config import CVAEConfig, VAEConfig
from models.config import DataConfig
from models.data import DataError, load_dataset
from models.data.folder import load_folder
from models.diffusion.config import CDDPMConfig
from models.gans.config import CGANConfig
from models.latent.image_file import image_for_model
from models.training import Trainer
from models.training.batches import fit_model_config
from tests.models.helpers import quick_train


def _chunk(kind: bytes, data: bytes) -> bytes:
    return (struct.pack(">I", len(data)) + kind + data
            + struct.pack(">I", zlib.crc32(kind + data) & 0xFFFFFFFF))


def write_png_bomb(path: Path, side: int) -> Path:
    """Write a valid all-black 1-bit side×side PNG: a few KB that decode to side² pixels."""
    row = bytes(1 + (side + 7) // 8)  # filter byte + packed bits
    comp = zlib.compressobj(9)
    data = b"".join(comp.compress(row) for _ in range(side)) + comp.flush()
    header = struct.pack(">IIBBBBB", side, side, 1, 0, 0, 0, 0)
    path.write_bytes(b"\x89PNG\r\n\x1a\n" + _chunk(b"IHDR", header) + _chunk(b"IDAT", data)
                     + _chunk(b"IEND", b""))
    return path


def _grey_pngs(folder: Path, n: int = 3) -> None:
    folder.mkdir(parents=True, exist_ok=True)
    for i in range(n):
        Image.new("L", (8, 8), 40 * i).save(folder / f"grey{i}.png")


def _load_quietly(folder: Path, channels: int, size: int = 8):
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        ds = load_folder(str(folder), channels, size)
    return ds, [str(w.message) for w in caught]


def test_a_decompression_bomb_in_a_folder_is_skipped_and_counted(tmp_path: Path) -> None:
    _grey_pngs(tmp_path)
    bomb = write_png_bomb(tmp_path / "bomb.png", 20000)
    assert bomb.stat().st_size < 200_000
    ds, messages = _load_quietly(tmp_path, 1)
    assert len(ds) == 3 and ds.images[:, 0, 0, 0].tolist() == [0, 40, 80]
    skipped = [m for m in messages if "skipped" in m]
    assert len(skipped) == 1 and ds.notes[0] == skipped[0]
    assert "skipped 1 of 4 image files (1 too large" in skipped[0] and "bomb.png" in skipped[0]
    (tmp_path / "only").mkdir()
    bomb.rename(tmp_path / "only" / "bomb.png")
    with pytest.raises(DataError, match=r"no readable .*; skipped 1 of 1 image files \(1 too"):
        load_folder(str(tmp_path / "only"))


def test_a_16_bit_png_is_scaled_not_clipped(tmp_path: Path) -> None:
    values = np.zeros((8, 8), np.uint16)
    values[:, 2:5], values[:, 5:] = 32768, 65535
    Image.fromarray(values).save(tmp_path / "deep.png")  # mode I;16
    assert Image.open(tmp_path / "deep.png").mode == "I;16"
    Image.fromarray(values.astype(np.int32)).save(tmp_path / "wide.tif")  # mode I
    ds, _ = _load_quietly(tmp_path, 1)
    for image in ds.images:
        assert image[0, 0, [0, 3, 6]].tolist() == [0, 128, 255]
    rgb, _ = _load_quietly(tmp_path, 3)
    assert rgb.images[0, :, 0, 3].tolist() == [128, 128, 128]
    single = image_for_model(tmp_path / "deep.png", 1, 8)
    assert single[0, 0, [0, 3, 6]].tolist() == [0, 128, 255]


def test_a_palette_png_with_a_transparent_index_is_grey_over_white(tmp_path: Path) -> None:
    pal = Image.new("P", (8, 8), 1)
    pal.putpalette([0, 0, 0, 255, 0, 0, 0, 128, 255])
    for x in range(8):
        pal.putpixel((x, 7), 0)  # the bottom row is transparent
        pal.putpixel((x, 0), 2)
    pal.save(tmp_path / "pal.png", transparency=0)
    grey, _ = _load_quietly(tmp_path, 1)
    # Red is luma 76, the blue 104: dark content, so the transparent row becomes white.
    assert grey.images[0, 0, [0, 3, 7], 0].tolist() == [104, 76, 255]
    rgb, _ = _load_quietly(tmp_path, 3)
    assert rgb.images[0, :, 3, 0].tolist() == [255, 0, 0]
    assert rgb.images[0, :, 7, 0].tolist() == [255, 255, 255]
    assert any("over white" in n for n in rgb.notes)


def test_white_drawing_on_a_transparent_background_lands_on_black(tmp_path: Path) -> None:
    sprite = np.zeros((8, 8, 4), np.uint8)  # transparent pixels stored as (0, 0, 0, 0)
    sprite[2:6, 2:6] = (255, 255, 255, 255)
    sprite[0, 0] = (255, 255, 255, 128)
    Image.fromarray(sprite).save(tmp_path / "sprite.png")
    rgb, _ = _load_quietly(tmp_path, 3)
    assert rgb.images[0, :, 3, 3].tolist() == [255, 255, 255]
    assert rgb.images[0, :, 7, 7].tolist() == [0, 0, 0]
    assert rgb.images[0, :, 0, 0].tolist() == [128, 128, 128]


def test_black_ink_on_transparent_stays_visible_in_a_dropped_file(tmp_path: Path) -> None:
    ink = np.zeros((20, 20, 4), np.uint8)  # transparent black everywhere...
    ink[4:16, 9:11] = (0, 0, 0, 255)  # ...and an opaque black stroke
    Image.fromarray(ink).save(tmp_path / "ink.png")
    grey, _ = _load_quietly(tmp_path, 1, 20)
    assert grey.images[0, 0, 0, 0] == 255 and grey.images[0, 0, 10, 10] == 0
    # Composited over white, then inverted to MNIST's white-on-black.
    out = image_for_model(tmp_path / "ink.png", 1, 20, dark_background=True)
    assert out[0, 0, 0] < 10 and out[0, 10, 10] > 245


def test_a_text_file_named_png_is_a_data_error_naming_it(tmp_path: Path) -> None:
    fake = tmp_path / "holiday.png"
    fake.write_text("not a picture at all")
    with pytest.raises(DataError, match=r"holiday\.png: not a readable image") as err:
        image_for_model(fake, 1, 28)
    assert "\n" not in str(err.value)
    assert isinstance(err.value, OSError)  # the GUI's anchor drop catches OSError


def test_a_dropped_file_over_the_pixel_limit_is_refused_unread(tmp_path: Path) -> None:
    bomb = write_png_bomb(tmp_path / "big.png", 9000)  # 81 MP: under Pillow's own limit
    with pytest.raises(DataError, match=r"big.png: 9000×9000 pixels is over the 64-megapixel"):
        image_for_model(bomb, 1, 28)


def _unlabelled_folder(root: Path) -> Path:
    _grey_pngs(root / "pics", 4)
    return root / "pics"


@pytest.mark.parametrize("config", [CVAEConfig(), CGANConfig(), CDDPMConfig()],
                         ids=["cvae", "cgan", "cddpm"])
def test_conditional_models_refuse_an_unlabelled_folder(tmp_path: Path, config) -> None:
    ds = load_dataset(DataConfig(dataset=f"folder:{_unlabelled_folder(tmp_path)}",
                                 channels=1, image_size=8))
    with pytest.raises(DataError) as err:
        fit_model_config(config, ds)
    family = {"CVAEConfig": "cvae", "CGANConfig": "cgan", "CDDPMConfig": "cddpm"}
    expected = (f"{family[type(config).__name__]} needs labelled images: "
                f"'{tmp_path / 'pics'}' has no classes (put images in one subfolder per class")
    assert str(err.value).startswith(expected) and "\n" not in str(err.value)
    fit_model_config(VAEConfig(), ds)  # unconditional models train on it as before


def test_the_trainer_refuses_cvae_on_loose_files_beside_class_folders(tmp_path: Path) -> None:
    root = tmp_path / "data"
    _grey_pngs(root / "a", 2)
    _grey_pngs(root / "b", 2)
    Image.new("L", (8, 8)).save(root / "loose.png")
    data = DataConfig(dataset=f"folder:{root}", channels=1, image_size=8)
    with pytest.raises(DataError, match=r"cvae needs labelled images: .* has 1 image"):
        Trainer("cvae", CVAEConfig(hidden_dims=(8,)), quick_train(), data, tmp_path / "run")
