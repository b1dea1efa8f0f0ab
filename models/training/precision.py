"""Mixed precision and the other speed options of training: autocast around each
training step (bf16 or fp16; the weights and optimiser state stay fp32), a gradient
scaler for fp16, channels-last memory layout, and torch.compile of the networks."""

from __future__ import annotations

import contextlib
from collections.abc import Iterator
from typing import Any

import torch
from torch import nn

PRECISIONS = ("fp32", "bf16", "fp16")
_DTYPES = {"bf16": torch.bfloat16, "fp16": torch.float16}


class Precision:
    """The precision training steps run in on one device (the training thread uses it)."""

    def __init__(self, name: str, device: torch.device) -> None:
        if name not in PRECISIONS:
            raise ValueError(f"precision must be one of {', '.join(PRECISIONS)}, not {name!r}")
        if name == "fp16" and device.type == "mps":
            raise ValueError("fp16 with a gradient scaler is not supported on MPS: use bf16")
        self.name = name
        self.device = device
        self.dtype = _DTYPES.get(name)
        # fp16's narrow range needs the loss scaled (bf16 has fp32's range and does not)
        self.scaler = torch.amp.GradScaler(device.type) if name == "fp16" else None

    @contextlib.contextmanager
    def autocast(self) -> Iterator[None]:
        """Run the block's eligible operations in the reduced precision (none at fp32)."""
        if self.dtype is None:
            yield
            return
        with torch.autocast(self.device.type, dtype=self.dtype):
            yield

    def attach(self, model: Any) -> None:
        """Give the model the scaler its backward and optimiser steps go through."""
        model.grad_scaler = self.scaler

    def update(self) -> bool:
        """Adjust the loss scale after a step (fp16: grows while gradients stay finite,
        halves when one overflowed); return True when the step's updates were skipped
        for an overflow (its gradient norms are then not finite, and need not be)."""
        if self.scaler is None:
            return False
        before = self.scaler.get_scale()
        self.scaler.update()
        return self.scaler.get_scale() < before


    def state(self) -> dict[str, Any]:
        """Return what a checkpoint keeps of it: the scaler's scale and growth count."""
        if self.scaler is None:
            return {}
        return {"grad_scaler": {k: float(v) if isinstance(v, float) else v
                                for k, v in self.scaler.state_dict().items()}}

    def restore(self, progress: dict[str, Any]) -> None:
        """Continue from a checkpoint's scaler state (a run resumed at fp16)."""
        saved = progress.get("grad_scaler")
        if self.scaler is not None and saved:
            self.scaler.load_state_dict(saved)


def use_channels_last(model: nn.Module) -> None:
    """Store the model's 4-D weights channels-last (NHWC): faster convolutions on recent
    GPUs and on CPUs with oneDNN; batches are made channels-last by `batch_layout`."""
    model.to(memory_format=torch.channels_last)


def batch_layout(x: torch.Tensor, channels_last: bool) -> torch.Tensor:
    """Return an image batch in the layout training uses."""
    if channels_last and x.dim() == 4:
        return x.contiguous(memory_format=torch.channels_last)
    return x


def compile_networks(model: nn.Module, backend: str = "inductor") -> list[str]:
    """Compile each network the model holds (its direct sub-modules: what training steps
    call) with torch.compile, in place; return their names. The model object, its
    state_dict keys and its checkpoints are unchanged."""
    names = []
    for name, child in model.named_children():
        if any(True for _ in child.parameters()):
            child.compile(backend=backend)
            names.append(name)
    return names


def prepare_model(model: nn.Module, precision: str, channels_last: bool, compile: bool,
                  device: torch.device) -> Precision:
    """Apply the training speed options to `model` (on `device`): channels-last weights,
    compiled networks, the fp16 scaler attached; return the Precision steps run in."""
    chosen = Precision(precision, device)
    if channels_last:
        use_channels_last(model)
    if compile:
        compile_networks(model)
    chosen.attach(model)
    return chosen


def without_overflowed_norms(metrics: dict[str, Any]) -> dict[str, Any]:
    """Return a skipped fp16 step's metrics without its non-finite gradient norms (the
    scaler skipped the update they measured), marked `overflow_skipped`. Its losses stay:
    a non-finite loss still fails the run."""
    kept = {k: v for k, v in metrics.items()
            if not (k.startswith("grad_norm") and not bool(torch.isfinite(v).all()))}
    kept["overflow_skipped"] = torch.ones(())
    return kept
