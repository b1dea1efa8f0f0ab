"""Load a dataset by name, shaped as the caller asks."""

from __future__ import annotations

import difflib
from pathlib import Path

from models.config import DataConfig
from models.data.bundled import load_digits, load_mnist5k
from models.data.dataset import DataError, ImageDataset
from models.data.exclusion import exclude_classes
from models.data.folder import load_folder
from models.data.torchvision_sets import TORCHVISION_CLASSES, load_torchvision
from models.data.transforms import convert_channels, resize

DATASET_NAMES = ("mnist5k", "digits", "mnist", "fashion-mnist", "cifar10", "folder:PATH")


def check_dataset_name(name: str) -> None:
    """Raise DataError (one line) unless `name` is a known dataset or folder:PATH of a folder.

    Needs neither torch nor the data: the command line checks `--dataset` before loading.
    """
    if name in ("mnist5k", "digits") or name in TORCHVISION_CLASSES:
        return
    if name.startswith("folder:"):
        raw = name[len("folder:"):]
        if not raw.strip():
            raise DataError("folder: needs a path after it, e.g. folder:~/pictures")
        root = Path(raw).expanduser()
        if not root.exists():
            raise DataError(f"{root}: no such folder")
        if not root.is_dir():
            raise DataError(f"{root}: not a folder (folder:PATH takes a folder of images)")
        return
    if name.strip() and Path(name).expanduser().is_dir():
        raise DataError(f"unknown dataset {name!r}; for a folder of images write "
                        f"folder:{name}")
    known = ", ".join(DATASET_NAMES)
    close = difflib.get_close_matches(name, DATASET_NAMES[:-1], n=1)
    hint = f" (did you mean {close[0]!r}?)" if close else ""
    raise DataError(f"unknown dataset {name!r}{hint}; choose one of {known}")


def load_dataset(config: DataConfig | str) -> ImageDataset:
    """Return the dataset `config` names, resized and channel-converted as it asks.

    Classes named by `config.exclude_class` are left out (see models/data/exclusion.py).
    Raises DataError with a one-line reason for an unknown name, absent data, or a class
    that cannot be excluded.
    """
    if isinstance(config, str):
        config = DataConfig(dataset=config)
    return exclude_classes(_load_shaped(config), config.exclude_class or ())


def _load_shaped(config: DataConfig) -> ImageDataset:
    """Return the whole dataset `config` names, resized and channel-converted."""
    name = config.dataset
    check_dataset_name(name)
    if name.startswith("folder:"):
        return load_folder(name[len("folder:"):], config.channels or 3, config.image_size or 32)
    if name == "mnist5k":
        ds = load_mnist5k()
    elif name == "digits":
        ds = load_digits(config.image_size or 28)
    else:
        ds = load_torchvision(name, config.data_root, config.download)
    images = ds.images
    if config.channels is not None:
        images = convert_channels(images, config.channels)
    if config.image_size is not None:
        images = resize(images, config.image_size)
    if images is ds.images:
        return ds
    return ImageDataset(ds.name, images, ds.labels, ds.class_names)
