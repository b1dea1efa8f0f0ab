"""What a diffusers pipeline folder holds, read from its JSON alone (no torch, no diffusers).

`read_index(folder)` reads model_index.json, decides the pipeline class and the modes the
folder opens in, and refuses — one `PipelineError` line each — a folder that is not a
pipeline, a class Latent Lab does not step through, a component that is missing, and
anything naming code from outside diffusers and transformers (a custom pipeline, a
component from another library, a config with `auto_map`): Latent Lab never imports code
from a model folder.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from models.checkpoint.errors import CheckpointError
from models.checkpoint.json_io import read_json
from models.pipelines.errors import PipelineError

# Modes: what a run starts from. The window's mode choice and the CLI read these.
TEXT2IMG, IMG2IMG, INPAINT, CONTROLNET = "text2img", "img2img", "inpaint", "controlnet"
CLASS2IMG, UNCONDITIONAL = "class2img", "unconditional"
MODE_LABELS = {TEXT2IMG: "Text to image", IMG2IMG: "Image to image", INPAINT: "Inpainting",
               CONTROLNET: "ControlNet", CLASS2IMG: "Class to image",
               UNCONDITIONAL: "Unconditional"}

SD_COMPONENTS = ("unet", "vae", "text_encoder", "tokenizer", "scheduler")
SDXL_COMPONENTS = (*SD_COMPONENTS, "text_encoder_2", "tokenizer_2")


@dataclass(frozen=True)
class PipelineSpec:
    """A pipeline class Latent Lab opens: its components, and the diffusers class each mode
    runs (the first mode is the folder's own; the others come by `from_pipe`)."""

    class_name: str
    family: str  # "sd", "sdxl", "dit", "ldm": which stepper runs it
    components: tuple[str, ...]
    mode_classes: tuple[tuple[str, str], ...]

    @property
    def modes(self) -> tuple[str, ...]:
        """Return the modes, the folder's own first."""
        return tuple(m for m, _ in self.mode_classes)


# ControlNet mode needs a ControlNet folder besides (open_pipeline's `controlnet`).
_SD_MODES = ((TEXT2IMG, "StableDiffusionPipeline"), (IMG2IMG, "StableDiffusionImg2ImgPipeline"),
             (INPAINT, "StableDiffusionInpaintPipeline"),
             (CONTROLNET, "StableDiffusionControlNetPipeline"))


def _first(mode: str, modes: tuple[tuple[str, str], ...]) -> tuple[tuple[str, str], ...]:
    return tuple(sorted(modes, key=lambda m: m[0] != mode))


SUPPORTED: dict[str, PipelineSpec] = {s.class_name: s for s in (
    PipelineSpec("StableDiffusionPipeline", "sd", SD_COMPONENTS, _SD_MODES),
    PipelineSpec("StableDiffusionImg2ImgPipeline", "sd", SD_COMPONENTS,
                 _first(IMG2IMG, _SD_MODES)),
    # An inpainting UNet takes 9 channels (latents, mask, masked image): inpainting only.
    PipelineSpec("StableDiffusionInpaintPipeline", "sd", SD_COMPONENTS,
                 ((INPAINT, "StableDiffusionInpaintPipeline"),)),
    PipelineSpec("StableDiffusionControlNetPipeline", "sd", (*SD_COMPONENTS, "controlnet"),
                 _first(CONTROLNET, _SD_MODES)),
    PipelineSpec("StableDiffusionXLPipeline", "sdxl", SDXL_COMPONENTS,
                 ((TEXT2IMG, "StableDiffusionXLPipeline"),
                  (IMG2IMG, "StableDiffusionXLImg2ImgPipeline"),
                  (INPAINT, "StableDiffusionXLInpaintPipeline"))),
    PipelineSpec("DiTPipeline", "dit", ("transformer", "vae", "scheduler"),
                 ((CLASS2IMG, "DiTPipeline"),)),
    PipelineSpec("LDMPipeline", "ldm", ("vqvae", "unet", "scheduler"),
                 ((UNCONDITIONAL, "LDMPipeline"),)),
)}

# The classes each component may be: anything else is refused, never imported.
COMPONENT_CLASSES: dict[str, frozenset[str]] = {
    "unet": frozenset({"UNet2DConditionModel", "UNet2DModel"}),
    "vae": frozenset({"AutoencoderKL"}),
    "vqvae": frozenset({"VQModel", "AutoencoderKL"}),
    "text_encoder": frozenset({"CLIPTextModel"}),
    "text_encoder_2": frozenset({"CLIPTextModelWithProjection"}),
    "tokenizer": frozenset({"CLIPTokenizer", "CLIPTokenizerFast"}),
    "tokenizer_2": frozenset({"CLIPTokenizer", "CLIPTokenizerFast"}),
    "transformer": frozenset({"DiTTransformer2DModel", "Transformer2DModel"}),
    "controlnet": frozenset({"ControlNetModel"}),
}
# Components a pipeline may list that Latent Lab does not load (passed as None): the safety
# checker and its feature extractor (the step viewer shows every intermediate anyway), and
# IP-Adapter's image encoder.
SKIPPED = ("safety_checker", "feature_extractor", "image_encoder")
LIBRARIES = ("diffusers", "transformers")
_SCHEDULER = re.compile(r"^[A-Z][A-Za-z0-9]*Scheduler$")
# Config keys through which transformers or diffusers would import code from the folder.
CODE_KEYS = ("auto_map", "_custom_pipeline", "custom_pipeline", "trust_remote_code")
# The JSON files of a component folder that may name code.
CONFIG_FILES = ("config.json", "scheduler_config.json", "tokenizer_config.json",
                "preprocessor_config.json")


@dataclass(frozen=True)
class PipelineIndex:
    """A pipeline folder checked from its JSON: class, spec, components (name → (library,
    class)), and the modes it opens in."""

    folder: Path
    class_name: str
    spec: PipelineSpec
    components: dict[str, tuple[str, str]]
    unet_in_channels: int | None = None
    skipped: tuple[str, ...] = ()  # components listed but not loaded (passed as None)

    @property
    def modes(self) -> tuple[str, ...]:
        """Return the modes this folder opens in (its own first)."""
        modes = self.spec.modes
        if self.unet_in_channels == 9:  # an inpainting UNet runs nothing else
            modes = tuple(m for m in modes if m == INPAINT)
        return modes

    def mode_class(self, mode: str) -> str:
        """Return the diffusers pipeline class running `mode`; PipelineError if the folder
        does not open in it."""
        if mode not in self.modes:
            raise PipelineError(self.folder, f"a {self.class_name} folder opens as "
                                f"{', '.join(self.modes)}, not {mode}")
        return dict(self.spec.mode_classes)[mode]


def _names_code(config: Mapping[str, Any]) -> str | None:
    """Return the key of a config naming code to import, or None."""
    return next((k for k in CODE_KEYS if config.get(k)), None)


def _read(path: Path) -> dict[str, Any]:
    """Return a JSON object (bounded read); PipelineError naming the file otherwise."""
    try:
        data = read_json(path)
    except CheckpointError as exc:
        raise PipelineError(exc.path, exc.problem) from exc
    if not isinstance(data, dict):
        raise PipelineError(path, "is not a JSON object")
    return data


def _component(folder: Path, name: str, entry: Any) -> tuple[str, str] | None:
    """Return (library, class) of one model_index entry, None for an empty one; refuse
    code from elsewhere and classes Latent Lab does not load."""
    index = folder / "model_index.json"
    if not isinstance(entry, (list, tuple)) or len(entry) != 2:
        raise PipelineError(index, f"{name} is not a [library, class] pair")
    library, cls = entry
    if (library is None and cls is None) or name in SKIPPED:
        # Never loaded (passed as None), so never imported: SD's safety checker names its
        # own module ("stable_diffusion"), which is diffusers' and harmless, but unused.
        return None
    if library not in LIBRARIES or not isinstance(cls, str):
        raise PipelineError(index, f"{name} comes from {library!r}, not diffusers or "
                            "transformers: custom code, which Latent Lab never runs")
    allowed = COMPONENT_CLASSES.get(name)
    ok = _SCHEDULER.match(cls) is not None and library == "diffusers" if name == "scheduler" \
        else allowed is not None and cls in allowed
    if not ok:
        raise PipelineError(index, f"{name} is a {cls}, which Latent Lab does not load")
    return library, cls


def _check_component_folder(folder: Path, name: str) -> None:
    """Refuse a missing component folder, or one whose config names code."""
    sub = folder / name
    if not sub.is_dir():
        raise PipelineError(sub, f"is missing: the pipeline needs its {name}")
    configs = [sub / f for f in CONFIG_FILES if (sub / f).is_file()]
    if not configs:
        raise PipelineError(sub, f"has no config: the {name} component is incomplete")
    for path in configs:
        key = _names_code(_read(path))
        if key:
            raise PipelineError(path, f"names code to import ({key}): Latent Lab never "
                                "runs code from a model folder")


def read_index(folder: Path | str) -> PipelineIndex:
    """Return the checked index of the pipeline folder `folder` (JSON only, any thread).

    PipelineError (one line naming the file) for: no folder or model_index.json, an
    unsupported class, custom or remote code, a component missing or of a class Latent Lab
    does not load.
    """
    folder = Path(folder).expanduser()
    if not folder.is_dir():
        raise PipelineError(folder, "no such folder")
    path = folder / "model_index.json"
    if not path.is_file():
        raise PipelineError(folder, "no model_index.json: not a diffusers pipeline folder")
    index = _read(path)
    name = index.get("_class_name")
    key = _names_code(index)
    if isinstance(name, (list, tuple)) or key:
        raise PipelineError(path, "names a custom pipeline: Latent Lab never runs code "
                            "from a model folder")
    if not isinstance(name, str) or name not in SUPPORTED:
        raise PipelineError(path, f"is a {name}; Latent Lab opens "
                            f"{', '.join(SUPPORTED)}")
    spec = SUPPORTED[name]
    components: dict[str, tuple[str, str]] = {}
    for part, entry in index.items():
        if part.startswith("_") or not isinstance(entry, (list, tuple)):
            continue  # settings such as requires_safety_checker, DiT's id2label
        found = _component(folder, part, entry)
        if found is not None:
            components[part] = found
    skipped = tuple(p for p in SKIPPED if isinstance(index.get(p), (list, tuple)))
    for part in spec.components:
        if part not in components:
            raise PipelineError(path, f"{name} needs a {part}, and the index names none")
        _check_component_folder(folder, part)
    channels = None
    if "unet" in components:
        channels = _read(folder / "unet" / "config.json").get("in_channels")
    return PipelineIndex(folder, name, spec, components,
                         channels if isinstance(channels, int) else None, skipped)
