"""A checkpoint's precomputed latent map: `<checkpoint>/precomputed/map.npz` (numpy only).

What the map job computes (models/latent/map_compute.py: the encoded dataset, its labels
and images, the KL per dimension) plus the slow projections (t-SNE and UMAP positions;
PCA and LDA are refitted with numpy in milliseconds, so they are not stored) and the
fingerprint of the weights it was made from. For a bundled demo on mnist5k it is 1-2.5 MB,
most of it the 5,000 28×28 images (a generator's are its samples) and, for a 64-D
generator, its latents (random normal floats do not compress).

Reading is bounded: every array's header is checked (dtype, shape, size) before its data
is decompressed, positions must be finite, and a file that fails any check is refused with
one logged line. Loading never unpickles.
"""

from __future__ import annotations

import json
import logging
import zipfile
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from models.checkpoint.atomic import atomic_path
from models.latent.map_contents import MapContents
from models.pictures import PRECOMPUTED
from models.pictures.fingerprint import weights_fingerprint

log = logging.getLogger(__name__)

MAP_FILE = "map.npz"
FORMAT, VERSION = "latentlab-map", 1
TSNE, UMAP = "t-SNE", "UMAP"  # the chooser's names (app/session/latent_types.py)
STORED_METHODS = (TSNE, UMAP)
MAX_POINTS = 100_000
MAX_LATENT_DIM = 4096
MAX_IMAGE_SIDE = 512
MAX_IMAGE_BYTES = 512 << 20  # all images together, decompressed
MAX_META_CHARS = 1 << 20
MAX_CLASSES = 10_000
MAX_FILE_BYTES = 512 << 20


class MapFileError(ValueError):
    """A map file that is not what it claims (one line naming what is wrong)."""


@dataclass(frozen=True)
class PrecomputedMap:
    """A latent map read from (or to be written to) a checkpoint's precomputed folder.

    `projections` maps a method name (t-SNE, UMAP) to N×2 float32 positions;
    `fingerprint` is the SHA-256 of the weights the map was made from.
    """

    contents: MapContents
    fingerprint: str
    projections: dict[str, np.ndarray] = field(default_factory=dict)


def map_path(checkpoint: Path) -> Path:
    """Return where `checkpoint`'s precomputed map lives (it may not exist)."""
    return Path(checkpoint) / PRECOMPUTED / MAP_FILE


def save_map(checkpoint: Path, pm: PrecomputedMap) -> Path:
    """Write `pm` to `checkpoint`'s map file atomically (a kill leaves the old file or
    none); return its path. Raises MapFileError when `pm` would not load back."""
    c = pm.contents
    arrays: dict[str, np.ndarray] = {
        "means": np.ascontiguousarray(c.means, np.float32),
        "labels": np.ascontiguousarray(c.labels, np.int64),
        "images": np.ascontiguousarray(c.images, np.uint8),
    }
    if c.kl_per_dim is not None:
        arrays["kl_per_dim"] = np.ascontiguousarray(c.kl_per_dim, np.float32)
    methods = sorted(pm.projections)
    for i, method in enumerate(methods):
        arrays[f"projection_{i}"] = np.ascontiguousarray(pm.projections[method], np.float32)
    meta = {"format": FORMAT, "version": VERSION, "family": c.family, "epoch": int(c.epoch),
            "dataset": c.dataset, "class_names": list(c.class_names),
            "generated": bool(c.generated), "conditional": bool(c.conditional),
            "has_prior": bool(c.has_prior), "labels_note": c.labels_note,
            "fingerprint": pm.fingerprint, "projections": methods}
    _check_meta(meta)
    _check_arrays(meta, {k: (v.dtype, v.shape) for k, v in arrays.items()})
    for key, value in arrays.items():
        _check_values(key, value, len(c.class_names))
    path = map_path(checkpoint)
    with atomic_path(path) as tmp, open(tmp, "wb") as f:
        np.savez_compressed(f, meta=np.array(json.dumps(meta)), **arrays)
    return path


def load_map(checkpoint: Path) -> PrecomputedMap | None:
    """Return `checkpoint`'s precomputed map, or None when it has none, when it was made
    from other weights (retrained since), or when the file is refused (logged once)."""
    path = map_path(checkpoint)
    if not path.is_file():
        return None
    try:
        return _read(Path(checkpoint), path)
    except MapFileError as exc:
        log.warning("%s refused: %s", path, exc)
    # A damaged file can fail anywhere in zipfile, zlib or numpy (BadZipFile, zlib.error,
    # EOFError, NotImplementedError for an unknown compression...): refuse, never crash.
    except Exception as exc:
        log.warning("%s refused: %s: %s", path, type(exc).__name__, exc)
    return None


def _read(checkpoint: Path, path: Path) -> PrecomputedMap | None:
    if path.stat().st_size > MAX_FILE_BYTES:
        raise MapFileError(f"{path.stat().st_size:,} bytes is over {MAX_FILE_BYTES:,}")
    with zipfile.ZipFile(path) as zf:
        names = {n.removesuffix(".npy") for n in zf.namelist()}
        if "meta" not in names:
            raise MapFileError("no meta record")
        header = _header(zf, "meta")
        if header[0].kind != "U" or header[1] != () or header[0].itemsize > 4 * MAX_META_CHARS:
            raise MapFileError("meta is not one string of JSON")
        meta = json.loads(str(_array(zf, "meta", header)))
        _check_meta(meta)
        try:
            fingerprint = weights_fingerprint(checkpoint)
        except FileNotFoundError:
            log.info("%s: no weights to check its map against", checkpoint)
            return None
        if meta["fingerprint"] != fingerprint:
            log.info("%s was made from other weights: ignored", path)
            return None
        expected = _expected_keys(meta)
        if names != expected | {"meta"}:
            raise MapFileError(f"holds {sorted(names)}, expected {sorted(expected)}")
        headers = {k: _header(zf, k) for k in expected}
        _check_arrays(meta, headers)
        arrays = {k: _array(zf, k, headers[k]) for k in expected}
    for key, value in arrays.items():
        _check_values(key, value, len(meta["class_names"]))
    contents = MapContents(
        meta["family"], meta["epoch"], meta["dataset"], tuple(meta["class_names"]),
        arrays["means"], arrays["labels"], arrays["images"], meta["generated"],
        meta["conditional"], meta["has_prior"], meta["labels_note"], arrays.get("kl_per_dim"))
    projections = {m: arrays[f"projection_{i}"] for i, m in enumerate(meta["projections"])}
    return PrecomputedMap(contents, fingerprint, projections)


# --- checks -----------------------------------------------------------------------------------
_META_TYPES: dict[str, type | tuple[type, ...]] = {
    "format": str, "version": int, "family": str, "epoch": int, "dataset": str,
    "class_names": list, "generated": bool, "conditional": bool, "has_prior": bool,
    "labels_note": str, "fingerprint": str, "projections": list}


def _check_meta(meta: Any) -> None:
    if not isinstance(meta, dict):
        raise MapFileError("meta is not a JSON object")
    for key, kind in _META_TYPES.items():
        value = meta.get(key)
        # bool is an int in Python: an epoch must not be `true`.
        if not isinstance(value, kind) or (kind is int and isinstance(value, bool)):
            raise MapFileError(f"meta {key!r} is {type(value).__name__}, not {kind.__name__}")
    if meta["format"] != FORMAT or meta["version"] != VERSION:
        raise MapFileError(f"format {meta['format']!r} version {meta['version']}, "
                           f"expected {FORMAT!r} version {VERSION}")
    names = meta["class_names"]
    if len(names) > MAX_CLASSES or not all(isinstance(n, str) for n in names):
        raise MapFileError("class_names is not a list of names")
    methods = meta["projections"]
    if len(set(methods)) != len(methods) or not set(methods) <= set(STORED_METHODS):
        raise MapFileError(f"projections {methods!r}: only {STORED_METHODS} are stored")
    if len(meta["fingerprint"]) != 64:
        raise MapFileError("fingerprint is not a SHA-256")


def _expected_keys(meta: dict[str, Any]) -> set[str]:
    keys = {"means", "labels", "images"} | {f"projection_{i}"
                                            for i in range(len(meta["projections"]))}
    return keys | ({"kl_per_dim"} if meta["has_prior"] and not meta["generated"] else set())


def _check_arrays(meta: dict[str, Any], headers: dict[str, tuple[np.dtype, tuple[int, ...]]]
                  ) -> None:
    """Check every array's dtype and shape against the map's (from headers alone)."""
    dtype, shape = headers["means"]
    if dtype != np.float32 or len(shape) != 2:
        raise MapFileError(f"means are {dtype} {shape}, expected N×D float32")
    n, d = shape
    if not 1 <= n <= MAX_POINTS or not 1 <= d <= MAX_LATENT_DIM:
        raise MapFileError(f"{n:,} points of {d} dimensions: out of bounds "
                           f"(1-{MAX_POINTS:,} points, 1-{MAX_LATENT_DIM} dimensions)")
    want = {"labels": (np.int64, (n,)), "kl_per_dim": (np.float32, (d,))}
    for i in range(len(meta["projections"])):
        want[f"projection_{i}"] = (np.float32, (n, 2))
    for key, (wdtype, wshape) in want.items():
        if key in headers and headers[key] != (np.dtype(wdtype), wshape):
            raise MapFileError(f"{key} is {headers[key][0]} {headers[key][1]}, "
                               f"expected {np.dtype(wdtype)} {wshape}")
    dtype, shape = headers["images"]
    if dtype != np.uint8 or len(shape) != 4 or shape[0] != n or shape[3] not in (1, 3) \
            or not (1 <= shape[1] <= MAX_IMAGE_SIDE and 1 <= shape[2] <= MAX_IMAGE_SIDE):
        raise MapFileError(f"images are {dtype} {shape}, expected {n}×H×W×(1 or 3) uint8 "
                           f"with sides up to {MAX_IMAGE_SIDE}")
    if int(np.prod(shape)) > MAX_IMAGE_BYTES:
        raise MapFileError(f"images take {int(np.prod(shape)):,} bytes")


def _check_values(key: str, value: np.ndarray, classes: int) -> None:
    """Refuse non-finite latents, KL or positions, and labels outside −1..classes−1."""
    if key == "labels":
        if len(value) and (value.min() < -1 or value.max() >= max(classes, 1)):
            raise MapFileError(f"labels outside −1..{classes - 1}")
    elif value.dtype == np.float32 and not np.isfinite(value).all():
        raise MapFileError(f"{key} holds NaN or infinite values")


def _header(zf: zipfile.ZipFile, key: str) -> tuple[np.dtype, tuple[int, ...]]:
    """Return (dtype, shape) of member `key` from its .npy header, reading nothing else."""
    with zf.open(f"{key}.npy") as f:
        version = np.lib.format.read_magic(f)
        if version == (1, 0):
            shape, fortran, dtype = np.lib.format.read_array_header_1_0(f)
        elif version == (2, 0):
            shape, fortran, dtype = np.lib.format.read_array_header_2_0(f)
        else:
            raise MapFileError(f"{key}: unsupported .npy version {version}")
    if fortran or dtype.hasobject:
        raise MapFileError(f"{key}: Fortran-ordered or object array")
    return dtype, tuple(shape)


def _array(zf: zipfile.ZipFile, key: str, header: tuple[np.dtype, tuple[int, ...]]
           ) -> np.ndarray:
    """Return member `key`'s array (its header already checked), never unpickling."""
    with zf.open(f"{key}.npy") as f:
        out = np.lib.format.read_array(f, allow_pickle=False)
    if (out.dtype, out.shape) != header:
        raise MapFileError(f"{key}: its data does not match its header")
    return out
