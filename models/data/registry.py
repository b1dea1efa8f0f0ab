"""Load a dataset by name, shaped as the caller asks."""

from __future__ import annotations

from models.config import DataConfig
from models.data.bundled import load_digits, load_mnist5k
from models.data.dataset import DataError, ImageDataset
from models.data.folder import load_folder
from models.data.torchvision_sets import TORCHVISION_CLASSES, load_torchvision
from models.data.transforms import convert_channels, resize

DATASET_NAMES = ("mnist5k", "digits", "mnist", "fashion-mnist", "cifar10", "folder:PATH")


def load_dataset(config: DataConfig | str) -> ImageDataset:
    """Return the dataset `config` names, resized and channel-converted as it asks.

    Raises DataError with a one-line reason for an unknown name or absent data.
    """
    if isinstance(config, str):
        config = DataConfig(dataset=config)
    name = config.dataset
    if name == "mnist5k":
        ds = load_mnist5k()
    elif name == "digits":
        ds = load_digits(config.image_size or 28)
    elif name in TORCHVISION_CLASSES:
        ds = load_torchvision(name, config.data_root, config.download)
    elif name.startswith("folder:"):
        return load_folder(name[len("folder:"):], config.channels or 3, config.image_size or 32)
    else:
        known = ", ".join(DATASET_NAMES)
        raise DataError(f"unknown dataset {name!r}; choose one of {known}")
    images = ds.images
    if config.channels is not None:
        images = convert_channels(images, config.channels)
    if config.image_size is not None:
        images = resize(images, config.image_size)
    if images is ds.images:
        return ds
    return ImageDataset(ds.name, images, ds.labels, ds.class_names)
