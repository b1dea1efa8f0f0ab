"""The run folder: run.json, metrics.jsonl, samples/ and checkpoints/ (docs/architecture.md).

Written here, read back by `read_run` (run_reader.py); the layout is in run_record.py.
"""

from __future__ import annotations

import json
import math
import threading
import time
from pathlib import Path
from typing import IO, Any

from models.checkpoint.atomic import atomic_write, json_text
from models.training.run_reader import read_run
from models.training.run_record import (
    CHECKPOINTS,
    METRICS,
    RUN_JSON,
    SAMPLES,
    preview_relpath,
    recon_relpath,
)

__all__ = ["RunDir", "read_run"]  # read_run: the reader beside its writer


def _clean(value: Any) -> Any:
    """Return a JSON-safe value: non-finite floats become strings 'nan'/'inf'."""
    if isinstance(value, float) and not math.isfinite(value):
        return str(value)
    return value


class RunDir:
    """Paths of a run folder and the append-only metrics log (flushed at most twice a second)."""

    def __init__(self, root: Path | str) -> None:
        self.root = Path(root)
        self.samples = self.root / SAMPLES
        self.checkpoints = self.root / CHECKPOINTS
        self.metrics_path = self.root / METRICS
        self._log: IO[str] | None = None
        self._log_lock = threading.Lock()
        self._last_flush = 0.0

    @property
    def last_checkpoint(self) -> Path:
        """Return the path of checkpoints/last."""
        return self.checkpoints / "last"

    def epoch_checkpoint(self, epoch: int) -> Path:
        """Return the path of checkpoints/epoch-N."""
        return self.checkpoints / f"epoch-{epoch}"

    def preview_path(self, epoch: int) -> Path:
        """Return samples/epoch-NNNN.png."""
        return self.root / preview_relpath(epoch)

    def recon_path(self, epoch: int) -> Path:
        """Return samples/recon-epoch-NNNN.png."""
        return self.root / recon_relpath(epoch)

    def create(self, run_info: dict[str, Any]) -> None:
        """Create the folders and write run.json."""
        self.samples.mkdir(parents=True, exist_ok=True)
        self.checkpoints.mkdir(parents=True, exist_ok=True)
        atomic_write(self.root / RUN_JSON, json_text(run_info))

    def truncate_metrics_after(self, step: int) -> None:
        """Drop logged lines past `step` (written after the checkpoint a resume starts from).

        The log is rewritten atomically: a crash here leaves the old one whole.
        """
        self.close()  # the rewrite is a new file: an open handle would append to the old
        if not self.metrics_path.is_file():
            return
        kept = []
        for line in self.metrics_path.read_text(encoding="utf-8").splitlines():
            try:
                if json.loads(line).get("step", 0) <= step:
                    kept.append(line)
            except json.JSONDecodeError:
                continue  # a line cut by a crash
        atomic_write(self.metrics_path, "".join(k + "\n" for k in kept))

    def log(self, record: dict[str, Any], force_flush: bool = False) -> None:
        """Append one JSON line to metrics.jsonl (any thread: the trainer's writer logs too)."""
        line = json.dumps({k: _clean(v) for k, v in record.items()}) + "\n"
        with self._log_lock:
            if self._log is None:
                self._log = open(self.metrics_path, "a", encoding="utf-8")
            self._log.write(line)
            now = time.monotonic()
            if force_flush or now - self._last_flush > 0.5:
                self._log.flush()
                self._last_flush = now

    def close(self) -> None:
        """Flush and close the metrics log."""
        with self._log_lock:
            if self._log is not None:
                self._log.close()
                self._log = None
