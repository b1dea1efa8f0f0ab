"""Following a run folder another process writes, as a job on the "follow" lane."""

from __future__ import annotations

import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from app.jobs import Job

POLL_SECONDS = 0.5
TICK_SECONDS = 0.05  # how often a waiting follow job offers the lane a chance to stop


def follow_events(job: Job, run_dir: Path) -> Iterator[Any]:
    """Yield the run's RunShape once run.json exists, then its new lines as they appear."""
    from app.workers.follow import parse_records, read_shape

    run_dir = Path(run_dir)
    offset, buffer, shape_sent = 0, b"", False
    while True:
        if not shape_sent and (run_dir / "run.json").is_file():
            yield read_shape(run_dir)
            shape_sent = True
        path = run_dir / "metrics.jsonl"
        if path.is_file():
            with open(path, "rb") as f:
                f.seek(offset)
                chunk = f.read()
            offset += len(chunk)
            buffer += chunk
            *lines, buffer = buffer.split(b"\n")  # only complete lines
            if lines:
                update = parse_records([ln.decode("utf-8", "replace")
                                        for ln in lines if ln.strip()], run_dir)
                if update.steps or update.epochs or update.ended:
                    yield update
        deadline = time.monotonic() + POLL_SECONDS
        while time.monotonic() < deadline:
            time.sleep(TICK_SECONDS)
            yield None
