"""diffusers, imported once under a lock before any thread uses it.

diffusers resolves its names lazily on first access, and that is not thread-safe: two
threads touching it for the first time (a diffusion model training while a diffusion
checkpoint opens) got "cannot import name 'DDPMScheduler'" in 10 of 10 tries.
"""

from __future__ import annotations

import threading
from types import ModuleType

from models.diffusion.samplers import SAMPLERS

_LOCK = threading.Lock()
_loaded: ModuleType | None = None


def diffusers() -> ModuleType:
    """Return the diffusers package with every name Latent Lab uses resolved (any thread)."""
    global _loaded
    if _loaded is not None:
        return _loaded
    with _LOCK:
        if _loaded is None:
            import diffusers as module
            from diffusers.utils import torch_utils  # noqa: F401 (randn_tensor's home)

            for name in ("UNet2DModel", "DDPMPipeline", "DDIMPipeline",
                         *(spec.scheduler for spec in SAMPLERS.values())):
                getattr(module, name)
            _loaded = module
    return _loaded


def scheduler_class(name: object) -> type | None:
    """Return diffusers' scheduler class called `name` (resolved under the lock), or None
    when diffusers has no such scheduler (any thread)."""
    module = diffusers()
    if not isinstance(name, str) or not name.endswith("Scheduler"):
        return None
    with _LOCK:
        try:
            cls = getattr(module, name, None)
        except (ImportError, RuntimeError):  # an optional backend diffusers cannot load
            return None
    # Dummy placeholders (Flax without flax) live elsewhere and fail when built.
    if isinstance(cls, type) and cls.__module__.startswith("diffusers.schedulers"):
        return cls
    return None


def diffusers_attr(name: str) -> object:
    """Return diffusers' attribute `name` (a pipeline or model class), resolved under the
    lock; None when diffusers has none (any thread)."""
    module = diffusers()
    with _LOCK:
        try:
            return getattr(module, name, None)
        except (ImportError, RuntimeError):  # an optional backend diffusers cannot load
            return None
