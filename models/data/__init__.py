"""Named image datasets as uint8 arrays, and their deterministic train/validation split."""

from models.data.dataset import DataError, ImageDataset, split_indices
from models.data.registry import DATASET_NAMES, load_dataset

__all__ = ["DATASET_NAMES", "DataError", "ImageDataset", "load_dataset", "split_indices"]
