"""Diffusers pipeline folders: unet/config.json is checked for types and ranges and against
its weights file's header before a UNet is built; failures are one line naming the file."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from models.checkpoint import CheckpointError, load_checkpoint
from models.diffusion.pipeline_io import load_diffusers_pipeline
from tests.models.checkpoint_files import edit_json, foreign_pipeline, tiny_checkpoint


def one_line(path: Path, name: str, loader: Any) -> str:
    """Return the one-line CheckpointError message loading `path` gives; it names `name`."""
    with pytest.raises(CheckpointError) as err:
        loader(path)
    message = str(err.value)
    assert "\n" not in message and name in message, message
    return message


@pytest.fixture(scope="module")
def ddpm(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tiny_checkpoint(tmp_path_factory.mktemp("ddpm") / "ck", "ddpm")


@pytest.fixture
def foreign(tmp_path: Path, ddpm: Path) -> Path:
    return foreign_pipeline(tmp_path / "p", ddpm)


@pytest.mark.parametrize(("changes", "expect"), [
    ({"block_out_channels": "abc"}, "block_out_channels"),
    ({"block_out_channels": [4, 8.5]}, "block_out_channels"),
    ({"block_out_channels": [4] * 9}, "block_out_channels"),
    ({"layers_per_block": 1000}, "layers_per_block"),
    ({"layers_per_block": "1"}, "layers_per_block"),
    ({"sample_size": [8, 16]}, "sample_size"),
    ({"sample_size": 10**9}, "sample_size"),
    ({"sample_size": 9}, "does not halve"),
    ({"in_channels": "1"}, "in_channels"),
    ({"norm_num_groups": 3}, "not divisible"),
    ({"down_block_types": ["DownBlock2D"]}, "down_block_types"),
    ({"time_embedding_dim": 10**9}, "time_embedding_dim"),
    ({"num_train_timesteps": 10**12}, "num_train_timesteps"),
    ({"attention_head_dim": -1}, "attention_head_dim"),
    ({"add_attention": "yes"}, "add_attention"),
    ({"time_embedding_type": "x"}, "time_embedding_type"),
])
def test_a_badly_typed_or_oversized_unet_config_is_refused(
        foreign: Path, changes: dict[str, Any], expect: str) -> None:
    edit_json(foreign / "unet" / "config.json", **changes)
    assert expect in one_line(foreign, "unet/config.json", load_diffusers_pipeline)


def test_nan_or_a_list_as_unet_config_is_refused(foreign: Path) -> None:
    cfg = foreign / "unet" / "config.json"
    text = cfg.read_text()
    cfg.write_text(text.replace('"norm_eps": 1e-05', '"norm_eps": NaN'))
    assert "NaN" in cfg.read_text()
    assert "not valid JSON" in one_line(foreign, "unet/config.json", load_diffusers_pipeline)
    cfg.write_text("[1, 2]")
    one_line(foreign, "unet/config.json", load_diffusers_pipeline)


def test_a_model_index_without_a_unet_list_is_refused(foreign: Path) -> None:
    edit_json(foreign / "model_index.json", unet=3)
    assert "UNet2DModel" in one_line(foreign, "model_index.json", load_diffusers_pipeline)


def test_pickled_unet_weights_are_refused_in_our_checkpoints_too(tmp_path: Path) -> None:
    folder = tiny_checkpoint(tmp_path / "ck", "ddpm")
    (folder / "unet" / "diffusion_pytorch_model.safetensors").unlink()
    (folder / "unet" / "diffusion_pytorch_model.bin").write_bytes(b"\x80\x04pickle")
    assert "never unpickles" in one_line(folder, "unet", load_checkpoint)


def test_a_unet_whose_classes_do_not_fit_config_json_is_refused(tmp_path: Path) -> None:
    folder = tiny_checkpoint(tmp_path / "ck", "cddpm")  # 3 classes: 4 embeddings
    edit_json(folder / "unet" / "config.json", num_class_embeds=1000)
    assert "class embeddings" in one_line(folder, "unet/config.json", load_checkpoint)
    edit_json(folder / "unet" / "config.json", num_class_embeds=4, in_channels=3)
    assert "channels" in one_line(folder, "unet/config.json", load_checkpoint)


def test_extra_state_of_the_wrong_shapes_is_refused(tmp_path: Path) -> None:
    from safetensors.torch import load_file, save_file

    folder = tiny_checkpoint(tmp_path / "ck", "ddpm")
    extra_path = folder / "latentlab_state.safetensors"
    extra = load_file(str(extra_path))
    online = next(k for k in extra if k.startswith("online."))
    save_file({**extra, online: extra[online][:1].contiguous()}, str(extra_path))
    assert "does not match" in one_line(folder, "latentlab_state", load_checkpoint)
    save_file({**extra, "loss_by_t_sum": extra["loss_by_t_sum"][:3].contiguous()},
              str(extra_path))
    assert "loss_by_t_sum" in one_line(folder, "latentlab_state", load_checkpoint)


@pytest.mark.parametrize(("key", "value"), [("beta_schedule", ["linear"]),
                                            ("clip_sample", "yes"), ("variance_type", 5),
                                            ("num_train_timesteps", 1000.5)])
def test_a_scheduler_key_of_the_wrong_type_is_one_line_naming_the_file(
        tmp_path: Path, key: str, value: object) -> None:
    import json

    from models.diffusion.scheduler_config import read_scheduler_config

    path = tmp_path / "scheduler" / "scheduler_config.json"
    path.parent.mkdir()
    path.write_text(json.dumps({"_class_name": "DDPMScheduler", "beta_schedule": "linear",
                                key: value}))
    with pytest.raises(CheckpointError, match=key) as info:
        read_scheduler_config(tmp_path)
    assert "scheduler_config.json" in str(info.value)
