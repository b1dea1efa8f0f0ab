"""Datasets: the bundled digits, folders of images, torchvision sets and the split."""

import warnings
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from models.config import DataConfig
from models.data import DataError, load_dataset, split_indices
from tests.models.helpers import mnist5k


def test_mnist5k_is_5000_labelled_28px_digits() -> None:
    ds = mnist5k()
    assert ds.images.shape == (5000, 1, 28, 28) and ds.images.dtype == np.uint8
    assert np.bincount(ds.labels).tolist() == [500] * 10
    assert ds.class_names == tuple("0123456789")
    assert ds.images.max() == 255  # real strokes, not an empty stand-in


def test_digits_are_resized_to_the_size_asked() -> None:
    ds = load_dataset(DataConfig(dataset="digits", image_size=32))
    assert ds.images.shape == (1797, 1, 32, 32)
    assert ds.has_labels


def test_channel_conversion_to_rgb() -> None:
    ds = load_dataset(DataConfig(dataset="digits", channels=3))
    assert ds.images.shape[1:] == (3, 28, 28)
    assert (ds.images[:, 0] == ds.images[:, 2]).all()


def test_split_is_deterministic_disjoint_and_complete() -> None:
    tr1, va1 = split_indices(100, 0.2, seed=3)
    tr2, va2 = split_indices(100, 0.2, seed=3)
    assert (tr1 == tr2).all() and (va1 == va2).all()
    assert len(va1) == 20 and not set(tr1) & set(va1)
    assert sorted([*tr1, *va1]) == list(range(100))
    _, other = split_indices(100, 0.2, seed=4)
    assert set(other) != set(va1)


def _write_mixed_folder(root: Path) -> None:
    for cls, color in (("cats", (200, 30, 30)), ("dogs", (30, 200, 30))):
        (root / cls).mkdir(parents=True)
        Image.new("RGB", (40, 30), color).save(root / cls / "a.png")
        Image.new("L", (16, 16), 128).save(root / cls / "b.jpg")
        Image.new("RGBA", (20, 20), (*color, 128)).save(root / cls / "c.webp")
        Image.new("P", (10, 10)).save(root / cls / "d.bmp")
    (root / "cats" / "broken.png").write_bytes(b"\x89PNG not really")
    (root / "dogs" / "notes.txt").write_text("not an image")
    (root / "dogs" / "empty.jpg").write_bytes(b"")


def test_folder_with_mixed_modes_and_corrupt_files(tmp_path: Path) -> None:
    _write_mixed_folder(tmp_path)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        ds = load_dataset(DataConfig(dataset=f"folder:{tmp_path}", channels=3, image_size=32))
    assert ds.images.shape == (8, 3, 32, 32)
    assert ds.class_names == ("cats", "dogs")
    assert sorted(ds.labels.tolist()) == [0, 0, 0, 0, 1, 1, 1, 1]
    skipped = [str(w.message) for w in caught if "skipped" in str(w.message)]
    assert len(skipped) == 1 and "skipped 2 of 10 image files (2 not readable" in skipped[0]
    assert ds.notes[0] == skipped[0]
    with pytest.warns(UserWarning, match="skipped 2 of 10"):
        grey = load_dataset(DataConfig(dataset=f"folder:{tmp_path}", channels=1,
                                       image_size=28))
    assert grey.images.shape == (8, 1, 28, 28)


def test_missing_or_empty_folder_is_a_one_line_error(tmp_path: Path) -> None:
    with pytest.raises(DataError, match="no such folder") as err:
        load_dataset(f"folder:{tmp_path / 'nope'}")
    assert "\n" not in str(err.value)
    (tmp_path / "empty").mkdir()
    with pytest.raises(DataError, match="no readable"):
        load_dataset(f"folder:{tmp_path / 'empty'}")


def test_absent_torchvision_dataset_says_how_to_get_it(tmp_path: Path) -> None:
    with pytest.raises(DataError, match="--download") as err:
        load_dataset(DataConfig(dataset="fashion-mnist", data_root=str(tmp_path)))
    assert "\n" not in str(err.value)


def test_unknown_dataset_lists_the_known_ones() -> None:
    with pytest.raises(DataError, match="mnist5k"):
        load_dataset("imagenet")
