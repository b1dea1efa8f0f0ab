"""The measures the Compare runs panel shows: header (with its unit), how a row's value is
read and formatted, whether lower is better, and why a cell is empty (no Qt, no torch)."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

NO_RUN = "no run folder with a metrics.jsonl beside this checkpoint"
RUN_COLOURS = ("#4c78a8", "#f58518", "#54a24b", "#e45756", "#72b7b2", "#b279a2",
               "#eeca3b", "#9d755d")  # one per run: its bars and its row number


def run_colour(index: int) -> str:
    """Return the colour of the run in row `index` (bars, legend, row header)."""
    return RUN_COLOURS[index % len(RUN_COLOURS)]


@dataclass(frozen=True)
class Measure:
    """One column of the table and, when `chart`, one bar chart."""

    key: str
    name: str  # ↓ / ↑: lower / higher is better
    unit: str
    value: Callable[[dict[str, Any]], float | None]
    digits: int = 2
    lower_is_better: bool | None = None  # None: neither (a size, a name)
    chart: bool = True
    why_missing: Callable[[dict[str, Any]], str] = lambda row: "not measured"
    table_name: str | None = None  # a shorter name for a narrow column (tooltip: `name`)
    table_unit: str | None = None  # a shorter unit for it

    @property
    def header(self) -> str:
        """Return the table's header: the short name, and the unit on a second line."""
        name = self.table_name or self.name
        unit = self.table_unit or self.unit
        return f"{name}\n({unit})" if unit else name

    @property
    def long_header(self) -> str:
        """Return the full name and unit on one line (the header's tooltip, the column
        chooser)."""
        return f"{self.name} ({self.unit})" if self.unit else self.name

    def text(self, row: dict[str, Any]) -> str:
        """Return the cell's text: the value formatted, `≤ x` for an upper bound, or
        "not defined" / "n/a"."""
        value = self.value(row)
        if value is None:
            reason = self.why_missing(row)
            return "not defined" if reason.startswith("not defined") else "n/a"
        prefix = "≤ " if self.key == "bits_per_dim" and row.get("bits_per_dim_kind") == \
            "bound" else ""
        return f"{prefix}{compact(value, self.digits)}"

    def full_text(self, value: float) -> str:
        """Return `value` with all its digits and its unit (the cell's tooltip)."""
        return f"{value:,.{self.digits}f} {self.unit}".rstrip()


def compact(value: float, digits: int) -> str:
    """Return `value` in at most ~5 characters where it can be: `digits` decimals below
    10, one below 1,000, none below 10,000, then thousands ("12.3k") and millions: a
    projected table has no room for "1,834.2"."""
    size = abs(value)
    if size >= 1e6:
        return f"{value / 1e6:.1f}M"
    if size >= 1e4:
        return f"{value / 1e3:.1f}k"
    decimals = digits if size < 10 else min(digits, 1) if size < 1000 else 0
    return f"{value:,.{decimals}f}"


def _quality(key: str) -> Callable[[dict[str, Any]], float | None]:
    def read(row: dict[str, Any]) -> float | None:
        value = (row.get("sample_quality") or {}).get(key)
        return None if value is None else float(value)
    return read


def _training(key: str, scale: float = 1.0) -> Callable[[dict[str, Any]], float | None]:
    def read(row: dict[str, Any]) -> float | None:
        value = (row.get("training") or {}).get(key)
        return None if value is None else float(value) * scale
    return read


def _no_quality(row: dict[str, Any]) -> str:
    return row.get("fd_unavailable") or "not measured"


def _no_training(row: dict[str, Any]) -> str:
    if row.get("training") is None:
        return NO_RUN
    return "not logged: the run was trained by a version that did not count CPU seconds"


MEASURES: tuple[Measure, ...] = (
    Measure("bits_per_dim", "Bits/dim ↓", "bits", lambda r: r.get("bits_per_dim"), 3, True,
            why_missing=lambda r: r.get("bits_per_dim_note") or "not measured"),
    Measure("fd", "FD ↓", "features", lambda r: r.get("fd"), 1, True,
            why_missing=_no_quality),
    Measure("precision", "Precision ↑", "0–1", _quality("precision"), 2, False,
            why_missing=_no_quality, table_name="Prec. ↑"),
    Measure("recall", "Recall ↑", "0–1", _quality("recall"), 2, False,
            why_missing=_no_quality),
    Measure("density", "Density ↑", "real ≈ 1", _quality("density"), 2, False,
            why_missing=_no_quality, table_name="Dens. ↑"),
    Measure("coverage", "Coverage ↑", "0–1", _quality("coverage"), 2, False,
            why_missing=_no_quality, table_name="Cover. ↑"),
    Measure("classifier_score", "Digit classifier score ↑", "1–10",
            lambda r: r.get("classifier_score"), 2, False, why_missing=_no_quality,
            table_name="Score ↑"),
    Measure("sampling", "Sampling ↓", "ms/image",
            lambda r: 1000.0 * float(r["sample_s_per_image"]), 3, True,
            table_name="Sample ↓", table_unit="ms/img"),
    Measure("parameters", "Weights", "M", lambda r: float(r["parameters"]) / 1e6, 2),
    Measure("train_s", "Training ↓", "s", _training("seconds"), 1, True,
            why_missing=_no_training, table_name="Train ↓"),
    Measure("cpu_s", "Training ↓", "CPU s", _training("cpu_seconds"), 1, True,
            why_missing=_no_training, table_name="CPU ↓", table_unit="s"),
)


def tooltip(measure: Measure, row: dict[str, Any]) -> str:
    """Return a cell's tooltip: the reason for an empty cell; else the measure, its value
    with every digit, and the note of bits/dim, the classifier score or the weights."""
    value = measure.value(row)
    if value is None:
        return measure.why_missing(row)
    head = f"{measure.name}: {measure.full_text(value)}"
    if measure.key == "bits_per_dim":
        note = row.get("bits_per_dim_note", "")
    elif measure.key == "classifier_score":
        note = ("digit classifier score (Inception-Score style): exp E[KL(p(y|x) ‖ p(y))] "
                "with the bundled digit classifier; not the Inception Score")
    elif measure.key == "parameters":
        note = " + ".join(f"{k} {v:,}" for k, v in row.get("parameters_by_stage", {}).items())
    else:
        note = ""
    return f"{head}\n{note}" if note else head
