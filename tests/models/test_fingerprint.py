"""The weights fingerprint that ties a precomputed picture to the weights it was made from."""

from __future__ import annotations

from pathlib import Path

import pytest

from models.pictures.fingerprint import weights_fingerprint


def _folder(root: Path) -> Path:
    root.mkdir()
    (root / "config.json").write_text('{"family": "vae"}')
    (root / "model.safetensors").write_bytes(bytes(range(256)) * 64)
    (root / "unet").mkdir()
    (root / "unet" / "diffusion_pytorch_model.safetensors").write_bytes(b"\x01" * 1000)
    return root


def test_fingerprint_is_stable_while_the_weights_are(tmp_path: Path) -> None:
    folder = _folder(tmp_path / "ck")
    first = weights_fingerprint(folder)
    assert len(first) == 64 and int(first, 16) >= 0
    # Neither the config nor the precomputed pictures are weights.
    (folder / "config.json").write_text('{"family": "vae", "note": "edited"}')
    (folder / "precomputed").mkdir()
    (folder / "precomputed" / "extra.safetensors").write_bytes(b"not weights")
    assert weights_fingerprint(folder) == first
    # A copy of the folder elsewhere holds the same weights.
    copy = _folder(tmp_path / "copy")
    assert weights_fingerprint(copy) == first


@pytest.mark.parametrize("name", ["model.safetensors", "unet/diffusion_pytorch_model.safetensors"])
def test_one_changed_weight_byte_changes_the_fingerprint(tmp_path: Path, name: str) -> None:
    folder = _folder(tmp_path / "ck")
    before = weights_fingerprint(folder)
    path = folder / name
    data = bytearray(path.read_bytes())
    data[len(data) // 2] ^= 0x01
    path.write_bytes(bytes(data))
    assert weights_fingerprint(folder) != before


def test_a_folder_without_weights_has_no_fingerprint(tmp_path: Path) -> None:
    (tmp_path / "config.json").write_text("{}")
    with pytest.raises(FileNotFoundError, match="no weights"):
        weights_fingerprint(tmp_path)
