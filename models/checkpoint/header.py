"""Reading a safetensors file's header alone: tensor names, dtypes, shapes and byte ranges.

A safetensors file is 8 bytes (little-endian header length N), N bytes of JSON naming
every tensor, then the tensor data. Reading only the header tells how large a model the
file really holds, before anything is allocated for it. Imports no torch.
"""

from __future__ import annotations

import json
import math
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from models.checkpoint.errors import CheckpointError

MAX_HEADER_BYTES = 100_000_000  # safetensors' own limit
DTYPE_BYTES = {"BOOL": 1, "U8": 1, "I8": 1, "F8_E5M2": 1, "F8_E4M3": 1, "I16": 2, "U16": 2,
               "F16": 2, "BF16": 2, "I32": 4, "U32": 4, "F32": 4, "I64": 8, "U64": 8, "F64": 8}
FLOAT_DTYPES = frozenset({"F8_E5M2", "F8_E4M3", "F16", "BF16", "F32", "F64"})
MAX_DIMS = 8


@dataclass(frozen=True)
class TensorInfo:
    """One tensor as the header describes it."""

    dtype: str
    shape: tuple[int, ...]

    @property
    def is_float(self) -> bool:
        """Return whether it holds floating-point numbers."""
        return self.dtype in FLOAT_DTYPES


@dataclass(frozen=True)
class SafetensorsHeader:
    """A checked header: every tensor's description and the size of the data after it."""

    path: Path
    tensors: dict[str, TensorInfo]
    data_bytes: int


def _strict_json(text: str) -> Any:
    def no_constant(name: str) -> None:
        raise ValueError(f"{name} is not a number JSON allows")

    return json.loads(text, parse_constant=no_constant)


def _int_list(value: Any) -> bool:
    return isinstance(value, list) and all(
        isinstance(v, int) and not isinstance(v, bool) and v >= 0 for v in value)


def _entry(path: Path, name: str, raw: Any, data_bytes: int) -> TensorInfo:
    """Return the checked description of tensor `name`; CheckpointError naming it if bad."""
    if not isinstance(raw, dict):
        raise CheckpointError(path, f"header entry {name!r} is not an object")
    dtype, shape, offsets = raw.get("dtype"), raw.get("shape"), raw.get("data_offsets")
    if dtype not in DTYPE_BYTES:
        raise CheckpointError(path, f"tensor {name!r} has unknown dtype {dtype!r}")
    if not _int_list(shape) or len(shape) > MAX_DIMS:
        raise CheckpointError(path, f"tensor {name!r} has a malformed shape {shape!r}")
    if not _int_list(offsets) or len(offsets) != 2:
        raise CheckpointError(path, f"tensor {name!r} has malformed data_offsets")
    begin, end = offsets
    if not begin <= end <= data_bytes:
        raise CheckpointError(path, f"tensor {name!r} lies outside the file (bytes {begin}–"
                              f"{end} of {data_bytes})")
    if end - begin != math.prod(shape) * DTYPE_BYTES[dtype]:
        raise CheckpointError(path, f"tensor {name!r}: shape {tuple(shape)} does not fit its "
                              f"{end - begin} bytes")
    return TensorInfo(dtype, tuple(shape))


def read_header(path: Path) -> SafetensorsHeader:
    """Return the checked header of safetensors file `path` (reads only the header).

    CheckpointError (naming the file) if it is missing, truncated, or its header is too
    long, not JSON, or describes tensors that do not lie inside the file.
    """
    path = Path(path)
    if not path.is_file():
        raise CheckpointError(path, "file is missing")
    try:
        with path.open("rb") as f:
            size = path.stat().st_size
            first = f.read(8)
            if len(first) < 8:
                raise CheckpointError(path, f"file is truncated ({size} bytes)")
            n = int.from_bytes(first, "little")
            if n > MAX_HEADER_BYTES:
                raise CheckpointError(path, f"not a safetensors file (header of {n} bytes, "
                                      f"the limit is {MAX_HEADER_BYTES})")
            if 8 + n > size:
                raise CheckpointError(path, f"file is truncated (header of {n} bytes runs "
                                      f"past its {size} bytes)")
            raw = f.read(n)
    except OSError as exc:
        raise CheckpointError(path, f"cannot be read ({exc.strerror or exc})") from exc
    try:
        header = _strict_json(raw.decode("utf-8"))
    except (ValueError, RecursionError) as exc:  # JSONDecodeError and UnicodeDecodeError too
        raise CheckpointError(path, "not a safetensors file (header is not valid JSON)") from exc
    if not isinstance(header, dict):
        raise CheckpointError(path, "not a safetensors file (header is not a JSON object)")
    data_bytes = size - 8 - n
    tensors = {}
    spans = []
    for name, raw_entry in header.items():
        if name != "__metadata__":
            tensors[name] = _entry(path, name, raw_entry, data_bytes)
            spans.append((*raw_entry["data_offsets"], name))
    _check_disjoint(path, spans)
    return SafetensorsHeader(path, tensors, data_bytes)


def _check_disjoint(path: Path, spans: list[tuple[int, int, str]]) -> None:
    """Raise CheckpointError if two tensors share bytes: together they could claim far
    more than the file holds."""
    last_end, last_name = 0, ""
    for begin, end, name in sorted(spans):
        if end == begin:
            continue  # an empty tensor holds no bytes
        if begin < last_end:
            raise CheckpointError(path, f"tensors {last_name!r} and {name!r} overlap")
        last_end, last_name = end, name
