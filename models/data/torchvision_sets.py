"""MNIST, Fashion-MNIST and CIFAR-10 via torchvision from a local folder; downloads on request."""

from __future__ import annotations

from pathlib import Path

import numpy as np

from models.data.dataset import DataError, ImageDataset

FASHION_NAMES = ("T-shirt/top", "Trouser", "Pullover", "Dress", "Coat",
                 "Sandal", "Shirt", "Sneaker", "Bag", "Ankle boot")
CIFAR_NAMES = ("airplane", "automobile", "bird", "cat", "deer",
               "dog", "frog", "horse", "ship", "truck")

TORCHVISION_CLASSES = {"mnist": "MNIST", "fashion-mnist": "FashionMNIST", "cifar10": "CIFAR10"}


def default_data_root() -> Path:
    """Return the folder torchvision datasets are looked for in when none is given."""
    return Path.home() / ".cache" / "latentlab" / "data"


def load_torchvision(name: str, data_root: str | None, download: bool) -> ImageDataset:
    """Return train and test splits of a torchvision dataset joined into one dataset.

    Raises DataError, saying how to get the data, when it is absent and download is off.
    """
    import torchvision.datasets as tvd

    root = Path(data_root).expanduser() if data_root else default_data_root()
    cls = getattr(tvd, TORCHVISION_CLASSES[name])
    parts = []
    try:
        for train in (True, False):
            parts.append(cls(str(root), train=train, download=download))
    except RuntimeError as exc:
        if download:
            raise DataError(f"could not download {name} into {root}: {exc}") from exc
        raise DataError(
            f"{name} is not in {root}: add --download to fetch it, or pass --data-root "
            f"with a folder that holds it"
        ) from exc
    except OSError as exc:
        raise DataError(f"could not read {name} from {root}: {exc}") from exc
    images, labels = [], []
    for ds in parts:
        data = np.asarray(ds.data)
        if data.ndim == 3:  # MNIST-like: N×H×W
            data = data[:, None]
        else:  # CIFAR: N×H×W×C
            data = data.transpose(0, 3, 1, 2)
        images.append(np.ascontiguousarray(data, dtype=np.uint8))
        labels.append(np.asarray(ds.targets, dtype=np.int64))
    names = {"mnist": tuple(str(d) for d in range(10)), "fashion-mnist": FASHION_NAMES,
             "cifar10": CIFAR_NAMES}[name]
    return ImageDataset(name, np.concatenate(images), np.concatenate(labels), names)
