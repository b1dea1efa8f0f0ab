"""Models on this computer: the pipelines in the Hugging Face cache, found without network.

`find_cached_pipelines(cache_dir)` lists the model repos `huggingface_hub.scan_cache_dir`
finds whose snapshot holds a model_index.json naming a class Latent Lab opens, each with
the modes it opens in, or the one-line reason it cannot be opened (a component not
downloaded, pickled weights only); `find_cached_tiny_decoders` lists the AutoencoderTiny
folders (TAESD and kin) a preview can decode with. JSON and directory listings only: no torch, no
network, so it may run before torch loads.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

from models.checkpoint.errors import CheckpointError
from models.checkpoint.json_io import read_json
from models.pipelines.index import SUPPORTED, read_index
from models.pipelines.weights import check_component, check_weights


@dataclass(frozen=True)
class CachedPipeline:
    """One cached pipeline snapshot: where it is, what it is, and whether it opens."""

    repo_id: str
    commit: str
    refs: tuple[str, ...]
    path: Path  # the snapshot folder, which open_pipeline takes
    class_name: str
    modes: tuple[str, ...]
    problem: str | None = None  # why it cannot be opened as it is; None: it opens

    @property
    def label(self) -> str:
        """Return "org/name (main)" or "org/name @abc1234" for a list."""
        return f"{self.repo_id} ({', '.join(self.refs)})" if self.refs else \
            f"{self.repo_id} @{self.commit[:7]}"


def _snapshot(repo_id: str, revision: object) -> CachedPipeline | None:
    """Return the snapshot as a CachedPipeline, None when it is not a supported pipeline."""
    path = Path(revision.snapshot_path)  # type: ignore[attr-defined]
    index_path = path / "model_index.json"
    if not index_path.is_file():
        return None
    try:
        index = read_json(index_path)
    except CheckpointError:
        return None
    name = index.get("_class_name") if isinstance(index, dict) else None
    if not isinstance(name, str) or name not in SUPPORTED:
        return None
    refs = tuple(sorted(revision.refs))  # type: ignore[attr-defined]
    commit = str(revision.commit_hash)  # type: ignore[attr-defined]
    try:
        checked = read_index(path)
        check_weights(path, checked.spec.components)
    except CheckpointError as exc:
        return CachedPipeline(repo_id, commit, refs, path, name, SUPPORTED[name].modes,
                              exc.problem)
    return CachedPipeline(repo_id, commit, refs, path, name, checked.modes)


def _tiny_snapshot(repo_id: str, revision: object) -> CachedPipeline | None:
    """Return the snapshot as an AutoencoderTiny entry (no modes), None when it is not."""
    from models.pipelines.tiny_decoder import CLASS, is_tiny_decoder

    path = Path(revision.snapshot_path)  # type: ignore[attr-defined]
    if not is_tiny_decoder(path):
        return None
    refs = tuple(sorted(revision.refs))  # type: ignore[attr-defined]
    problem = None
    try:
        check_component(path, "tiny decoder")
    except CheckpointError as exc:
        problem = exc.problem
    return CachedPipeline(repo_id, str(revision.commit_hash),  # type: ignore[attr-defined]
                          refs, path, CLASS, (), problem)


def _scan(cache_dir: Path | str | None, entry: Any) -> list[CachedPipeline]:
    """Return `entry(repo_id, revision)` of every model snapshot in the cache that gives
    one, by repo, the revision `main` points to first; [] when there is no cache."""
    from huggingface_hub import scan_cache_dir
    from huggingface_hub.errors import CacheNotFound

    try:
        info = scan_cache_dir(cache_dir)
    except CacheNotFound:
        return []
    found: list[CachedPipeline] = []
    for repo in sorted(info.repos, key=lambda r: r.repo_id):
        if repo.repo_type != "model":
            continue
        revisions = sorted(repo.revisions, key=lambda r: ("main" not in r.refs, r.commit_hash))
        found.extend(p for p in (entry(repo.repo_id, r) for r in revisions) if p)
    return found


def find_cached_pipelines(cache_dir: Path | str | None = None) -> list[CachedPipeline]:
    """Return the supported pipelines in the Hugging Face cache at `cache_dir` (default:
    huggingface_hub's, HF_HUB_CACHE), sorted by repo with the revision `main` points to
    first; [] when there is no cache. Any thread; reads the disk only."""
    return _scan(cache_dir, _snapshot)


def find_cached_tiny_decoders(cache_dir: Path | str | None = None) -> list[CachedPipeline]:
    """Return the tiny decoders (AutoencoderTiny folders: TAESD and kin) in the cache, as
    find_cached_pipelines lists pipelines (`modes` empty). Any thread; disk only."""
    return _scan(cache_dir, _tiny_snapshot)
