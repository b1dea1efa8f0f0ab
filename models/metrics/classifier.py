"""The small LeNet-like digit classifier whose features the sample-quality metrics use.

A shipped classifier is a folder under resources/classifiers/: config.json (architecture,
the datasets it matches, its validation accuracy) + model.safetensors. Loading never
unpickles.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import torch
import torch.nn.functional as F
from torch import nn

import resources

CLASSIFIERS_DIR = Path(resources.__file__).parent / "classifiers"
FORMAT = "latentlab-classifier"
# MNIST's pixel mean and standard deviation: the classifier sees standardised pixels.
PIXEL_MEAN, PIXEL_STD = 0.1307, 0.3081


class DigitClassifier(nn.Module):
    """Three 3×3 conv + max-pool levels (28→14→7→3), a dense feature layer, class logits."""

    def __init__(self, channels: tuple[int, ...] = (32, 64, 64), feature_dim: int = 128,
                 num_classes: int = 10, image_size: int = 28) -> None:
        super().__init__()
        self.image_size = image_size
        layers: list[nn.Module] = []
        size, c_in = image_size, 1
        for c in channels:
            layers += [nn.Conv2d(c_in, c, 3, padding=1), nn.ReLU(), nn.MaxPool2d(2)]
            c_in, size = c, size // 2
        self.convs = nn.Sequential(*layers, nn.Flatten())
        self.fc = nn.Linear(c_in * size * size, feature_dim)
        self.dropout = nn.Dropout(0.3)
        self.out = nn.Linear(feature_dim, num_classes)

    def prepare(self, images: torch.Tensor) -> torch.Tensor:
        """Return images in [0, 1] as standardised grey image_size² inputs (any size/channels)."""
        x = images.float()
        if x.shape[1] == 3:
            x = (x * torch.tensor([0.299, 0.587, 0.114], device=x.device).view(1, 3, 1, 1)
                 ).sum(1, keepdim=True)
        if x.shape[-1] != self.image_size or x.shape[-2] != self.image_size:
            x = F.interpolate(x, size=(self.image_size, self.image_size), mode="bilinear",
                              antialias=True, align_corners=False)
        return (x - PIXEL_MEAN) / PIXEL_STD

    def features(self, images: torch.Tensor) -> torch.Tensor:
        """Return the penultimate (post-ReLU) features, N×feature_dim."""
        return F.relu(self.fc(self.convs(self.prepare(images))))

    def forward(self, images: torch.Tensor) -> torch.Tensor:
        """Return class logits, N×num_classes."""
        return self.out(self.dropout(self.features(images)))

    @torch.no_grad()
    def embed(self, images: torch.Tensor, batch_size: int = 500
              ) -> tuple[torch.Tensor, torch.Tensor]:
        """Return (features N×D, class probabilities N×K) for images in [0, 1], on the CPU."""
        self.eval()
        device = next(self.parameters()).device
        feats, probs = [], []
        for start in range(0, len(images), batch_size):
            h = self.features(images[start:start + batch_size].to(device))
            feats.append(h.cpu())
            probs.append(torch.softmax(self.out(h), dim=1).cpu())
        return torch.cat(feats), torch.cat(probs)


def save_classifier(model: DigitClassifier, folder: Path, info: dict[str, Any]) -> Path:
    """Write config.json (architecture + `info`) and model.safetensors; return the folder."""
    from safetensors.torch import save_file

    from models.checkpoint.atomic import atomic_folder, write_json

    with atomic_folder(Path(folder)) as tmp:
        state = {k: v.detach().contiguous().cpu() for k, v in model.state_dict().items()}
        save_file(state, str(tmp / "model.safetensors"), metadata={"format": FORMAT})
        (tmp / "model.safetensors").chmod(0o644)  # a shipped resource, readable by all
        write_json(tmp / "config.json", {"format": FORMAT, **info})
    return Path(folder)


def load_classifier(folder: Path, device: torch.device | str = "cpu"
                    ) -> tuple[DigitClassifier, dict[str, Any]]:
    """Return (classifier in eval mode on `device`, its config.json)."""
    from models.base import load_state_strict
    from models.checkpoint.safetensors_io import read_safetensors

    info = json.loads((folder / "config.json").read_text())
    arch = info["architecture"]
    model = DigitClassifier(tuple(arch["channels"]), arch["feature_dim"], arch["num_classes"],
                            arch["image_size"])
    path = folder / "model.safetensors"
    load_state_strict(model, read_safetensors(path), path)
    return model.to(device).eval(), info


def find_classifier(dataset: str) -> Path | None:
    """Return the shipped classifier folder trained for `dataset`, or None."""
    if not CLASSIFIERS_DIR.is_dir():
        return None
    for cfg in sorted(CLASSIFIERS_DIR.glob("*/config.json")):
        try:
            info = json.loads(cfg.read_text())
        except (OSError, ValueError):
            continue
        if dataset in info.get("datasets", ()):
            return cfg.parent
    return None
