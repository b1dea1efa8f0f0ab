"""Precompute the pictures a checkpoint shows before PyTorch loads: its latent map and
its recorded denoising trajectory, written into `<checkpoint>/precomputed/`.

Each writer is `(checkpoint: Path, model: OpenedModel) -> Path | None`: it computes with
the app's own code, writes one file atomically (with the weights' fingerprint, so a
retrained checkpoint ignores it) and returns it, or None when the model has nothing of
that kind (a diffusion model has no latent map). One JSON line is printed per file
written: {"path", "bytes", "seconds"}.

    python scripts/precompute_pictures.py [CHECKPOINT ...]   # default: every bundled demo
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from collections.abc import Callable
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from models.cores import quiet_openmp
from models.demos import list_demos
from models.device import set_threads
from models.opened import OpenedModel, open_model
from models.pictures.map_writer import write_map
from models.pictures.trajectory_file import write_cached_trajectory

Writer = Callable[[Path, OpenedModel], "Path | None"]
WRITERS: list[Writer] = [write_map, write_cached_trajectory]


def precompute(checkpoint: Path, writers: list[Writer] = WRITERS) -> list[dict[str, object]]:
    """Run every writer on `checkpoint`; return (and print) one record per file written."""
    model = open_model(checkpoint)
    records = []
    for writer in writers:
        start = time.perf_counter()
        path = writer(checkpoint, model)
        if path is None:
            continue
        record = {"path": str(path), "bytes": path.stat().st_size,
                  "seconds": round(time.perf_counter() - start, 2)}
        print(json.dumps(record), flush=True)
        records.append(record)
    return records


def main(argv: list[str] | None = None) -> int:
    """Precompute the pictures of the checkpoints given (or of every demo); return 0."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("checkpoints", nargs="*", type=Path,
                        help="checkpoint folders (default: every demo in resources/demos)")
    args = parser.parse_args(argv)
    quiet_openmp()
    set_threads(None)
    for checkpoint in args.checkpoints or [demo.path for demo in list_demos()]:
        precompute(checkpoint)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
