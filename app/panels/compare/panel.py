"""The Compare runs panel (GUI thread): runs chosen from folders, the recent list or the model
shown; Run measures them on the "compare" lane (cancellable, with progress); the results fill
one table and a bar chart per measure as each run is measured."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from PySide6.QtCore import QEvent, Qt, QTimer, Slot
from PySide6.QtGui import QGuiApplication, QResizeEvent
from PySide6.QtWidgets import (
    QAbstractItemView,
    QGridLayout,
    QHeaderView,
    QLabel,
    QProgressBar,
    QPushButton,
    QScrollArea,
    QSpinBox,
    QSplitter,
    QTableView,
    QVBoxLayout,
    QWidget,
)

from app import theme
from app.panels.base import Panel
from app.panels.compare.charts import CompareCharts
from app.panels.compare.column_chooser import ColumnChooser
from app.panels.compare.jobs import COMPARE_LANE, comparison
from app.panels.compare.run_list import RunList
from app.panels.compare.table import CompareTableModel, fit_run_column
from app.widgets.elided_label import ElidedLabel
from models.opened import OpenedModel


class ComparePanel(Panel):
    """Runs side by side (GUI thread). It does not show the window's model; it only offers
    the model's checkpoint as a run to add."""

    def __init__(self, session: Any, parent: QWidget | None = None) -> None:
        super().__init__(session, parent)
        self.report: dict[str, Any] | None = None
        self._running = False

        self.run_list = RunList()
        self.run_list.changed.connect(self._update_buttons)

        self.n_images = QSpinBox()
        self.n_images.setRange(20, 5000)
        self.n_images.setSingleStep(100)
        self.n_images.setValue(500)
        self.n_images.setToolTip("Images sampled per run (timing, FD, sample quality, "
                                 "classifier score) and held-out images for bits/dim")
        self.iwae_k = QSpinBox()
        self.iwae_k.setRange(1, 4096)
        self.iwae_k.setValue(64)
        self.iwae_k.setToolTip("Importance samples of a VAE's bound on the likelihood (IWAE)")
        self.run_button = QPushButton("Run")
        self.stop_button = QPushButton("Stop")
        self.copy_json = QPushButton("Copy JSON")
        self.copy_json.setToolTip("Copy the report `latentlab compare --json` prints")
        self.progress = QProgressBar()
        self.progress.setRange(0, 1000)
        self.progress.setTextVisible(False)
        self.progress.setMaximumWidth(160)
        self.status = ElidedLabel("Add two or more runs trained on the same data.")
        controls = QGridLayout()
        controls.addWidget(QLabel("Images"), 0, 0)
        controls.addWidget(self.n_images, 0, 1)
        controls.addWidget(QLabel("IWAE k"), 0, 2)
        controls.addWidget(self.iwae_k, 0, 3)
        controls.addWidget(self.run_button, 0, 4)
        controls.addWidget(self.stop_button, 0, 5)
        controls.addWidget(self.copy_json, 0, 6)
        controls.addWidget(self.progress, 0, 8)
        controls.addWidget(self.status, 0, 9)
        controls.setColumnStretch(9, 1)

        self.table_model = CompareTableModel()
        self.table = QTableView()
        self.table.setModel(self.table_model)
        self.table.setWordWrap(False)  # one line a run: a long name is elided, not wrapped
        self.table.setAlternatingRowColors(True)
        self.table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.table.setTextElideMode(Qt.TextElideMode.ElideMiddle)
        header = self.table.horizontalHeader()
        header.setSectionResizeMode(QHeaderView.ResizeMode.ResizeToContents)
        # The run's name takes what the measures leave (fit_run_column): a long name
        # would otherwise push the table wider than the dock.
        header.setSectionResizeMode(0, QHeaderView.ResizeMode.Interactive)
        header.setMinimumSectionSize(40)
        header.setDefaultAlignment(Qt.AlignmentFlag.AlignCenter)
        self.columns = ColumnChooser(self.table)
        self.columns.changed.connect(lambda: fit_run_column(self.table))
        controls.addWidget(self.columns, 0, 7)
        self.charts = CompareCharts()
        self.chart_scroll = QScrollArea()
        self.chart_scroll.setWidget(self.charts)
        self.chart_scroll.setWidgetResizable(True)
        self.chart_scroll.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        self.chart_scroll.hide()  # shown with the first measured run
        self.split = split = QSplitter(Qt.Orientation.Vertical)
        split.addWidget(self.table)
        split.addWidget(self.chart_scroll)
        split.setStretchFactor(0, 1)
        split.setStretchFactor(1, 2)

        layout = QVBoxLayout(self)
        layout.addWidget(self.run_list)
        layout.addLayout(controls)
        layout.addWidget(split, 1)

        self.run_button.clicked.connect(self.start)
        self.stop_button.clicked.connect(self.stop)
        self.copy_json.clicked.connect(self._copy_json)
        session.torchReady.connect(lambda _info: self._update_buttons())
        self._update_buttons()

    # --- Panel -------------------------------------------------------------------------
    def show_model(self, model: OpenedModel) -> None:
        """Offer the model shown as a run to add, when it has a checkpoint on disk."""
        self.run_list.set_shown(model.path)

    def clear(self) -> None:
        """Forget the model shown (the runs listed and the results stay: they are not it)."""
        self.run_list.set_shown(None)

    def ready_now(self) -> bool:
        """Return True: offering the model shown costs nothing, visible or not."""
        return True

    def add_run(self, path: Path | str) -> None:
        """List the checkpoint or run folder `path` (once)."""
        self.run_list.add_run(path)

    # --- the job ---------------------------------------------------------------------
    @Slot()
    def start(self) -> None:
        """Measure the runs listed on the compare lane; the table fills as each ends."""
        paths = self.run_list.paths()
        if len(paths) < 2 or self._running:
            return
        self.report = None
        self.table_model.set_rows([])
        self.charts.show_rows([])
        self.chart_scroll.hide()
        self.progress.setValue(0)
        self._say(f"Measuring {len(paths)} runs…")
        self._running = True
        self._update_buttons()
        self.session.jobs.submit(
            COMPARE_LANE, comparison(paths, self.n_images.value(), self.iwae_k.value(),
                                     str(self.session.device)),
            on_event=self._on_event, on_done=self._on_done, on_error=self._on_error)

    @Slot()
    def stop(self) -> None:
        """Cancel the comparison under way (it stops at its next batch)."""
        self.session.jobs.cancel(COMPARE_LANE)

    def _on_event(self, event: Any) -> None:
        from models.compare_runs import Compared, Progress, RunMeasured

        if isinstance(event, Progress):
            self.progress.setValue(round(1000 * event.fraction))
            self._say(f"{event.name} ({event.index + 1} of {event.total}): {event.stage}…")
        elif isinstance(event, RunMeasured):
            self.table_model.add_row(event.row)
            self.charts.show_rows(self.table_model.rows)
            fit_run_column(self.table)
            self.table.resizeRowsToContents()
            self._fit_table()
        elif isinstance(event, Compared):
            self.report = event.report
            self.progress.setValue(1000)
            likelihood = event.report.get("likelihood", {})
            self._say(f"Done: {len(event.report['runs'])} runs, bits/dim on "
                      f"{likelihood.get('n_held_out', 0)} held-out images (hover a cell "
                      f"for its note)")

    def _fit_table(self) -> None:
        """Give the table the height of its rows (at most 40 % of the space) and the charts
        the rest."""
        self.chart_scroll.show()
        total = sum(self.split.sizes()) or self.split.height()
        rows = sum(self.table.rowHeight(i) for i in range(self.table_model.rowCount()))
        wanted = self.table.horizontalHeader().height() + rows + 2 * self.table.frameWidth() \
            + self.table.horizontalScrollBar().sizeHint().height() + 4
        table = min(wanted, int(0.4 * total))
        self.split.setSizes([table, max(total - table, 1)])

    def resizeEvent(self, event: QResizeEvent) -> None:
        """Fit the run's name column to the new width (GUI thread)."""
        super().resizeEvent(event)
        if self.table_model.rowCount():
            fit_run_column(self.table)

    def changeEvent(self, event: QEvent) -> None:
        """Refit the table to a new font (presentation mode): its columns and rows grow,
        and it keeps the height of its rows (GUI thread)."""
        super().changeEvent(event)
        if event.type() == QEvent.Type.FontChange and self.table_model.rowCount():
            # Once the children have the new font too (they hear of it after the panel).
            QTimer.singleShot(0, self._refit_table)

    def _refit_table(self) -> None:
        fit_run_column(self.table)
        self.table.resizeRowsToContents()
        self._fit_table()

    def _on_error(self, message: str, _traceback: str) -> None:
        self._say(message.splitlines()[0] if message else "The comparison failed", "error")

    def _on_done(self, status: str) -> None:
        self._running = False
        if status == "cancelled":
            self._say("Stopped: the runs measured so far are shown.")
        self._update_buttons()

    def _say(self, text: str, role: str | None = None) -> None:
        self.status.set_full_text(text)
        if role is None:
            self.status.setStyleSheet("")
        else:
            theme.style_text(self.status, role)

    @Slot()
    def _copy_json(self) -> None:
        if self.report is not None:
            QGuiApplication.clipboard().setText(json.dumps(self.report, indent=2))

    def _update_buttons(self) -> None:
        ready = self.session.torch_ready
        self.run_button.setEnabled(ready and not self._running
                                   and len(self.run_list.paths()) >= 2)
        self.run_button.setToolTip("" if ready else "Waiting for torch to load")
        self.stop_button.setEnabled(self._running)
        self.run_list.set_busy(self._running)
        self.copy_json.setEnabled(self.report is not None)
