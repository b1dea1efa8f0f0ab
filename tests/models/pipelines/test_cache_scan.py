"""Models on this computer: pipelines found in a Hugging Face cache laid out by hand."""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import socket
from pathlib import Path

import pytest

from models.pipelines.cache import find_cached_pipelines
from models.pipelines.index import CONTROLNET, IMG2IMG, INPAINT, TEXT2IMG


def _add_snapshot(cache: Path, repo: str, source: Path, commit: str,
                  ref: str | None = "main", kind: str = "models") -> Path:
    """Lay `source`'s files into the hub cache's structure: blobs named by their hash,
    snapshots/<commit>/… as relative links to them, refs/<ref> holding the commit."""
    root = cache / f"{kind}--{repo.replace('/', '--')}"
    snapshot = root / "snapshots" / commit
    for file in sorted(p for p in source.rglob("*") if p.is_file()):
        data = file.read_bytes()
        blob = root / "blobs" / hashlib.sha256(data).hexdigest()
        blob.parent.mkdir(parents=True, exist_ok=True)
        blob.write_bytes(data)
        link = snapshot / file.relative_to(source)
        link.parent.mkdir(parents=True, exist_ok=True)
        link.symlink_to(os.path.relpath(blob, link.parent))
    if ref is not None:
        (root / "refs").mkdir(parents=True, exist_ok=True)
        (root / "refs" / ref).write_text(commit)
    return snapshot


def test_cached_pipelines_are_listed_with_their_modes_or_why_they_do_not_open(
        sd_folder: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    cache = tmp_path / "hub"
    good = _add_snapshot(cache, "org/tiny-sd", sd_folder, "a" * 40)
    _add_snapshot(cache, "org/tiny-sd", sd_folder, "b" * 40, ref=None)  # an older revision
    partial = tmp_path / "partial"
    shutil.copytree(sd_folder, partial)
    shutil.rmtree(partial / "vae")  # a download cut short
    _add_snapshot(cache, "org/half-sd", partial, "c" * 40)
    other = tmp_path / "other"
    other.mkdir()
    (other / "config.json").write_text(json.dumps({"model_type": "bert"}))
    _add_snapshot(cache, "org/bert", other, "d" * 40)  # not a pipeline
    kandinsky = tmp_path / "kandinsky"
    kandinsky.mkdir()
    (kandinsky / "model_index.json").write_text(json.dumps({"_class_name": "KandinskyPipeline"}))
    _add_snapshot(cache, "org/kandinsky", kandinsky, "e" * 40)  # a class we do not open
    _add_snapshot(cache, "org/images", sd_folder, "f" * 40, kind="datasets")

    def refuse(*args: object, **kwargs: object) -> None:
        raise AssertionError("a socket was connected")

    monkeypatch.setattr(socket.socket, "connect", refuse)
    found = find_cached_pipelines(cache)
    assert [(p.repo_id, p.commit[0]) for p in found] == \
        [("org/half-sd", "c"), ("org/tiny-sd", "a"), ("org/tiny-sd", "b")]
    half, sd, older = found
    assert sd.path == good and sd.refs == ("main",) and sd.problem is None
    assert sd.class_name == "StableDiffusionPipeline"
    assert sd.modes == (TEXT2IMG, IMG2IMG, INPAINT, CONTROLNET) and sd.label == "org/tiny-sd (main)"
    assert older.refs == () and older.label == "org/tiny-sd @bbbbbbb"
    assert half.problem is not None and "vae" in half.problem and "\n" not in half.problem


def test_no_cache_folder_means_no_models(tmp_path: Path) -> None:
    assert find_cached_pipelines(tmp_path / "absent") == []


def test_a_cached_snapshot_opens(sd_folder: Path, tmp_path: Path) -> None:
    from models.pipelines.opening import open_pipeline

    _add_snapshot(tmp_path / "hub", "org/tiny-sd", sd_folder, "a" * 40)
    (cached,) = find_cached_pipelines(tmp_path / "hub")
    opened = open_pipeline(cached.path)
    assert opened.index.class_name == "StableDiffusionPipeline"
