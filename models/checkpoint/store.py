"""Saving and loading checkpoint folders (config.json + weights + optional training state)."""

from __future__ import annotations

import platform
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, TypeVar

import torch

from models import __version__
from models.base import GenerativeModel
from models.checkpoint.atomic import (
    StagedFolder,
    stage_folder,
    stage_links,
    write_json,
)
from models.checkpoint.bounds import BUILD_ERRORS, check_weights_file
from models.checkpoint.config_json import check_checkpoint_meta, check_config_json
from models.checkpoint.errors import CheckpointError
from models.checkpoint.safetensors_io import read_json, read_safetensors
from models.checkpoint.train_state_check import check_train_json, check_train_tensors
from models.config import ConfigBase, DataConfig, TrainConfig
from models.registry import FAMILIES, config_class, model_class

FORMAT = "latentlab-checkpoint"
FORMAT_VERSION = 1
TRAIN_TENSORS = "training_state.safetensors"
TRAIN_JSON = "training_state.json"
Config = TypeVar("Config", bound=ConfigBase)


@dataclass
class LoadedCheckpoint:
    """A model rebuilt from a checkpoint folder, with what it was trained on and how far."""

    path: Path
    model: GenerativeModel
    meta: dict[str, Any]
    data: DataConfig | None
    train: TrainConfig | None
    class_names: tuple[str, ...]
    progress: dict[str, Any]
    train_tensors: dict[str, torch.Tensor] = field(default_factory=dict)
    train_json: dict[str, Any] = field(default_factory=dict)

    @property
    def family(self) -> str:
        """Return the model family name."""
        return self.model.family


def versions() -> dict[str, str]:
    """Return the versions worth recording next to a checkpoint or run."""
    import numpy

    return {"latentlab": __version__, "torch": torch.__version__, "numpy": numpy.__version__,
            "python": platform.python_version()}


def save_checkpoint(folder: Path, model: GenerativeModel, *, data: DataConfig | None = None,
                    train: TrainConfig | None = None, class_names: tuple[str, ...] = (),
                    progress: dict[str, Any] | None = None,
                    train_tensors: dict[str, torch.Tensor] | None = None,
                    train_json: dict[str, Any] | None = None) -> Path:
    """Write a checkpoint folder atomically and return its path.

    An exception part-way (disk full, interrupt) leaves any previous checkpoint at
    `folder` untouched.
    """
    return stage_checkpoint(folder, model, data=data, train=train, class_names=class_names,
                            progress=progress, train_tensors=train_tensors,
                            train_json=train_json).commit()


def stage_checkpoint(folder: Path, model: GenerativeModel, *, data: DataConfig | None = None,
                     train: TrainConfig | None = None, class_names: tuple[str, ...] = (),
                     progress: dict[str, Any] | None = None,
                     train_tensors: dict[str, torch.Tensor] | None = None,
                     train_json: dict[str, Any] | None = None) -> StagedFolder:
    """Write a checkpoint into a temp folder beside `folder` and return it uncommitted.

    The files hold the model as it is now; `commit()` (any thread) flushes them and puts
    them in place. On an exception nothing is left behind.
    """
    from safetensors.torch import save_file

    staged = stage_folder(Path(folder))
    tmp = staged.tmp
    try:
        model.save_weights(tmp)
        if train_tensors is not None:
            save_file({k: v.contiguous() for k, v in train_tensors.items()},
                      str(tmp / TRAIN_TENSORS))
            write_json(tmp / TRAIN_JSON, train_json or {})
        write_json(tmp / "config.json", {
            "format": FORMAT,
            "format_version": FORMAT_VERSION,
            "family": model.family,
            "model": model.config.to_dict(),
            "data": data.to_dict() if data else None,
            "train": train.to_dict() if train else None,
            "class_names": list(class_names),
            "progress": progress or {},
            "versions": versions(),
        })
    except BaseException:
        staged.discard()
        raise
    return staged


def stage_weights_only(staged: StagedFolder, folder: Path) -> StagedFolder:
    """Return a staged copy of checkpoint `staged` for `folder` without its training state."""
    return stage_links(staged, Path(folder), skip=(TRAIN_TENSORS, TRAIN_JSON))


def resolve_checkpoint(path: Path | str) -> Path:
    """Return the checkpoint folder for a checkpoint folder or a run folder (its last one).

    Falls back to the `.old` copy a save interrupted at the worst moment leaves behind.
    """
    path = Path(path).expanduser()
    candidates = [path, path / "checkpoints" / "last", path / "checkpoints" / "last.old",
                  path.with_name(path.name + ".old")]
    for c in candidates:
        if (c / "config.json").is_file():
            return c
    if not path.exists():
        raise CheckpointError(path, "no such file or folder")
    if path.is_file():
        raise CheckpointError(path, "is a file; a checkpoint is a folder holding config.json")
    raise CheckpointError(path, "no checkpoint here (expected config.json or checkpoints/last/)")


def read_checkpoint_config(path: Path | str) -> tuple[Path, dict[str, Any]]:
    """Return (folder, parsed config.json) after checking it is one of ours."""
    folder = resolve_checkpoint(path)
    cfg_path = folder / "config.json"
    meta = read_json(cfg_path)
    if not isinstance(meta, dict) or meta.get("format") != FORMAT:
        raise CheckpointError(cfg_path, "not a Latent Lab checkpoint config")
    check_checkpoint_meta(meta, cfg_path)
    if meta.get("format_version", 0) > FORMAT_VERSION:
        raise CheckpointError(cfg_path, f"format version {meta['format_version']} is newer "
                              f"than this Latent Lab understands ({FORMAT_VERSION})")
    if meta.get("family") not in FAMILIES:
        raise CheckpointError(cfg_path, f"unknown model family {meta.get('family')!r}")
    return folder, meta


def load_checkpoint(path: Path | str, device: torch.device | str = "cpu",
                    with_training_state: bool = False) -> LoadedCheckpoint:
    """Return the model and metadata of a checkpoint (or a run's last checkpoint).

    Raises CheckpointError (one line: file and problem) for anything missing, truncated,
    corrupt or not matching its config.
    """
    folder, meta = read_checkpoint_config(path)
    cfg_path = folder / "config.json"
    family = meta["family"]
    config = _parse(config_class(family), meta.get("model") or {}, cfg_path, "model")
    data = _parse(DataConfig, meta["data"], cfg_path, "data") if meta.get("data") else None
    train = _parse(TrainConfig, meta["train"], cfg_path, "train") if meta.get("train") \
        else None
    cls = model_class(family)
    one_file = cls.load_weights.__func__ is GenerativeModel.load_weights.__func__  # type: ignore[attr-defined]
    if one_file:  # model.safetensors; pipeline folders are checked in pipeline_io
        check_weights_file(lambda: cls(config), folder / "model.safetensors", cfg_path)
    try:
        model = cls.load_weights(folder, config)
    except BUILD_ERRORS as exc:  # a constructor refusing what validate() let through
        raise CheckpointError(cfg_path if one_file else folder, "cannot build its model "
                              f"({type(exc).__name__}: {exc})".splitlines()[0]) from exc
    model = model.to(device).eval()
    loaded = LoadedCheckpoint(folder, model, meta, data, train,
                              tuple(meta.get("class_names") or ()), meta.get("progress") or {})
    if with_training_state:
        loaded.train_tensors = read_safetensors(folder / TRAIN_TENSORS)
        check_train_tensors(loaded.train_tensors, folder / TRAIN_TENSORS)
        loaded.train_json = read_json(folder / TRAIN_JSON)
        check_train_json(loaded.train_json, folder / TRAIN_JSON)
    return loaded


def _parse(cls: type[Config], data: Any, path: Path, section: str) -> Config:
    """Return `cls` from config.json's `section`; CheckpointError(path) naming the field."""
    check_config_json(cls, data, path, section)
    try:
        return cls.from_dict(data)
    except (ValueError, TypeError) as exc:
        raise CheckpointError(path, f"invalid {section} settings ({exc})") from exc
