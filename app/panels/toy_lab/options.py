"""View and live-training options of the toy families: declared by each family's view
module, turned into widgets by the controls, read by the lane (no Qt here)."""

from __future__ import annotations

from dataclasses import dataclass

OptionValue = bool | float | str


@dataclass(frozen=True)
class ViewOption:
    """One control that changes what is shown (or, `live`, how the next steps train)
    without restarting the run.

    kind "check": a check box, `default` a bool. kind "slider": a labelled slider from
    `minimum` to `maximum` in steps of `step`, shown with `decimals`. kind "choice": a
    drop-down of `choices` (key, label) pairs, `default` a key."""

    key: str
    label: str
    kind: str
    default: OptionValue
    tooltip: str = ""
    minimum: float = 0.0
    maximum: float = 1.0
    step: float = 0.01
    decimals: int = 2
    choices: tuple[tuple[str, str], ...] = ()
    live: bool = False


def defaults(options: tuple[ViewOption, ...]) -> dict[str, OptionValue]:
    """Return each option's default by key."""
    return {o.key: o.default for o in options}
