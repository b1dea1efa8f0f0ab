"""Opening a local diffusers pipeline folder, offline, in one of its modes.

`open_pipeline(folder, mode)` checks the folder from its JSON (`index.read_index`), its
weights (`weights.check_weights`), then loads it with the diffusers class of its
model_index.json — always `local_files_only=True` with `HF_HUB_OFFLINE` set, safetensors
unless pickles are explicitly allowed, never `trust_remote_code` — and turns it into the
class of the mode asked for with `from_pipe` (the same modules, no copy). Call on a
worker thread: it imports torch, diffusers and transformers and reads every weight.
"""

from __future__ import annotations

import importlib.util
import os
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from models.checkpoint.json_io import read_json
from models.pipelines.errors import PipelineError
from models.pipelines.index import CONTROLNET, PipelineIndex, read_index
from models.pipelines.weights import check_component, check_weights

INSTALL_HINT = "pip install 'latentlab[pipelines]' (transformers>=4.44)"


@dataclass(frozen=True)
class OpenedPipeline:
    """A pipeline folder opened in one mode: its checked index, the diffusers pipeline
    running the mode, and the ControlNet folder when one was given."""

    index: PipelineIndex
    mode: str
    pipe: Any
    controlnet: Path | None = None

    @property
    def folder(self) -> Path:
        """Return the pipeline folder."""
        return self.index.folder

    @property
    def family(self) -> str:
        """Return "sd", "sdxl", "dit" or "ldm": which stepper runs it."""
        return self.index.spec.family

    def inference_copy(self) -> OpenedPipeline:
        """Return the pipeline with its own copy of every module, for the calling thread
        alone (a lane's copy, as OpenedModel.inference_copy gives for our models)."""
        import copy

        return OpenedPipeline(self.index, self.mode, copy.deepcopy(self.pipe), self.controlnet)

    def in_mode(self, mode: str, **components: Any) -> OpenedPipeline:
        """Return the same modules opened in `mode` (`from_pipe`: no weights read or
        copied); PipelineError if the folder does not open in it."""
        cls = diffusers_class(self.index.mode_class(mode))
        if mode == CONTROLNET and "controlnet" not in components \
                and not hasattr(self.pipe, "controlnet"):
            raise PipelineError(self.folder, "ControlNet mode needs a ControlNet folder")
        with quiet():
            pipe = cls.from_pipe(self.pipe, **components)
        pipe.set_progress_bar_config(disable=True)
        return OpenedPipeline(self.index, mode, pipe, self.controlnet)


@contextmanager
def offline() -> Iterator[None]:
    """Hold HF_HUB_OFFLINE on (the environment and huggingface_hub's constant, read at its
    import) for the duration: nothing the loaders call may reach the network."""
    import huggingface_hub.constants as hub

    before_env, before = os.environ.get("HF_HUB_OFFLINE"), hub.HF_HUB_OFFLINE
    os.environ["HF_HUB_OFFLINE"] = "1"
    hub.HF_HUB_OFFLINE = True
    try:
        yield
    finally:
        hub.HF_HUB_OFFLINE = before
        if before_env is None:
            os.environ.pop("HF_HUB_OFFLINE", None)
        else:
            os.environ["HF_HUB_OFFLINE"] = before_env


@contextmanager
def quiet() -> Iterator[None]:
    """Hold diffusers' and transformers' loggers at errors and their progress bars off for
    the duration: Latent Lab says what matters itself (a cut prompt, in one line)."""
    from diffusers.utils import logging as diffusers_logging

    loggers = [diffusers_logging]
    if has_transformers():
        from transformers.utils import logging as transformers_logging

        loggers.append(transformers_logging)
    before = [(lg, lg.get_verbosity(), lg.is_progress_bar_enabled()) for lg in loggers]
    for lg in loggers:
        lg.set_verbosity_error()
        lg.disable_progress_bar()
    try:
        yield
    finally:
        for lg, verbosity, bars in before:
            lg.set_verbosity(verbosity)
            if bars:
                lg.enable_progress_bar()


def save_memory(pipe: Any) -> None:
    """Turn on attention slicing and the VAE's tiled, sliced decoding where the pipeline
    has them (DiT's transformer has no slicing)."""
    if hasattr(pipe, "enable_attention_slicing"):
        pipe.enable_attention_slicing()
    vae = getattr(pipe, "vae", None) or getattr(pipe, "vqvae", None)
    for name in ("enable_tiling", "enable_slicing"):
        if hasattr(vae, name):
            getattr(vae, name)()


def has_transformers() -> bool:
    """Return True when the transformers package can be imported (text-conditioned
    pipelines need it for their text encoders and tokenizers)."""
    return importlib.util.find_spec("transformers") is not None


def diffusers_class(name: str) -> type:
    """Return diffusers' pipeline or model class `name`, resolved under the import lock."""
    from models.diffusion.imports import diffusers_attr

    cls = diffusers_attr(name)
    if not isinstance(cls, type):
        raise PipelineError(Path(name), "is not a class this diffusers provides")
    return cls


def dtype_kwarg(dtype: Any) -> dict[str, Any]:
    """Return the from_pretrained argument for `dtype`: `dtype` where diffusers has it
    (it deprecates `torch_dtype`, warning on each load), else `torch_dtype`."""
    from diffusers.utils import deprecation_utils

    return {"dtype" if hasattr(deprecation_utils, "_resolve_dtype") else "torch_dtype": dtype}


def _load_controlnet(folder: Path, allow_pickle: bool, dtype: Any) -> Any:
    """Return the ControlNetModel in `folder` (config.json + weights), checked first."""
    folder = Path(folder).expanduser()
    config = folder / "config.json"
    if not config.is_file():
        raise PipelineError(folder, "no config.json: not a ControlNet folder")
    cfg = read_json(config)
    if not isinstance(cfg, dict) or cfg.get("_class_name") != "ControlNetModel":
        name = cfg.get("_class_name") if isinstance(cfg, dict) else None
        raise PipelineError(config, f"is a {name}, not a ControlNetModel")
    if cfg.get("auto_map"):
        raise PipelineError(config, "names code to import (auto_map): Latent Lab never "
                            "runs code from a model folder")
    safe = check_component(folder, "ControlNet", allow_pickle)
    cls = diffusers_class("ControlNetModel")
    with offline(), quiet():
        return cls.from_pretrained(folder, local_files_only=True,
                                   use_safetensors=True if safe else None,
                                   **dtype_kwarg(dtype))


def open_pipeline(folder: Path | str, mode: str | None = None, *,
                  controlnet: Path | str | None = None, allow_pickle: bool = False,
                  device: str = "cpu", dtype: Any = None, low_memory: bool = False
                  ) -> OpenedPipeline:
    """Return the pipeline in `folder` opened in `mode` (default: the folder's own, or
    ControlNet when `controlnet` names a ControlNet folder), on `device`.

    `dtype` defaults to float16 on CUDA and float32 elsewhere. `low_memory` computes
    attention in slices and decodes with the VAE in tiles (and one image at a time), for
    a GPU short of memory: slower, the same pictures within rounding. PipelineError (one line)
    for every refusal: see index.read_index, weights.check_weights, and a text-conditioned
    pipeline without the transformers package.
    """
    import torch

    index = read_index(folder)
    if controlnet is not None:
        mode = mode or CONTROLNET
    mode = mode or index.modes[0]
    index.mode_class(mode)  # refuses a mode the folder does not open in
    if mode == CONTROLNET and controlnet is None and "controlnet" not in index.components:
        raise PipelineError(index.folder, "ControlNet mode needs a ControlNet folder")
    if any(lib == "transformers" for lib, _ in index.components.values()) \
            and not has_transformers():
        raise PipelineError(index.folder / "model_index.json",
                            f"{index.class_name} needs the transformers package for its "
                            f"text encoder: {INSTALL_HINT}")
    safe = check_weights(index.folder, index.spec.components, allow_pickle)
    if dtype is None:
        dtype = torch.float16 if str(device).startswith("cuda") else torch.float32
    skipped = dict.fromkeys(index.skipped)
    extra: dict[str, Any] = {}
    if controlnet is not None:
        extra["controlnet"] = _load_controlnet(Path(controlnet), allow_pickle, dtype)
        if str(device) != "cpu":
            extra["controlnet"] = extra["controlnet"].to(device)
    cls = diffusers_class(index.class_name)
    with offline(), quiet():
        try:
            pipe = cls.from_pretrained(
                index.folder, local_files_only=True, use_safetensors=True if safe else None,
                **dtype_kwarg(dtype), **skipped,
                **(extra if index.class_name == "StableDiffusionControlNetPipeline" else {}))
        except (OSError, ValueError, RuntimeError, TypeError, KeyError, ImportError) as exc:
            reason = str(exc).strip().splitlines()[0] if str(exc).strip() else \
                type(exc).__name__
            raise PipelineError(index.folder, f"cannot be loaded ({reason})") from exc
    if str(device) != "cpu":  # loaded on the CPU; moving there again only warns
        pipe = pipe.to(device)
    pipe.set_progress_bar_config(disable=True)
    if low_memory:
        save_memory(pipe)
    opened = OpenedPipeline(index, index.modes[0], pipe,
                            Path(controlnet).expanduser() if controlnet is not None else None)
    if mode != opened.mode or (mode == CONTROLNET and "controlnet" in extra
                               and index.class_name != "StableDiffusionControlNetPipeline"):
        opened = opened.in_mode(mode, **extra)
    return opened
