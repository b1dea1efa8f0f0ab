"""Which weight files a pipeline folder's components hold: safetensors, or pickles only.

Loading a `.bin`, `.pt` or `.ckpt` file runs Python's unpickler, which can run any code the
file names. Latent Lab loads safetensors; a component with pickles only is refused unless
the caller passes `allow_pickle=True` (never a default, anywhere).
"""

from __future__ import annotations

from pathlib import Path

from models.pipelines.errors import PipelineError

# Components holding weights (the tokenizer and scheduler hold none).
WEIGHTED = ("unet", "vae", "vqvae", "text_encoder", "text_encoder_2", "transformer",
            "controlnet")
PICKLE_SUFFIXES = (".bin", ".pt", ".pth", ".ckpt", ".pkl")


def _has_safetensors(folder: Path) -> bool:
    return any(p.name.endswith((".safetensors", ".safetensors.index.json"))
               for p in folder.iterdir())


def _has_pickles(folder: Path) -> bool:
    return any(p.name.endswith(PICKLE_SUFFIXES) or p.name.endswith(".bin.index.json")
               for p in folder.iterdir())


def check_component(folder: Path, name: str, allow_pickle: bool = False) -> bool:
    """Return True when the component folder `folder` holds safetensors, False when it
    holds pickles only and `allow_pickle` is set. PipelineError naming the folder for
    pickles only without `allow_pickle`, or no weights at all."""
    if _has_safetensors(folder):
        return True
    if not _has_pickles(folder):
        raise PipelineError(folder, f"holds no weights: the {name} component is incomplete")
    if not allow_pickle:
        raise PipelineError(folder, "holds only pickled weights (.bin); Latent Lab loads "
                            "safetensors and unpickles only when explicitly allowed "
                            "(allow_pickle, --allow-pickle)")
    return False


def check_weights(folder: Path, components: tuple[str, ...], allow_pickle: bool = False
                  ) -> bool:
    """Return True when every weighted component of `components` in `folder` has
    safetensors (load with use_safetensors=True), False when some have pickles only and
    `allow_pickle` is set (diffusers then picks per component); see check_component."""
    results = [check_component(folder / name, name, allow_pickle)
               for name in components if name in WEIGHTED]
    return all(results)
