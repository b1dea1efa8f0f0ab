"""Config dataclasses shared by every model family, and the field metadata forms are built from.

This module never imports torch: the GUI builds its hyperparameter form from these classes
while torch is still loading.
"""

from __future__ import annotations

import dataclasses
import math
import numbers
import types
import typing
from dataclasses import dataclass, field
from typing import Any, TypeVar

C = TypeVar("C", bound="ConfigBase")


def param(
    default: Any,
    help: str,
    *,
    min: float | None = None,
    max: float | None = None,
    choices: tuple[Any, ...] | None = None,
    advanced: bool = False,
) -> Any:
    """Return a dataclass field carrying the metadata that CLI options and GUI forms use."""
    meta = {"help": help, "min": min, "max": max, "choices": choices, "advanced": advanced}
    if isinstance(default, (list, dict)):
        return field(default_factory=lambda: type(default)(default), metadata=meta)
    return field(default=default, metadata=meta)


@dataclass(frozen=True)
class FieldSpec:
    """One editable config field as a form or a CLI sees it."""

    name: str
    type: type
    default: Any
    help: str
    min: float | None
    max: float | None
    choices: tuple[Any, ...] | None
    optional: bool
    is_sequence: bool
    advanced: bool


def _resolve_type(annotation: Any) -> tuple[type, bool, bool]:
    """Return (base type, optional?, sequence?) for a field annotation."""
    optional = False
    origin = typing.get_origin(annotation)
    if origin in (typing.Union, types.UnionType):
        args = [a for a in typing.get_args(annotation) if a is not type(None)]
        optional = len(args) < len(typing.get_args(annotation))
        annotation = args[0]
        origin = typing.get_origin(annotation)
    if origin in (tuple, list):
        return typing.get_args(annotation)[0], optional, True
    return annotation, optional, False


def _check_number(spec: FieldSpec, value: Any) -> None:
    """Raise ValueError unless a numeric field's value is a finite number of its type.

    NaN passes every `<`/`>` range check, and a string would raise TypeError there.
    """
    if spec.type not in (int, float):
        return
    if isinstance(value, bool) or not isinstance(value, numbers.Real):
        kind = "a whole number" if spec.type is int else "a number"
        raise ValueError(f"{spec.name} must be {kind}, not {value!r}")
    if spec.type is int and not isinstance(value, numbers.Integral) \
            and not float(value).is_integer():
        raise ValueError(f"{spec.name} must be a whole number, not {value!r}")
    if not math.isfinite(float(value)):
        raise ValueError(f"{spec.name} must be a finite number, not {value}")


class ConfigBase:
    """Mixin for config dataclasses: validation, field listing and JSON round trips."""

    def validate(self) -> None:
        """Raise ValueError naming the first field whose value is out of range."""
        for spec in self.field_specs():
            value = getattr(self, spec.name)
            if value is None:
                if not spec.optional:
                    raise ValueError(f"{spec.name} must be set")
                continue
            values = value if spec.is_sequence else (value,)
            if spec.is_sequence and len(values) == 0:
                raise ValueError(f"{spec.name} must not be empty")
            for v in values:
                _check_number(spec, v)
                if spec.choices is not None and v not in spec.choices:
                    allowed = ", ".join(str(c) for c in spec.choices)
                    raise ValueError(f"{spec.name} must be one of {allowed}, not {v!r}")
                if spec.min is not None and v < spec.min:
                    raise ValueError(f"{spec.name} must be at least {spec.min}, not {v}")
                if spec.max is not None and v > spec.max:
                    raise ValueError(f"{spec.name} must be at most {spec.max}, not {v}")

    @classmethod
    def field_specs(cls) -> list[FieldSpec]:
        """Return the editable fields in declaration order."""
        hints = typing.get_type_hints(cls)
        specs = []
        for f in dataclasses.fields(cls):  # type: ignore[arg-type]
            if not f.init or f.name.startswith("_"):
                continue
            base, optional, is_seq = _resolve_type(hints[f.name])
            default = f.default
            if default is dataclasses.MISSING and f.default_factory is not dataclasses.MISSING:
                default = f.default_factory()
            meta = f.metadata
            specs.append(
                FieldSpec(
                    name=f.name,
                    type=base,
                    default=default,
                    help=meta.get("help", ""),
                    min=meta.get("min"),
                    max=meta.get("max"),
                    choices=meta.get("choices"),
                    optional=optional,
                    is_sequence=is_seq,
                    advanced=meta.get("advanced", False),
                )
            )
        return specs

    def to_dict(self) -> dict[str, Any]:
        """Return a JSON-ready dict of every field."""
        out = {}
        for f in dataclasses.fields(self):  # type: ignore[arg-type]
            v = getattr(self, f.name)
            out[f.name] = list(v) if isinstance(v, tuple) else v
        return out

    @classmethod
    def from_dict(cls: type[C], data: dict[str, Any]) -> C:
        """Return a config from a dict; unknown keys are an error naming them."""
        names = {f.name: f for f in dataclasses.fields(cls)}  # type: ignore[arg-type]
        unknown = sorted(set(data) - set(names))
        if unknown:
            raise ValueError(f"unknown {cls.__name__} fields: {', '.join(unknown)}")
        kwargs = {}
        hints = typing.get_type_hints(cls)
        for k, v in data.items():
            _, _, is_seq = _resolve_type(hints[k])
            kwargs[k] = tuple(v) if is_seq and isinstance(v, list) else v
        obj = cls(**kwargs)
        obj.validate()
        return obj

    def replace(self: C, **changes: Any) -> C:
        """Return a validated copy with some fields changed."""
        obj = dataclasses.replace(self, **changes)  # type: ignore[type-var]
        obj.validate()
        return obj


@dataclass(frozen=True)
class ModelConfig(ConfigBase):
    """Fields every model family has. Image shape comes from the dataset when left unset."""

    image_size: int = param(28, "image height and width in pixels", min=8, max=256, advanced=True)
    channels: int = param(1, "image channels (1 grey, 3 colour)", choices=(1, 3), advanced=True)
    num_classes: int = param(10, "number of classes, for conditional models", min=1, max=1000,
                             advanced=True)


@dataclass(frozen=True)
class TrainConfig(ConfigBase):
    """How to train: optimiser, schedule, seed, device and logging."""

    epochs: int = param(10, "passes over the training split", min=1, max=100000)
    batch_size: int = param(64, "images per optimisation step", min=1, max=65536)
    lr: float = param(1e-3, "learning rate", min=0.0, max=10.0)
    seed: int = param(0, "seed for weights, data order and sampling", min=0, max=2**63 - 1)
    val_fraction: float = param(0.1, "share of the data held out for validation",
                                min=0.0, max=0.9, advanced=True)
    device: str = param("auto", "auto (CUDA, then MPS, then CPU), cpu, cuda, cuda:N or mps",
                        advanced=True)
    threads: int | None = param(None, "torch CPU threads (default: N−1 of N cores, at most "
                                "8: 1 on 2 cores, where a second thread can collapse beside "
                                "any other busy process)", min=1, max=256, advanced=True)
    preview_n: int = param(64, "images in each epoch's preview grid", min=1, max=256,
                           advanced=True)
    keep_epoch_checkpoints: bool = param(True, "keep a checkpoint for every epoch",
                                         advanced=True)
    log_every: int = param(1, "write metrics.jsonl every N steps", min=1, max=100000,
                           advanced=True)
    metrics_every: int = param(0, "sample-quality metrics (Fréchet distance, precision/recall, "
                               "density/coverage, class coverage) every N epochs; 0: off",
                               min=0, max=100000, advanced=True)
    precision: str = param("fp32", "training steps in fp32, or mixed precision: bf16, or fp16 "
                           "with a gradient scaler (weights stay fp32)",
                           choices=("fp32", "bf16", "fp16"), advanced=True)
    channels_last: bool = param(False, "store weights and batches channels-last (NHWC): "
                                "faster convolutions on recent GPUs", advanced=True)
    compile: bool = param(False, "compile the networks with torch.compile (slow first "
                          "steps, faster after; needs a C++ compiler on CPU)", advanced=True)
    tensorboard: bool = param(False, "also write TensorBoard event files (RUN/tensorboard: "
                              "losses, sample grids, latent code histograms); needs the "
                              "tensorboard package", advanced=True)

    def validate(self) -> None:
        """Raise ValueError for a bad value, including an unknown device name."""
        super().validate()
        dev = self.device
        ok = dev in ("auto", "cpu", "cuda", "mps") or (
            dev.startswith("cuda:") and dev[5:].isdigit()
        )
        if not ok:
            raise ValueError(f"device must be auto, cpu, cuda, cuda:N or mps, not {dev!r}")


# The training settings a resumed run may change: how long, and where and how fast it runs
# (not what it computes: the rest must match the saved run).
RESUME_MAY_CHANGE = ("epochs", "device", "threads", "precision", "channels_last", "compile")


@dataclass(frozen=True)
class DataConfig(ConfigBase):
    """Which dataset to train on and how its images are shaped."""

    dataset: str = param("mnist5k", "mnist5k, digits, mnist, fashion-mnist, cifar10 or folder:PATH")
    data_root: str | None = param(None, "folder holding torchvision datasets", advanced=True)
    download: bool = param(False, "allow downloading torchvision datasets", advanced=True)
    image_size: int | None = param(None, "resize images to this size (default: dataset's own)",
                                   min=8, max=256, advanced=True)
    channels: int | None = param(None, "convert images to 1 or 3 channels (default: dataset's)",
                                 choices=(1, 3), advanced=True)
    exclude_class: tuple[int, ...] | None = param(
        None, "classes left out of training and validation (held out as anomalies for "
        "`latentlab anomaly`); by index, e.g. 7", min=0, max=999, advanced=True)
