"""`latentlab compare`: runs on the same data side by side — bits per dimension, Fréchet
distance and the sample-quality measures, the digit classifier score, sampling seconds per
image, weights per stage, training seconds — as a table, or JSON with --json."""

from __future__ import annotations

import argparse
import json
import sys
from typing import Any

from app.cli.errors import UsageError


def _count(n: int | None) -> str:
    """Return a weight count as 1.23M / 456k."""
    if n is None:
        return "—"
    return f"{n / 1e6:.2f}M" if n >= 1e6 else f"{n / 1e3:.0f}k"


def _training(row: dict[str, Any]) -> tuple[str, str, str]:
    """Return the training seconds, its CPU seconds and the epochs per phase as table
    cells."""
    training = row["training"]
    if training is None:
        return "—", "—", "—"
    epochs = "+".join(str(n) for n in training["epochs_by_phase"].values()) or "0"
    cpu = training.get("cpu_seconds")
    return f"{training['seconds']:.0f}", "—" if cpu is None else f"{cpu:.0f}", epochs


def _stages(row: dict[str, Any]) -> str:
    """Return the weights per stage as `autoencoder 0.68M + unet 2.54M`."""
    return " + ".join(f"{k} {_count(v)}" for k, v in row["parameters_by_stage"].items())


def bits_cell(row: dict[str, Any]) -> str:
    """Return bits per dimension as a cell: `1.23`, `≤ 1.23` for an upper bound, `—`."""
    value = row.get("bits_per_dim")
    if value is None:
        return "—"
    return f"≤{value:.3f}" if row.get("bits_per_dim_kind") == "bound" else f"{value:.3f}"


def _number(value: float | None, digits: int = 2) -> str:
    return "—" if value is None else f"{value:.{digits}f}"


def format_table(report: dict[str, Any]) -> str:
    """Return the comparison as a plain-text table with its conditions above it and the
    reference below."""
    rows = report["runs"]
    header = ("run", "family", "weights", "per stage", "s/image", "bits/dim", "FD", "prec",
              "recall", "cls score", "train s", "CPU s", "epochs")
    cells = []
    for row in rows:
        quality = row.get("sample_quality") or {}
        cells.append((row["name"], row["family"], _count(row["parameters"]), _stages(row),
                      f"{row['sample_s_per_image']:.3g}", bits_cell(row), _number(row["fd"]),
                      _number(quality.get("precision")), _number(quality.get("recall")),
                      _number(row.get("classifier_score")), *_training(row)))
    widths = [max(len(str(c[i])) for c in (header, *cells)) for i in range(len(header))]
    right = {2, 4, 5, 6, 7, 8, 9, 10, 11}  # numbers line up on the right

    def line(values: tuple[str, ...]) -> str:
        return "  ".join(v.rjust(w) if i in right else v.ljust(w)
                         for i, (v, w) in enumerate(zip(values, widths, strict=True))).rstrip()

    s = report["sampling"]
    lines = [f"sampling: {s['sampler']}, {s['steps']} steps (diffusion models), "
             f"{s['n']} images per run in batches of {s['batch']}, seed {s['seed']}, "
             f"{s['threads']} torch thread(s) on {s['device']}",
             line(header), line(tuple("-" * w for w in widths)), *map(line, cells)]
    for ref in report["references"]:
        if ref["extractor"] is None:
            lines.append(f"FD ({ref['dataset']}): {ref['unavailable']}")
        else:
            floor = ref["fd_real_vs_real"]
            lines.append(f"FD: Fréchet distance to {ref['n_real']} real {ref['dataset']} "
                         f"images in the {ref['feature_dim']}-d penultimate features of the "
                         f"{ref['extractor']} classifier (as `latentlab eval`); real vs real "
                         f"{'—' if floor is None else f'{floor:.2f}'}")
    notes = {}
    for row in rows:
        notes.setdefault(row.get("bits_per_dim_note") or "", []).append(row["name"])
    for note, names in notes.items():
        if note:
            lines.append(f"bits/dim ({', '.join(names)}): {note}")
    lines.append("≤: an upper bound on bits/dim; prec, recall: k-NN precision and recall in "
                 "the classifier's features (density, coverage and the class histogram in "
                 "--json); cls score: digit classifier score (Inception-Score style), "
                 "exp E KL(p(y|x) ‖ p(y)), 1 to 10")
    lines.append("train s: the epochs' logged seconds summed (wall clock, validation and "
                 "previews included); CPU s: their CPU seconds (— for runs logged before "
                 "they were counted); epochs per phase after them")
    return "\n".join(lines)


def check_compare_args(args: argparse.Namespace) -> None:
    """Refuse fewer than two runs (a usage error, before torch loads)."""
    if len(args.runs) < 2:
        raise UsageError("compare needs at least two runs")


def cmd_compare(args: argparse.Namespace) -> int:
    """Check the runs are on the same data, measure each and print the table (or JSON)."""
    from models.compare_runs import Compared, Progress, compare_runs, plan_runs
    from models.comparison import Options
    from models.device import resolve_device, set_threads

    plan_runs(args.runs)  # a bad path or mixed data is refused before minutes of sampling
    threads = set_threads(args.threads)
    device = resolve_device(args.device)
    options = Options(n=args.n, seed=args.seed, sampler=args.sampler, steps=args.steps,
                      nll_n=args.nll_n, iwae_k=args.iwae_k)
    report: dict[str, Any] = {}
    for event in compare_runs(args.runs, options, device, threads):
        if isinstance(event, Progress):
            print(f"{event.name}: {event.stage} …", file=sys.stderr, flush=True)
        elif isinstance(event, Compared):
            report = event.report
    print(json.dumps(report, indent=2) if args.json else format_table(report))
    return 0
