"""What the end of an epoch measures and draws: validation over the whole held-out split,
the sample-quality metrics when due, the preview grid and the reconstruction pairs."""

from __future__ import annotations

from collections.abc import Callable

import numpy as np
import torch

from models.base import GenerativeModel
from models.config import TrainConfig
from models.training.batches import DeviceSplit
from models.training.pictures import epoch_pictures
from models.training.validation import validation_pass

RECON_PAIRS = 16


class EpochMeasures:
    """Measures one model at its epochs' ends (the training thread calls it)."""

    def __init__(self, model: GenerativeModel, split: DeviceSplit, dataset_name: str,
                 train: TrainConfig) -> None:
        self.model = model
        self.split = split
        self.dataset_name = dataset_name
        self.train = train
        self._quality = None  # built at its first use: it loads the digit classifier

    def measure(self, epoch: int, stopped: Callable[[], bool]
                ) -> tuple[dict[str, float], dict[str, np.ndarray], torch.Tensor,
                           torch.Tensor | None]:
        """Return (validation metrics, vector metrics, preview images, reconstruction
        pairs or None) at the end of 0-based epoch `epoch`; the model is in training mode
        after. EpochEndInterrupted when `stopped()` turns true while drawing."""
        self.model.eval()
        val_metrics, arrays = self.validate(stopped)
        every = self.train.metrics_every
        if every and (epoch + 1) % every == 0:
            quality, hist = self.sample_quality()
            val_metrics.update(quality)
            arrays.update(hist)
        pairs = self.split.recon_pairs(RECON_PAIRS) \
            if self.model.capabilities.can_encode else None
        preview, recon = epoch_pictures(self.model, self.train.preview_n, self.train.seed,
                                        pairs, stopped)
        return val_metrics, arrays, preview, recon

    def sample_quality(self) -> tuple[dict[str, float], dict[str, np.ndarray]]:
        """Return sample-quality metrics and the class histogram (empty without a
        classifier)."""
        if self._quality is None:
            from models.metrics.training import EpochQuality

            self._quality = EpochQuality(self.dataset_name, self.split.train_x,
                                         self.train.seed)
        return self._quality(self.model)

    def validate(self, stopped: Callable[[], bool]
                 ) -> tuple[dict[str, float], dict[str, np.ndarray]]:
        """Return (scalar metrics, vector metrics such as kl_per_dim) of one pass over the
        whole validation split; the model is back in training mode after."""
        # Large batches validate small models fastest; a diffusion UNet's batch of 256
        # takes about a second on a CPU, too long to wait for when the window closes.
        bs = self.train.batch_size if self.model.capabilities.is_diffusion \
            else max(self.train.batch_size, 256)
        result = validation_pass(self.model, self.split.val_batches(bs, stopped))
        self.model.train()
        return result
