"""Choosing the compute device and the CPU thread count."""

from __future__ import annotations

import torch

from models.cores import default_threads, usable_cores


def available_devices() -> list[str]:
    """Return the devices this machine offers, CPU always last."""
    found = [f"cuda:{i}" for i in range(torch.cuda.device_count())]
    if getattr(torch.backends, "mps", None) is not None and torch.backends.mps.is_available():
        found.append("mps")
    return [*found, "cpu"]


def resolve_device(name: str = "auto") -> torch.device:
    """Return the torch.device for `name`: 'auto' picks CUDA, then MPS, then CPU.

    Raises ValueError when an explicitly requested accelerator is absent.
    """
    if name == "auto":
        return torch.device(available_devices()[0])
    device = torch.device(name)
    if device.type == "cuda" and not torch.cuda.is_available():
        raise ValueError(f"device {name} was requested but CUDA is not available here")
    if device.type == "cuda" and device.index is not None and \
            device.index >= torch.cuda.device_count():
        raise ValueError(f"device {name} does not exist ({torch.cuda.device_count()} GPUs)")
    if device.type == "mps" and "mps" not in available_devices():
        raise ValueError("device mps was requested but MPS is not available here")
    return device


def set_threads(threads: int | None) -> int:
    """Set torch's intra-op CPU thread count (process-wide); return the count now used.

    None applies `default_threads()`, the rule the GUI shows too — never torch's own
    default, which spins a thread per core against any other busy process.
    """
    threads = default_threads() if threads is None else threads
    if torch.get_num_threads() != threads:
        torch.set_num_threads(threads)
    return torch.get_num_threads()


def has_spare_core(device: torch.device) -> bool:
    """Return True when work on another thread will not stall training: the model is on
    an accelerator, or torch's threads leave at least one core free."""
    return device.type != "cpu" or torch.get_num_threads() < usable_cores()
