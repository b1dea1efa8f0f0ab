"""The precomputed latent map file: round trip, weights check, refusals, atomic writes."""

from __future__ import annotations

import io
import json
import logging
import zipfile
from collections.abc import Callable
from pathlib import Path

import numpy as np
import pytest

from models.latent.map_contents import MapContents
from models.pictures.fingerprint import weights_fingerprint
from models.pictures.map_file import (
    MAX_POINTS,
    MapFileError,
    PrecomputedMap,
    load_map,
    map_path,
    save_map,
)

N, D = 50, 3
NAMES = tuple("abcd")


def _checkpoint(root: Path) -> Path:
    root.mkdir()
    (root / "config.json").write_text("{}")
    (root / "model.safetensors").write_bytes(bytes(range(256)) * 4)
    return root


def _map(checkpoint: Path, n: int = N) -> PrecomputedMap:
    rng = np.random.default_rng(0)
    contents = MapContents(
        "vae", 7, "mnist5k", NAMES, rng.normal(size=(n, D)).astype(np.float32),
        rng.integers(-1, len(NAMES), n).astype(np.int64),
        rng.integers(0, 256, (n, 6, 5, 1)).astype(np.uint8), False, False, True,
        "a note", rng.random(D).astype(np.float32))
    projections = {"t-SNE": rng.normal(size=(n, 2)).astype(np.float32),
                   "UMAP": rng.normal(size=(n, 2)).astype(np.float32)}
    return PrecomputedMap(contents, weights_fingerprint(checkpoint), projections)


def _write_raw(path: Path, arrays: dict[str, np.ndarray], allow_pickle: bool = False) -> None:
    """Write an npz exactly as given (bypassing save_map's checks)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as zf:
        for key, value in arrays.items():
            buf = io.BytesIO()
            np.lib.format.write_array(buf, value, allow_pickle=allow_pickle)
            zf.writestr(f"{key}.npy", buf.getvalue())


def _saved_arrays(checkpoint: Path) -> dict[str, np.ndarray]:
    with np.load(map_path(checkpoint), allow_pickle=False) as f:
        return {k: f[k] for k in f.files}


def test_a_saved_map_loads_back_unchanged(tmp_path: Path) -> None:
    ck = _checkpoint(tmp_path / "ck")
    pm = _map(ck)
    path = save_map(ck, pm)
    assert path == ck / "precomputed" / "map.npz" and path.is_file()
    back = load_map(ck)
    assert back is not None and back.fingerprint == pm.fingerprint
    a, b = pm.contents, back.contents
    assert (b.family, b.epoch, b.dataset, b.class_names, b.generated, b.conditional,
            b.has_prior, b.labels_note) == (a.family, a.epoch, a.dataset, a.class_names,
                                            a.generated, a.conditional, a.has_prior,
                                            a.labels_note)
    for name in ("means", "labels", "images", "kl_per_dim"):
        got, want = getattr(b, name), getattr(a, name)
        assert got.dtype == want.dtype
        np.testing.assert_array_equal(got, want)
    assert sorted(back.projections) == ["UMAP", "t-SNE"]
    for method, positions in pm.projections.items():
        np.testing.assert_array_equal(back.projections[method], positions)


def test_a_generated_map_without_kl_or_projections_round_trips(tmp_path: Path) -> None:
    ck = _checkpoint(tmp_path / "ck")
    pm = _map(ck)
    c = pm.contents
    gen = MapContents(c.family, c.epoch, c.dataset, c.class_names, c.means, c.labels,
                      c.images, True, False, False, "", None)
    save_map(ck, PrecomputedMap(gen, pm.fingerprint))
    back = load_map(ck)
    assert back is not None and back.contents.kl_per_dim is None and back.projections == {}
    assert back.contents.generated


def test_no_file_gives_none_without_a_word(tmp_path: Path, caplog) -> None:
    ck = _checkpoint(tmp_path / "ck")
    with caplog.at_level(logging.INFO):
        assert load_map(ck) is None
    assert caplog.text == ""


def test_retrained_weights_make_the_map_stale(tmp_path: Path, caplog) -> None:
    ck = _checkpoint(tmp_path / "ck")
    save_map(ck, _map(ck))
    data = bytearray((ck / "model.safetensors").read_bytes())
    data[10] ^= 0xFF
    (ck / "model.safetensors").write_bytes(bytes(data))
    with caplog.at_level(logging.INFO):
        assert load_map(ck) is None
    assert "other weights" in caplog.text


def _mutate(key: str, value: Callable[[dict[str, np.ndarray]], object]
            ) -> Callable[[dict[str, np.ndarray]], None]:
    def apply(arrays: dict[str, np.ndarray]) -> None:
        arrays[key] = value(arrays)
    return apply


def _meta_edit(**changes: object) -> Callable[[dict[str, np.ndarray]], None]:
    def apply(arrays: dict[str, np.ndarray]) -> None:
        meta = json.loads(str(arrays["meta"]))
        meta.update(changes)
        arrays["meta"] = np.array(json.dumps(meta))
    return apply


def _too_many_points(arrays: dict[str, np.ndarray]) -> None:
    n = MAX_POINTS + 1
    arrays.update(means=np.zeros((n, D), np.float32), labels=np.zeros(n, np.int64),
                  images=np.zeros((n, 1, 1, 1), np.uint8),
                  projection_0=np.zeros((n, 2), np.float32),
                  projection_1=np.zeros((n, 2), np.float32))


BAD = {
    "NaN positions": (_mutate("projection_0", lambda a: np.where(
        np.arange(N)[:, None] == 3, np.nan, a["projection_0"]).astype(np.float32)), "NaN"),
    "infinite latents": (_mutate("means", lambda a: np.full((N, D), np.inf, np.float32)),
                         "NaN or infinite"),
    "float64 latents": (_mutate("means", lambda a: a["means"].astype(np.float64)),
                        "float32"),
    "int32 labels": (_mutate("labels", lambda a: a["labels"].astype(np.int32)), "labels"),
    "too few labels": (_mutate("labels", lambda a: a["labels"][:-1]), "labels"),
    "labels past the classes": (_mutate("labels", lambda a: np.full(N, 9, np.int64)),
                                "labels outside"),
    "float images": (_mutate("images", lambda a: a["images"].astype(np.float32)), "images"),
    "3-D images": (_mutate("images", lambda a: a["images"][..., 0]), "images"),
    "positions of other points": (_mutate("projection_1", lambda a: a["projection_1"][:5]),
                                  "projection_1"),
    "too many points": (_too_many_points, "out of bounds"),
    "an unknown method": (_meta_edit(projections=["t-SNE", "magic"]), "projections"),
    "another format": (_meta_edit(format="something"), "format"),
    "a text epoch": (_meta_edit(epoch="7"), "epoch"),
    "a missing array": (lambda a: a.pop("images"), "expected"),
    "an extra array": (_mutate("surprise", lambda a: np.zeros(3)), "expected"),
    "meta as bytes": (_mutate("meta", lambda a: np.frombuffer(b"{}", np.uint8)), "meta"),
}


@pytest.mark.parametrize("case", sorted(BAD))
def test_a_bad_file_is_refused_with_one_logged_reason(tmp_path: Path, caplog,
                                                      case: str) -> None:
    ck = _checkpoint(tmp_path / "ck")
    save_map(ck, _map(ck))
    arrays = _saved_arrays(ck)
    change, reason = BAD[case]
    change(arrays)
    _write_raw(map_path(ck), arrays)
    with caplog.at_level(logging.INFO):
        assert load_map(ck) is None
    refusals = [r for r in caplog.records if "refused" in r.getMessage()]
    assert len(refusals) == 1 and reason in refusals[0].getMessage()


def test_a_pickled_array_is_refused_never_unpickled(tmp_path: Path, caplog) -> None:
    ck = _checkpoint(tmp_path / "ck")
    save_map(ck, _map(ck))
    arrays = _saved_arrays(ck)
    arrays["means"] = np.array([object()] * N, dtype=object)
    _write_raw(map_path(ck), arrays, allow_pickle=True)
    with caplog.at_level(logging.WARNING):
        assert load_map(ck) is None
    assert "object array" in caplog.text


@pytest.mark.parametrize("payload", [b"", b"PK\x03\x04 not really a zip", b"\x00" * 4096])
def test_a_corrupt_file_is_refused(tmp_path: Path, caplog, payload: bytes) -> None:
    ck = _checkpoint(tmp_path / "ck")
    map_path(ck).parent.mkdir()
    map_path(ck).write_bytes(payload)
    with caplog.at_level(logging.WARNING):
        assert load_map(ck) is None
    assert "refused" in caplog.text


def test_a_truncated_file_is_refused(tmp_path: Path, caplog) -> None:
    ck = _checkpoint(tmp_path / "ck")
    path = save_map(ck, _map(ck))
    path.write_bytes(path.read_bytes()[: path.stat().st_size // 2])
    with caplog.at_level(logging.WARNING):
        assert load_map(ck) is None
    assert "refused" in caplog.text


def test_damaged_compressed_data_is_refused(tmp_path: Path, caplog) -> None:
    ck = _checkpoint(tmp_path / "ck")
    path = save_map(ck, _map(ck, n=2000))
    with zipfile.ZipFile(path) as zf:
        info = zf.getinfo("images.npy")
        start = info.header_offset + 30 + len(info.filename) + len(info.extra)
    data = bytearray(path.read_bytes())
    for i in range(start + 200, start + 260):
        data[i] ^= 0x5A
    path.write_bytes(bytes(data))
    with caplog.at_level(logging.WARNING):
        assert load_map(ck) is None
    assert "refused" in caplog.text


def test_save_refuses_a_map_that_would_not_load(tmp_path: Path) -> None:
    ck = _checkpoint(tmp_path / "ck")
    pm = _map(ck)
    pm.projections["t-SNE"][0, 0] = np.nan
    with pytest.raises(MapFileError, match="NaN"):
        save_map(ck, pm)
    assert not map_path(ck).exists()


def test_a_failed_write_keeps_the_previous_file_and_leaves_no_temp(tmp_path: Path,
                                                                   monkeypatch) -> None:
    ck = _checkpoint(tmp_path / "ck")
    path = save_map(ck, _map(ck))
    before = path.read_bytes()

    def dies_half_way(file, **arrays) -> None:
        file.write(b"PK\x03\x04 half a zip")
        raise OSError("disk full")

    monkeypatch.setattr(np, "savez_compressed", dies_half_way)
    with pytest.raises(OSError, match="disk full"):
        save_map(ck, _map(ck, n=N + 1))
    assert path.read_bytes() == before
    assert sorted(p.name for p in path.parent.iterdir()) == ["map.npz"]
    monkeypatch.undo()
    assert load_map(ck) is not None
