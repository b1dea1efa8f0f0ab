"""The toy families by name: their config and model classes (imports torch when used)."""

from __future__ import annotations

import importlib

from models.toy.base import ToyConfig, ToyModel
from models.toy.data import ToyData

# name → (module, model class, config class)
TOY_FAMILIES: dict[str, tuple[str, str, str]] = {
    "gan": ("models.toy.gan", "ToyGAN", "ToyGANConfig"),
    "vae": ("models.toy.vae", "ToyVAE", "ToyVAEConfig"),
    "diffusion": ("models.toy.diffusion", "ToyDiffusion", "ToyDiffusionConfig"),
    "score": ("models.toy.score", "ToyScore", "ToyScoreConfig"),
    "flow": ("models.toy.flow", "ToyFlow", "ToyFlowConfig"),
    "ebm": ("models.toy.ebm", "ToyEBM", "ToyEBMConfig"),
}


def toy_classes(family: str) -> tuple[type[ToyModel], type[ToyConfig]]:
    """Return (model class, config class) of a toy family; ValueError naming the known ones."""
    if family not in TOY_FAMILIES:
        raise ValueError(f"unknown toy family {family!r}; choose one of "
                         f"{', '.join(TOY_FAMILIES)}")
    module, model, config = TOY_FAMILIES[family]
    mod = importlib.import_module(module)
    return getattr(mod, model), getattr(mod, config)


def build_toy(family: str, data: ToyData, **settings: object) -> ToyModel:
    """Return a new model of `family` on `data`, its config from the defaults and `settings`."""
    model_cls, config_cls = toy_classes(family)
    return model_cls(config_cls(**settings), data)
