"""Every expected checkpoint-loading failure is one CheckpointError line naming the file:
malformed safetensors headers, wrongly typed or non-finite config.json values, weights of
the wrong kind, constructors that refuse a config."""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

import pytest

from models.checkpoint import CheckpointError, load_checkpoint
from models.checkpoint.header import read_header
from models.checkpoint.safetensors_io import MAX_JSON_BYTES
from models.opened import open_model
from tests.models.checkpoint_files import edit_json, edit_model, tiny_checkpoint, write_safetensors


def one_line(path: Path, name: str, loader: Any = load_checkpoint) -> str:
    """Return the message of the CheckpointError loading `path` raises, checking it is one
    line naming file `name`."""
    with pytest.raises(CheckpointError) as err:
        loader(path)
    message = str(err.value)
    assert "\n" not in message and name in message, message
    return message


@pytest.fixture
def vae(tmp_path: Path) -> Path:
    return tiny_checkpoint(tmp_path / "vae", "vae")


GOOD = {"a": {"dtype": "F32", "shape": [2], "data_offsets": [0, 8]}}


@pytest.mark.parametrize(("header", "data", "length", "expect"), [
    (b"", b"\xff" * 64, 2**64 - 1, "limit is"),  # garbage: a header length of ~2^64
    (GOOD, b"\0" * 8, 10_000, "runs past"),  # header length larger than the file
    (b"not json at all", b"", None, "not valid JSON"),
    (b'{"a": NaN}', b"", None, "not valid JSON"),
    ([1, 2], b"", None, "not a JSON object"),
    ({"a": {"dtype": "F33", "shape": [2], "data_offsets": [0, 8]}}, b"\0" * 8, None, "dtype"),
    ({"a": {"dtype": "F32", "shape": [-2], "data_offsets": [0, 8]}}, b"\0" * 8, None, "shape"),
    ({"a": {"dtype": "F32", "shape": [3], "data_offsets": [0, 8]}}, b"\0" * 8, None,
     "does not fit"),
    (GOOD, b"\0" * 4, None, "lies outside the file"),  # truncated data
    ({**GOOD, "b": {"dtype": "F32", "shape": [2], "data_offsets": [0, 8]}}, b"\0" * 8, None,
     "overlap"),
])
def test_malformed_safetensors_headers_are_refused_naming_the_file(
        tmp_path: Path, header: Any, data: bytes, length: int | None, expect: str) -> None:
    path = write_safetensors(tmp_path / "w.safetensors", header, data, length)
    with pytest.raises(CheckpointError, match=expect) as err:
        read_header(path)
    assert str(err.value).startswith(str(path)) and "\n" not in str(err.value)


def test_a_truncated_weights_file_is_refused_before_the_model_is_built(vae: Path) -> None:
    weights = vae / "model.safetensors"
    weights.write_bytes(weights.read_bytes()[:1000])
    assert "lies outside the file" in one_line(vae, "model.safetensors")
    weights.write_bytes(b"\x05\0")
    assert "truncated" in one_line(vae, "model.safetensors")


@pytest.mark.parametrize("literal", ["NaN", "Infinity", "-Infinity", "1e999"])
def test_non_finite_numbers_in_config_json_are_refused(vae: Path, literal: str) -> None:
    cfg = vae / "config.json"
    text = cfg.read_text()
    assert '"beta": 1.0' in text
    cfg.write_text(text.replace('"beta": 1.0', f'"beta": {literal}'))
    assert "not valid JSON" in one_line(vae, "config.json")


@pytest.mark.parametrize("changes", [
    {"model": [1, 2]}, {"family": ["vae"]}, {"data": "mnist5k"}, {"train": [1]},
    {"format_version": "1"},
    {"class_names": 5}, {"class_names": [1, 2]}, {"progress": [1]},
    {"progress": {"epoch": "three"}}, {"progress": {"step": 1.5}},
    {"progress": {"val_metrics": [1]}},
])
def test_wrongly_typed_config_json_is_refused(vae: Path, changes: dict[str, Any]) -> None:
    edit_json(vae / "config.json", **changes)
    one_line(vae, "config.json")
    one_line(vae, "config.json", open_model)


@pytest.mark.parametrize("changes", [
    {"latent_dim": 2.5}, {"latent_dim": "2"}, {"latent_dim": True}, {"latent_dim": 10**30},
    {"hidden_dims": "8"}, {"hidden_dims": 8}, {"hidden_dims": [8.5]}, {"hidden_dims": [1] * 65},
    {"likelihood": 3}, {"beta": "1"}, {"channels": None},
])
def test_wrongly_typed_model_fields_are_refused(vae: Path, changes: dict[str, Any]) -> None:
    edit_model(vae, **changes)
    assert next(iter(changes)) in one_line(vae, "config.json")


def test_a_config_json_larger_than_any_settings_file_is_refused(vae: Path) -> None:
    (vae / "config.json").write_bytes(b" " * (MAX_JSON_BYTES + 1))
    assert "larger than" in one_line(vae, "config.json")


def test_missing_model_settings_do_not_match_the_weights(vae: Path) -> None:
    cfg = json.loads((vae / "config.json").read_text())
    del cfg["model"]
    (vae / "config.json").write_text(json.dumps(cfg))
    assert "does not match config.json" in one_line(vae, "model.safetensors")


def test_a_shape_mismatch_names_the_first_offending_tensor(vae: Path) -> None:
    edit_model(vae, latent_dim=5)
    msg = one_line(vae, "model.safetensors")
    assert re.search(r"shape of [\w.]+ is \(2,\), config needs \(5,\)", msg)


def test_integer_weights_for_float_parameters_are_refused(vae: Path) -> None:
    from safetensors.torch import load_file, save_file

    weights = vae / "model.safetensors"
    state = load_file(str(weights))
    first = next(iter(state))
    state[first] = state[first].int()
    save_file(state, str(weights))
    assert f"tensor {first} is I32" in one_line(vae, "model.safetensors")


def test_a_model_far_larger_than_its_file_is_refused(vae: Path) -> None:
    from safetensors.torch import load_file

    weights = vae / "model.safetensors"
    state = load_file(str(weights))
    header, at = {}, 0
    for k, t in state.items():  # one byte per value: a quarter of what float32 needs
        header[k] = {"dtype": "F8_E4M3", "shape": list(t.shape),
                     "data_offsets": [at, at + t.numel()]}
        at += t.numel()
    write_safetensors(weights, header, b"\0" * at)
    assert "describes" in one_line(vae, "model.safetensors")


def test_a_constructor_refusing_the_config_is_a_checkpoint_error(
        vae: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from models.autoencoders.mlp import VAE

    def refuse(self: VAE, config: object) -> None:
        raise AssertionError("levels do not fit")

    monkeypatch.setattr(VAE, "__init__", refuse)
    assert "levels do not fit" in one_line(vae, "config.json")


def saved_with_training_state(folder: Path) -> Path:
    """Return a vae checkpoint saved with one Adam step's optimiser and RNG state."""
    import torch

    from models.checkpoint import save_checkpoint
    from models.checkpoint.train_state import capture_rng, flatten_optimizers
    from models.config import TrainConfig
    from models.registry import build_model, config_class

    model = build_model("vae", config_class("vae")(latent_dim=2, hidden_dims=(8,)))
    opts = model.configure_optimizers(TrainConfig())
    for p in model.parameters():  # a step with zero gradients: Adam state, same weights
        p.grad = torch.zeros_like(p)
    opts["model"].step()
    tensors, meta = flatten_optimizers(opts)
    return save_checkpoint(folder, model, train_tensors={**tensors, **capture_rng()},
                           train_json={"optimizers": meta})


@pytest.mark.parametrize(("optimizers", "expect"), [
    ([1], "no optimizers"),
    ({"model": {"param_groups": [{"params": ["a"]}], "scalars": {}, "param_ids": []}},
     "param_groups"),
    ({"model": {"param_groups": [], "scalars": {}, "param_ids": ["x"]}}, "param_ids"),
    ({"model": {"param_groups": [], "scalars": {"0": 1}, "param_ids": []}}, "scalars"),
])
def test_a_malformed_training_state_json_is_refused(
        tmp_path: Path, optimizers: Any, expect: str) -> None:
    folder = saved_with_training_state(tmp_path / "ck")
    assert load_checkpoint(folder, with_training_state=True).train_tensors
    (folder / "training_state.json").write_text(json.dumps({"optimizers": optimizers}))
    with pytest.raises(CheckpointError, match=expect) as err:
        load_checkpoint(folder, with_training_state=True)
    assert "training_state.json" in str(err.value)


def test_a_wrong_rng_state_is_refused(tmp_path: Path) -> None:
    import torch
    from safetensors.torch import load_file, save_file

    folder = saved_with_training_state(tmp_path / "ck")
    path = folder / "training_state.safetensors"
    tensors = load_file(str(path))
    save_file({**tensors, "rng/cpu": torch.zeros(3, dtype=torch.uint8)}, str(path))
    with pytest.raises(CheckpointError, match="rng/cpu") as err:
        load_checkpoint(folder, with_training_state=True)
    assert "training_state.safetensors" in str(err.value)
