"""Opening local pipeline folders offline, and the one-line refusals."""

from __future__ import annotations

import json
import socket
from pathlib import Path

import pytest

from models.pipelines.errors import PipelineError
from models.pipelines.index import CONTROLNET, IMG2IMG, INPAINT, TEXT2IMG, read_index
from models.pipelines.opening import open_pipeline

pytestmark = pytest.mark.usefixtures("one_thread")


def _edit_json(path: Path, **changes: object) -> None:
    data = json.loads(path.read_text())
    data.update(changes)
    path.write_text(json.dumps(data))


def _refusal(folder: Path, **options: object) -> str:
    with pytest.raises(PipelineError) as err:
        open_pipeline(folder, **options)
    message = str(err.value)
    assert "\n" not in message
    return message


def test_sd_folder_opens_in_text_image_and_inpainting_modes_sharing_weights(
        sd_folder: Path) -> None:
    opened = open_pipeline(sd_folder)
    assert opened.mode == TEXT2IMG
    assert opened.index.modes == (TEXT2IMG, IMG2IMG, INPAINT, CONTROLNET)
    assert type(opened.pipe).__name__ == "StableDiffusionPipeline"
    img2img = opened.in_mode(IMG2IMG)
    assert type(img2img.pipe).__name__ == "StableDiffusionImg2ImgPipeline"
    assert img2img.pipe.unet is opened.pipe.unet  # from_pipe: nothing loaded again
    inpaint = open_pipeline(sd_folder, INPAINT)
    assert type(inpaint.pipe).__name__ == "StableDiffusionInpaintPipeline"
    with pytest.raises(PipelineError, match="opens as"):
        opened.in_mode("class2img")


def test_opening_and_sampling_never_touch_the_network(sd_folder: Path,
                                                      monkeypatch: pytest.MonkeyPatch) -> None:
    from models.pipelines.stepper import TextRequest, run_pipeline

    def refuse(*args: object, **kwargs: object) -> None:
        raise AssertionError("a socket was connected")

    monkeypatch.setattr(socket.socket, "connect", refuse)
    monkeypatch.setattr(socket.socket, "connect_ex", refuse)
    monkeypatch.delenv("HF_HUB_OFFLINE", raising=False)
    opened = open_pipeline(sd_folder)
    events = list(run_pipeline(opened, TextRequest("a cat", steps=2)))
    assert events[-1].pixels.decoded.shape == (1, 3, 16, 16)


def test_offline_flag_is_on_while_loading_and_restored_after(
        sd_folder: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    import huggingface_hub.constants as hub
    from diffusers import StableDiffusionPipeline

    seen = []
    original = StableDiffusionPipeline.from_pretrained.__func__

    def spy(cls: type, *args: object, **kwargs: object) -> object:
        import os

        seen.append((os.environ.get("HF_HUB_OFFLINE"), hub.HF_HUB_OFFLINE, kwargs))
        return original(cls, *args, **kwargs)

    monkeypatch.setattr(StableDiffusionPipeline, "from_pretrained", classmethod(spy))
    monkeypatch.delenv("HF_HUB_OFFLINE", raising=False)
    before = hub.HF_HUB_OFFLINE
    open_pipeline(sd_folder)
    env, constant, kwargs = seen[0]
    assert env == "1" and constant is True
    assert kwargs["local_files_only"] is True and kwargs["use_safetensors"] is True
    assert "trust_remote_code" not in kwargs and "custom_pipeline" not in kwargs
    assert hub.HF_HUB_OFFLINE == before


def test_a_missing_component_is_named(sd_copy: Path) -> None:
    import shutil

    index_path = sd_copy / "model_index.json"
    index = json.loads(index_path.read_text())
    index_path.write_text(json.dumps({k: v for k, v in index.items() if k != "text_encoder"}))
    assert "needs a text_encoder" in _refusal(sd_copy)
    index_path.write_text(json.dumps(index))
    shutil.rmtree(sd_copy / "vae")
    message = _refusal(sd_copy)
    assert "vae" in message and "missing" in message


def test_a_folder_that_is_not_a_pipeline_is_refused(tmp_path: Path) -> None:
    assert "no such folder" in _refusal(tmp_path / "nowhere")
    assert "model_index.json" in _refusal(tmp_path)


def test_an_unsupported_pipeline_class_is_refused(sd_copy: Path) -> None:
    _edit_json(sd_copy / "model_index.json", _class_name="KandinskyV22Pipeline")
    message = _refusal(sd_copy)
    assert "KandinskyV22Pipeline" in message and "StableDiffusionPipeline" in message
    for odd in ({"a": 1}, 7, None):
        _edit_json(sd_copy / "model_index.json", _class_name=odd)
        assert "Latent Lab opens" in _refusal(sd_copy)


@pytest.mark.parametrize("where", ["pipeline", "component", "auto_map"])
def test_custom_code_is_refused_and_never_imported(sd_copy: Path, where: str) -> None:
    marker = sd_copy / "imported"
    for name in ("my_pipeline.py", "my_unet.py"):
        (sd_copy / name).write_text(f"open({str(marker)!r}, 'w').close()\n")
    if where == "pipeline":
        _edit_json(sd_copy / "model_index.json", _class_name=["my_pipeline", "MyPipeline"])
    elif where == "component":
        _edit_json(sd_copy / "model_index.json", unet=["my_unet", "MyUNet"])
    else:
        _edit_json(sd_copy / "text_encoder" / "config.json",
                   auto_map={"AutoModel": "my_unet.MyModel"})
    message = _refusal(sd_copy)
    assert "code" in message
    assert not marker.exists()


def test_pickled_weights_are_refused_unless_explicitly_allowed(sd_copy: Path) -> None:
    import torch
    from safetensors.torch import load_file

    unet = sd_copy / "unet"
    weights = load_file(str(unet / "diffusion_pytorch_model.safetensors"))
    (unet / "diffusion_pytorch_model.safetensors").unlink()
    torch.save(weights, unet / "diffusion_pytorch_model.bin")
    message = _refusal(sd_copy)
    assert "unet" in message and "pickled" in message
    opened = open_pipeline(sd_copy, allow_pickle=True)
    assert torch.equal(opened.pipe.unet.conv_in.weight, weights["conv_in.weight"])


def test_a_text_pipeline_without_transformers_says_what_to_install(
        sd_folder: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from models.pipelines import opening

    monkeypatch.setattr(opening, "has_transformers", lambda: False)
    message = _refusal(sd_folder)
    assert "transformers" in message and "pip install" in message


def test_index_reads_without_torch_modules_being_needed(sd_folder: Path) -> None:
    index = read_index(sd_folder)
    assert index.class_name == "StableDiffusionPipeline"
    assert index.components["text_encoder"] == ("transformers", "CLIPTextModel")
    assert index.unet_in_channels == 4


def test_low_memory_slices_attention_and_tiles_the_vae_for_the_same_picture(
        sd_folder: Path) -> None:
    import numpy as np

    from models.pipelines.stepper import TextRequest, run_pipeline

    request = TextRequest("a cat", seed=1, steps=2, sampler="ddim")
    plain = list(run_pipeline(open_pipeline(sd_folder), request))[-1].pixels.decoded
    small = open_pipeline(sd_folder, low_memory=True)
    assert small.pipe.vae.use_tiling and small.pipe.vae.use_slicing
    sliced = list(run_pipeline(small, request))[-1].pixels.decoded
    assert np.abs(sliced - plain).max() <= 1e-4


def test_a_controlnet_pipeline_folder_opens_in_controlnet_mode(sd_folder: Path,
                                                                tmp_path: Path) -> None:
    from diffusers import StableDiffusionControlNetPipeline

    from tests.models.pipelines.tiny import tiny_controlnet

    base = open_pipeline(sd_folder).pipe
    net = tiny_controlnet(tmp_path / "cn", base.unet)
    StableDiffusionControlNetPipeline.from_pipe(base, controlnet=net).save_pretrained(
        tmp_path / "sd-cn", safe_serialization=True)
    opened = open_pipeline(tmp_path / "sd-cn")
    assert opened.mode == CONTROLNET and opened.index.modes[0] == CONTROLNET
    assert type(opened.pipe).__name__ == "StableDiffusionControlNetPipeline"
    assert type(opened.in_mode(TEXT2IMG).pipe).__name__ == "StableDiffusionPipeline"


def test_a_listed_safety_checker_is_not_loaded(sd_copy: Path) -> None:
    # As Stable Diffusion 1.5's own folders list them, with no weights here to load.
    _edit_json(sd_copy / "model_index.json",
               safety_checker=["stable_diffusion", "StableDiffusionSafetyChecker"],
               feature_extractor=["transformers", "CLIPImageProcessor"],
               requires_safety_checker=True)
    index = read_index(sd_copy)
    assert {"safety_checker", "feature_extractor"} <= set(index.skipped)
    assert "safety_checker" not in index.components
    opened = open_pipeline(sd_copy)
    assert opened.pipe.safety_checker is None and opened.pipe.feature_extractor is None


def test_an_inference_copy_shares_no_module_and_draws_the_same_image(sd_folder: Path) -> None:
    import numpy as np

    from models.pipelines.stepper import TextRequest, run_pipeline

    opened = open_pipeline(sd_folder)
    copy = opened.inference_copy()
    assert copy.pipe.unet is not opened.pipe.unet
    assert copy.pipe.unet.conv_in.weight.data_ptr() != opened.pipe.unet.conv_in.weight.data_ptr()
    request = TextRequest("a cat", seed=2, steps=2, sampler="ddim")
    ours, theirs = (list(run_pipeline(p, request))[-1].pixels.decoded for p in (opened, copy))
    assert np.array_equal(ours, theirs)
