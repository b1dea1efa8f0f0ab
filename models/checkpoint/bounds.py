"""Checks that make loading a checkpoint bounded: nothing is allocated for a model until its
config.json has the right JSON types and the weights file's header holds exactly that model.

A config within every field limit can still describe a model of tens of GiB (forty hidden
layers of 16384); building it first and reading the weights second would allocate all of
it. Here the model is built on the meta device (shapes only, no memory) and compared with
the safetensors header, whose tensors must lie inside the file. (config_json.py checks the
config's JSON types before this.)
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from pathlib import Path

import torch

from models.checkpoint.errors import CheckpointError
from models.checkpoint.header import SafetensorsHeader, read_header

# What a model may need beyond what its weights file holds: float16/bfloat16 files load
# into float32 parameters.
WIDENING = 2
# Exceptions a model constructor raises for a config it cannot build.
# (NameError: diffusers' UNet2DModel meets an unknown time_embedding_type with an
# UnboundLocalError; ArithmeticError: OverflowError from a huge int where a float belongs.)
BUILD_ERRORS = (ValueError, TypeError, AssertionError, AttributeError, LookupError,
                ArithmeticError, NameError, NotImplementedError, RuntimeError)


def meta_state(build: Callable[[], torch.nn.Module], cfg_path: Path) -> dict[str, torch.Tensor]:
    """Return the state_dict `build()` would have, built on the meta device (no memory).

    CheckpointError(cfg_path) if the constructor refuses the config.
    """
    try:
        with torch.device("meta"):
            module = build()
        return dict(module.state_dict())
    except CheckpointError:
        raise
    except BUILD_ERRORS as exc:
        raise CheckpointError(cfg_path, "describes a model that cannot be built "
                              f"({type(exc).__name__}: {exc})".splitlines()[0]) from exc


def _mib(n: int) -> str:
    return f"{n / 2**20:.1f} MiB" if n < 2**30 else f"{n / 2**30:.1f} GiB"



def mismatches(expected: Mapping[str, tuple[int, ...]], held: Mapping[str, tuple[int, ...]],
               prefix: str = "") -> list[str]:
    """Return how tensors `held` (name → shape) differ from the `expected` ones: missing,
    unexpected and misshaped names, the first of each; empty when they match."""
    missing = [k for k in expected if k not in held]
    extra = [k for k in held if k not in expected]
    shapes = [k for k in expected if k in held and tuple(held[k]) != tuple(expected[k])]
    parts = []
    if missing:
        parts.append(f"missing {len(missing)} tensors (e.g. {prefix}{missing[0]})")
    if extra:
        parts.append(f"{len(extra)} unexpected tensors (e.g. {prefix}{extra[0]})")
    if shapes:
        k = shapes[0]
        parts.append(f"shape of {prefix}{k} is {tuple(held[k])}, config needs "
                     f"{tuple(expected[k])}")
    return parts

def check_state_fits(expected: Mapping[str, torch.Tensor], header: SafetensorsHeader,
                     prefix: str = "", config: str = "config.json") -> None:
    """Raise CheckpointError naming the file and the first offending tensor unless the header
    holds exactly the tensors of `expected` (keys under `prefix`), with its shapes and kinds
    of dtype, and the model needs at most WIDENING times the file's bytes. `config` names
    the file `expected` came from, for the message."""
    held = {k[len(prefix):]: v for k, v in header.tensors.items() if k.startswith(prefix)}
    parts = mismatches({k: tuple(t.shape) for k, t in expected.items()},
                       {k: tuple(v.shape) for k, v in held.items()}, prefix)
    if parts:
        raise CheckpointError(header.path, f"does not match {config}: " + "; ".join(parts))
    for k, t in expected.items():
        if held[k].is_float != t.is_floating_point():
            raise CheckpointError(header.path, f"tensor {prefix}{k} is {held[k].dtype}, the "
                                  f"model needs {str(t.dtype).removeprefix('torch.')}")
    need = sum(t.numel() * t.element_size() for t in expected.values())
    if need > WIDENING * header.data_bytes:
        raise CheckpointError(header.path, f"{config} describes {_mib(need)} of weights "
                              f"but the file holds {_mib(header.data_bytes)}")


def check_weights_file(build: Callable[[], torch.nn.Module], weights: Path,
                       cfg_path: Path) -> None:
    """Raise CheckpointError unless the safetensors file `weights` holds exactly the model
    `build()` makes; nothing is allocated for the model."""
    expected = meta_state(build, cfg_path)
    check_state_fits(expected, read_header(weights))
