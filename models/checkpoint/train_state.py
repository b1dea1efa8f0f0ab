"""Optimiser and RNG state as tensors + JSON, so resuming never needs pickle."""

from __future__ import annotations

from typing import Any

import torch

SEP = "/"


def flatten_optimizers(optimizers: dict[str, torch.optim.Optimizer]
                       ) -> tuple[dict[str, torch.Tensor], dict[str, Any]]:
    """Return (tensors, json) holding every optimiser's state_dict."""
    tensors: dict[str, torch.Tensor] = {}
    meta: dict[str, Any] = {}
    for name, opt in optimizers.items():
        sd = opt.state_dict()
        scalars: dict[str, dict[str, Any]] = {}
        for pid, state in sd["state"].items():
            for key, value in state.items():
                if isinstance(value, torch.Tensor):
                    tensors[SEP.join(("optim", name, str(pid), key))] = \
                        value.detach().contiguous().cpu()
                else:
                    scalars.setdefault(str(pid), {})[key] = value
        meta[name] = {"param_groups": sd["param_groups"], "scalars": scalars,
                      "param_ids": [str(p) for p in sd["state"]]}
    return tensors, meta


def restore_optimizers(optimizers: dict[str, torch.optim.Optimizer],
                       tensors: dict[str, torch.Tensor], meta: dict[str, Any]) -> None:
    """Load the state written by `flatten_optimizers` into `optimizers` (same names)."""
    for name, opt in optimizers.items():
        if name not in meta:
            raise KeyError(f"no saved state for optimiser {name!r}")
        info = meta[name]
        state: dict[int, dict[str, Any]] = {}
        for pid in info["param_ids"]:
            state[int(pid)] = dict(info["scalars"].get(pid, {}))
        prefix = SEP.join(("optim", name)) + SEP
        for key, value in tensors.items():
            if key.startswith(prefix):
                pid, field = key[len(prefix):].split(SEP, 1)
                state.setdefault(int(pid), {})[field] = value
        groups = [dict(g) for g in info["param_groups"]]
        for g in groups:
            if isinstance(g.get("betas"), list):
                g["betas"] = tuple(g["betas"])
        opt.load_state_dict({"state": state, "param_groups": groups})


def capture_rng() -> dict[str, torch.Tensor]:
    """Return torch's global CPU and CUDA generator states."""
    out = {"rng/cpu": torch.get_rng_state()}
    if torch.cuda.is_available() and torch.cuda.is_initialized():
        for i, s in enumerate(torch.cuda.get_rng_state_all()):
            out[f"rng/cuda{i}"] = s
    return out


def restore_rng(tensors: dict[str, torch.Tensor]) -> None:
    """Restore the generator states written by `capture_rng` (CUDA ones where present)."""
    if "rng/cpu" in tensors:
        torch.set_rng_state(tensors["rng/cpu"].to(torch.uint8))
    if torch.cuda.is_available():
        for i in range(torch.cuda.device_count()):
            key = f"rng/cuda{i}"
            if key in tensors:
                torch.cuda.set_rng_state(tensors[key].to(torch.uint8), i)
