"""The window's tool docks: tabbed beside the Training dock, one table row each.

A new panel that opens beside the others is one row of TOOL_DOCKS: the window builds its
dock, names an attribute after it (`window.<object name>`), tabs it with the rest and lists
it in View (GUI thread)."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from PySide6.QtWidgets import QWidget

from app.panels.anomaly import AnomalyPanel
from app.panels.compare import ComparePanel
from app.panels.pipeline import PipelinePanel
from app.panels.pixel_sampling import PixelSamplingPanel
from app.panels.style import StylePanel
from app.panels.wspace import WSpacePanel
from app.session import Session


@dataclass(frozen=True)
class ToolDock:
    """One tool dock: its tab title, its object name (also the window's attribute holding
    the dock, and the key its place is saved under) and what builds its panel."""

    title: str
    name: str
    build: Callable[[Session], QWidget]


TOOL_DOCKS: tuple[ToolDock, ...] = (
    ToolDock("Anomaly", "anomaly_dock", AnomalyPanel),
    ToolDock("Compare runs", "compare_dock", ComparePanel),
    ToolDock("Pipeline", "pipeline_dock", PipelinePanel),
    ToolDock("W space", "wspace_dock", WSpacePanel),
    ToolDock("Pixels", "pixels_dock", PixelSamplingPanel),
    ToolDock("Style", "style_dock", StylePanel),
)
