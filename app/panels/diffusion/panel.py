"""The Diffusion panel: the forward process, and the reverse process step by step.

GUI thread only. Compute goes through `session.diffusion` (DiffusionController): loading
the checkpoint and running trajectories, each step streamed into a RunRecord of the
memory-bounded TrajectoryCache. Scrubbing, playing, branching and comparing read the
cache; nothing is recomputed to show a step.
"""

from __future__ import annotations

from pathlib import Path

from PySide6.QtCore import Qt, QTimer, Slot
from PySide6.QtGui import QKeySequence, QShortcut, QShowEvent
from PySide6.QtWidgets import (
    QFileDialog,
    QHBoxLayout,
    QLabel,
    QMenu,
    QPushButton,
    QSlider,
    QSpinBox,
    QTabWidget,
    QToolButton,
    QVBoxLayout,
    QWidget,
)

from app.log import log
from app.panels.diffusion.cache import (
    DEFAULT_MAX_BYTES,
    RunRecord,
    RunSpec,
    TrajectoryCache,
    estimate_bytes,
)
from app.panels.diffusion.controls import SamplerForm, SecondRunBar
from app.panels.diffusion.export import export_gif, export_step_png
from app.panels.diffusion.filmstrip import Filmstrip
from app.panels.diffusion.forward_view import ForwardView
from app.panels.diffusion.image_pane import TextLine
from app.panels.diffusion.step_view import StepRow
from app.session import Session
from app.workers.diffusion import DiffusionModelInfo, RunRequest
from models.diffusion.trajectory_io import Trajectory

EMPTY_TEXT = "Open or train a diffusion model (ddpm or cddpm) to step through its sampler."
NOT_DIFFUSION_TEXT = ("This model is not a diffusion model. Open or train a diffusion model "
                      "(ddpm or cddpm) to step through its sampler.")
TRAINING_TEXT = "The diffusion viewer loads the model when training ends."
READY_TEXT = "Press Run to denoise: each step appears as it completes."
PLAY_FPS = 10
# Streamed steps are painted at most 20 times a second (thread rule 8): smooth enough for
# a denoising animation, and on 2 cores every paint takes time from the sampler (each
# step is cached on arrival and can be scrubbed to whether or not it was painted live).
REFRESH_MS = 50


def _mb(nbytes: int) -> str:
    return f"{nbytes / 1024**2:.0f} MB" if nbytes >= 10 * 1024**2 else \
        f"{nbytes / 1024**2:.1f} MB"


class DiffusionPanel(QWidget):
    """Forward-process and reverse-process tabs for the session's diffusion model."""

    def __init__(self, session: Session, parent: QWidget | None = None,
                 cache_bytes: int = DEFAULT_MAX_BYTES) -> None:
        super().__init__(parent)
        self.session = session
        self.jobs = session.diffusion
        self.cache = TrajectoryCache(cache_bytes)
        self.info: DiffusionModelInfo | None = None
        self.primary_id: int | None = None
        self.secondary_id: int | None = None
        self.follow_live = True
        self._pending: Path | None = None
        self._source: Path | None = None
        self._loading = False
        self._build()
        self._connect()
        self._show_no_model(EMPTY_TEXT)
        self._update_cache_label()

    # --- construction ------------------------------------------------------------------
    def _build(self) -> None:
        self.status = QLabel()
        self.status.setObjectName("diffusion_status")
        self.status.setWordWrap(True)
        self.reload_button = QPushButton("Reload model")
        self.reload_button.setToolTip("Load the latest checkpoint of the run or file shown")

        self.forward = ForwardView()
        self.reverse = QWidget()
        self.tabs = QTabWidget()
        self.tabs.setObjectName("diffusion_tabs")
        self.tabs.addTab(self.reverse, "Reverse process (sampling)")
        self.tabs.addTab(self.forward, "Forward process (noising)")

        self.form = SamplerForm()
        self.run_button = QPushButton("Run")
        self.run_button.setObjectName("diffusion_run")
        self.run_button.setToolTip("Denoise with these settings in the background; each "
                                   "step appears as it completes")
        self.cancel_button = QPushButton("Cancel")
        self.cancel_button.setObjectName("diffusion_cancel")
        self.cancel_button.setToolTip("Stop the run after the current step")
        # Text, not a QProgressBar: its setValue repaints synchronously, which cost more
        # GUI time per step than all three images.
        self.progress = TextLine("0000 / 0000 steps, cancelled")
        self.progress.setObjectName("diffusion_progress")
        run_row = QHBoxLayout()
        run_row.addWidget(self.form)
        run_row.addWidget(self.run_button)
        run_row.addWidget(self.cancel_button)
        run_row.addWidget(self.progress)
        run_row.addStretch(1)

        self.second = SecondRunBar()
        self.row_a = StepRow("A")
        self.row_b = StepRow("B")
        self.row_b.hide()

        self.prev_button = QToolButton()
        self.prev_button.setText("◀")
        self.prev_button.setToolTip("Previous step (Left)")
        self.play_button = QPushButton("Play")
        self.play_button.setObjectName("diffusion_play")
        self.play_button.setCheckable(True)
        self.play_button.setToolTip("Play the cached steps (Space)")
        self.next_button = QToolButton()
        self.next_button.setText("▶")
        self.next_button.setToolTip("Next step (Right)")
        self.slider = QSlider(Qt.Orientation.Horizontal)
        self.slider.setObjectName("diffusion_step")
        self.slider.setToolTip("Scrub the cached steps (Left/Right, Home/End)")
        self.step_label = TextLine("step 0000 / 0000")
        self.sample_spin = QSpinBox()
        self.sample_spin.setObjectName("diffusion_sample")
        self.sample_spin.setSpecialValueText("all")
        self.sample_spin.setToolTip("Show every sample as a grid, or one sample large")
        slider_row = QHBoxLayout()
        for w in (self.prev_button, self.play_button, self.next_button):
            slider_row.addWidget(w)
        slider_row.addWidget(self.slider, 1)
        slider_row.addWidget(self.step_label)
        slider_row.addWidget(QLabel("Sample"))
        slider_row.addWidget(self.sample_spin)

        self.filmstrip = Filmstrip()
        self.export_button = QToolButton()
        self.export_button.setText("Export")
        self.export_button.setPopupMode(QToolButton.ToolButtonPopupMode.InstantPopup)
        menu = QMenu(self.export_button)
        self.act_gif = menu.addAction("Denoising as GIF…", self._export_gif_dialog)
        self.act_png = menu.addAction("This step as PNG…", self._export_png_dialog)
        menu.addSeparator()
        self.act_save = menu.addAction("Save trajectory (.npz)…", self._save_dialog)
        menu.addAction("Load trajectory (.npz)…", self._load_dialog)
        self.export_button.setMenu(menu)
        self.cache_label = TextLine("Cache 000.0 MB of 512 MB", lines=2)
        self.cache_label.setObjectName("diffusion_cache")
        self.cache_label.setToolTip("Runs are kept for scrubbing up to this bound; the least "
                                    "recently shown runs are dropped first")
        bottom = QHBoxLayout()
        bottom.addWidget(self.filmstrip, 1)
        side = QVBoxLayout()
        side.addWidget(self.export_button)
        side.addWidget(self.cache_label)
        side.addStretch(1)
        bottom.addLayout(side)

        rev = QVBoxLayout(self.reverse)
        rev.setContentsMargins(4, 4, 4, 4)
        rev.addLayout(run_row)
        rev.addWidget(self.second)
        rev.addWidget(self.row_a, 3)
        rev.addWidget(self.row_b, 3)
        rev.addLayout(slider_row)
        rev.addLayout(bottom)

        head = QHBoxLayout()
        head.addWidget(self.status, 1)
        head.addWidget(self.reload_button)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(4, 4, 4, 4)
        layout.addLayout(head)
        layout.addWidget(self.tabs, 1)

        self._refresh_timer = QTimer(self)
        self._refresh_timer.setSingleShot(True)
        self._refresh_timer.setInterval(REFRESH_MS)
        self._refresh_timer.timeout.connect(self._follow_newest)
        self._play_timer = QTimer(self)
        self._play_timer.setInterval(1000 // PLAY_FPS)
        self._play_timer.timeout.connect(self._on_play_tick)
        for key, slot in (("Left", self.step_back), ("Right", self.step_forward),
                          ("Home", self._to_first), ("End", self._to_last),
                          ("Space", self.play_button.toggle)):
            shortcut = QShortcut(QKeySequence(key), self.reverse)
            shortcut.setContext(Qt.ShortcutContext.WidgetWithChildrenShortcut)
            shortcut.activated.connect(slot)

    def _connect(self) -> None:
        s, j = self.session, self.jobs
        s.modelChanged.connect(self._on_model_changed)
        s.stateChanged.connect(self._on_state_changed)
        s.runReset.connect(self._on_run_reset)
        j.loaded.connect(self._on_loaded)
        j.stepped.connect(self._on_step)
        j.finished.connect(self._on_finished)
        j.ended.connect(self._on_ended)
        j.failed.connect(self._on_failed)
        self.reload_button.clicked.connect(self.reload)
        self.run_button.clicked.connect(self.run)
        self.cancel_button.clicked.connect(self.cancel)
        self.second.branch_button.clicked.connect(self.branch)
        self.second.compare_button.clicked.connect(self.compare)
        self.second.clear_button.clicked.connect(self.clear_second)
        self.slider.valueChanged.connect(self._on_slider)
        self.sample_spin.valueChanged.connect(self.show_current)
        self.prev_button.clicked.connect(self.step_back)
        self.next_button.clicked.connect(self.step_forward)
        self.play_button.toggled.connect(self._on_play_toggled)
        self.filmstrip.stepClicked.connect(self.slider.setValue)

    # --- which model -------------------------------------------------------------------
    def load(self, path: Path | str) -> None:
        """Load the diffusion checkpoint at `path` into the viewer's worker."""
        self._pending = None
        self._source = Path(path)
        self._loading = True
        self.jobs.open(self._source, self.session.device)
        self.status.setText(f"Loading {self._source}…")
        self._update_buttons()

    @Slot()
    def reload(self) -> None:
        """Load the latest checkpoint of the run or file shown."""
        path = self.session.checkpoint or self._source
        if path is not None:
            self.load(path)

    @Slot(object)
    def _on_model_changed(self, info: object) -> None:
        if not getattr(info, "is_diffusion", False):
            self.jobs.cancel()
            self._pending = None
            self._show_no_model(NOT_DIFFUSION_TEXT)
            return
        source = getattr(info, "source", "training")
        path = self.session.checkpoint if source == "training" else Path(source)
        if path is None:
            return
        if self.isVisible() and not self.session.state.busy:
            self.load(path)
        else:  # loading and warming up costs CPU the trainer needs: wait until shown/idle
            self._pending = path
            if self.info is None:
                self.status.setText(TRAINING_TEXT if self.session.state.busy else
                                    "A diffusion model is open: it loads when this panel "
                                    "is shown.")

    @Slot(object)
    def _on_state_changed(self, state: object) -> None:
        if self._pending is not None and not self.session.state.busy and self.isVisible():
            self.load(self.session.checkpoint or self._pending)

    @Slot()
    def _on_run_reset(self) -> None:
        # Another run or model (or File › New): what is shown no longer belongs to it.
        self.jobs.cancel()
        self._pending = None
        self._source = None
        self.play_button.setChecked(False)
        self.clear_second()
        self.primary_id = None
        self._pin()
        self._reset_slider()
        self._show_no_model(TRAINING_TEXT if self.session.state.busy else EMPTY_TEXT)

    def showEvent(self, event: QShowEvent) -> None:
        """Load a model that arrived while the panel was hidden."""
        super().showEvent(event)
        if self._pending is not None and not self.session.state.busy:
            QTimer.singleShot(0, self._load_pending)

    @Slot()
    def _load_pending(self) -> None:
        if self._pending is not None:
            self.load(self._pending)

    @Slot(object)
    def _on_loaded(self, info: DiffusionModelInfo) -> None:
        self._loading = False
        first = self.info is None or self.info.path != info.path
        self.info = info
        self.forward.set_model(info)
        if first:
            self.form.set_defaults(info.default_sampler, info.default_steps)
            self.form.set_conditional(info.class_names if info.conditional else None,
                                      info.default_guidance)
            self.second.copy_from(self.form.settings())
            self.second.set_conditional(info.conditional, info.default_guidance)
        self.status.setText(
            f"{info.family}, epoch {info.epoch}: {info.image_size} px, T = "
            f"{info.num_train_timesteps} — {info.path}")
        if self.primary_id is None:
            self.row_a.set_placeholder(READY_TEXT)
        self._update_buttons()

    def _show_no_model(self, text: str) -> None:
        self.info = None
        self._loading = False
        self.forward.set_model(None)
        self.status.setText(text)
        if self.primary_id is None:
            self.row_a.set_placeholder(text)
        self._update_buttons()

    # --- runs --------------------------------------------------------------------------
    @property
    def primary(self) -> RunRecord | None:
        """Return the run shown in row A (None if none or dropped)."""
        return self.cache.runs.get(self.primary_id) if self.primary_id is not None else None

    @property
    def secondary(self) -> RunRecord | None:
        """Return the branch or compared run shown in row B."""
        return self.cache.runs.get(self.secondary_id) \
            if self.secondary_id is not None else None

    @Slot()
    def run(self) -> int | None:
        """Start a run with the form's settings (cancelling any); return its id."""
        info = self.info
        if info is None:
            return None
        s = self.form.settings()
        spec = RunSpec(s.seed, s.sampler, s.steps, s.eta, s.n,
                       s.labels(len(info.class_names)), s.guidance)
        self.clear_second()
        # The run shown so far may now be dropped to make room: only running ones stay.
        self.cache.pinned = set(self.jobs.running)
        run_id = self._start(spec, None, None, keep_running=False)
        if run_id is not None:
            self.primary_id = run_id
            self.follow_live = True
            self._reset_slider()
            self._update_buttons()
        self._pin()  # the new run, or again the old one when the new one was refused
        return run_id

    @Slot()
    def branch(self) -> int | None:
        """Run the primary's remaining steps from the current step with the second-run
        settings (seed, sampler, guidance); return the branch's id."""
        a = self.primary
        if a is None or self.info is None:
            return None
        k = self.current_step()
        if not a.has(k):
            self.status.setText("Wait until the step to branch from has arrived.")
            return None
        guidance = self.second.guidance.value() if self.info.conditional else None
        spec = RunSpec(self.second.seed.value(), self.second.sampler.currentData(),
                       a.spec.steps, a.spec.eta, a.spec.n, a.spec.labels, guidance,
                       "branch", k, a.run_id)
        return self._start_second(spec, a, a.x_t[k])

    @Slot()
    def compare(self) -> int | None:
        """Run the primary's seed from the start with the second-run sampler and step
        count; both rows then scrub together; return its id."""
        a = self.primary
        if a is None or self.info is None:
            return None
        guidance = self.second.guidance.value() if self.info.conditional else None
        spec = RunSpec(a.spec.seed, self.second.sampler.currentData(),
                       self.second.steps.value(), a.spec.eta, a.spec.n, a.spec.labels,
                       guidance, "compare", 0, a.run_id)
        return self._start_second(spec, None, None)

    def _start_second(self, spec: RunSpec, parent: RunRecord | None,
                      start: object) -> int | None:
        if self.secondary_id is not None:
            self.jobs.cancel_run(self.secondary_id)
        run_id = self._start(spec, parent, start, keep_running=True)
        if run_id is not None:
            self.secondary_id = run_id
            self._pin()
            self.row_b.show()
            self.show_current()
        return run_id

    def _start(self, spec: RunSpec, parent: RunRecord | None, start: object,
               keep_running: bool) -> int | None:
        info = self.info
        assert info is not None
        need = estimate_bytes(spec, info.channels, info.model_size, info.image_size)
        if not self.cache.fits(need):
            self.status.setText(
                f"This run needs about {_mb(need)}, over the trajectory cache's bound of "
                f"{_mb(self.cache.max_bytes)}: use fewer steps or samples.")
            return None
        run_id = self.jobs.next_run_id()
        record = RunRecord(run_id, spec, info.image_size, parent)
        self.cache.pinned.add(run_id)
        self._dropped(self.cache.add(record))
        self.jobs.run(RunRequest(run_id, info.generation, spec.n, spec.seed, spec.sampler,
                                 spec.steps, spec.eta, spec.labels, spec.guidance,
                                 start, spec.branch_from), keep_running=keep_running)  # type: ignore[arg-type]
        self._update_buttons()
        self._update_cache_label()
        return run_id

    @Slot()
    def cancel(self) -> None:
        """Stop every run after its current step (what arrived stays scrubbable)."""
        self.jobs.cancel()

    @Slot()
    def clear_second(self) -> None:
        """Hide row B (its run stays in the cache until dropped)."""
        if self.secondary_id is not None:
            self.jobs.cancel_run(self.secondary_id)
        self.secondary_id = None
        self.row_b.hide()
        self._pin()

    def _pin(self) -> None:
        self.cache.pinned = {i for i in (self.primary_id, self.secondary_id) if i is not None}
        self.cache.pinned |= self.jobs.running
        self._dropped(self.cache.trim())

    def _dropped(self, ids: list[int]) -> None:
        if ids:
            log.info("diffusion viewer: dropped runs %s to stay within %s", ids,
                     _mb(self.cache.max_bytes))

    # --- worker results ----------------------------------------------------------------
    @Slot(int, object)
    def _on_step(self, run_id: int, step: object) -> None:
        record = self.cache.runs.get(run_id)
        if record is None:
            return
        record.add(step)  # type: ignore[arg-type]
        if run_id in (self.primary_id, self.secondary_id) and not self._refresh_timer.isActive():
            self._refresh_timer.start()

    @Slot(int, object)
    def _on_finished(self, run_id: int, final: object) -> None:
        record = self.cache.runs.get(run_id)
        if record is not None:
            record.set_final(final)  # type: ignore[arg-type]

    @Slot(int, str)
    def _on_ended(self, run_id: int, status: str) -> None:
        record = self.cache.runs.get(run_id)
        if record is not None:
            record.status = status
            if run_id in (self.primary_id, self.secondary_id):
                self._follow_newest()
                if status == "cancelled":
                    self.status.setText(f"Run {'A' if run_id == self.primary_id else 'B'} "
                                        f"cancelled after {record.available} steps.")
        self._pin()
        self._update_buttons()
        self._update_cache_label()

    @Slot(str)
    def _on_failed(self, message: str) -> None:
        self._loading = False
        self.status.setText(f"<span style='color:#b00'>{message}</span>")
        self._update_buttons()

    # --- the step shown ----------------------------------------------------------------
    def current_step(self) -> int:
        """Return the step index the slider is on."""
        return self.slider.value()

    def _reset_slider(self) -> None:
        a = self.primary
        self.slider.blockSignals(True)
        self.slider.setRange(0, max(0, (a.num_steps if a else 1) - 1))
        self.slider.setValue(0)
        self.slider.blockSignals(False)
        self.sample_spin.setRange(0, a.spec.n if a else 0)
        self._update_progress()
        self.show_current()

    @Slot()
    def _follow_newest(self) -> None:
        a = self.primary
        if a is None:
            return
        # Counters and text follow at most at screen rate while a run streams.
        self._update_progress()
        self._update_cache_label()
        if self.follow_live and a.available:
            self.slider.blockSignals(True)
            self.slider.setValue(a.available - 1)
            self.slider.blockSignals(False)
        self.show_current()

    @Slot(int)
    def _on_slider(self, value: int) -> None:
        a = self.primary
        # Back at the newest step, the view follows the run again.
        self.follow_live = a is not None and value >= a.available - 1
        self.show_current()

    @Slot()
    def show_current(self) -> None:
        """Paint the cached arrays of the slider's step in every row and the filmstrip."""
        a = self.primary
        k = self.slider.value()
        sample = self.sample_spin.value() - 1 if self.sample_spin.value() > 0 else None
        if a is None:
            self.filmstrip.set_run(None, None, -1)
            self.step_label.set_text("")
            return
        self.row_a.show_step(a, k, sample)
        self._set_text(self.step_label,
                       f"step {min(k, max(0, a.available - 1)) + 1} / {a.num_steps}")
        b = self.secondary
        if b is not None:
            self.row_b.show_step(b, self.second_step(a, b, k), sample)
        self.filmstrip.set_run(a, sample, k)

    @staticmethod
    def second_step(a: RunRecord, b: RunRecord, k: int) -> int:
        """Return row B's step for row A's step k: the same index for a branch, the same
        fraction of the way for a compared run with another step count."""
        if b.spec.kind == "branch" or b.num_steps == a.num_steps:
            return k
        return round(k * (b.num_steps - 1) / max(1, a.num_steps - 1))

    @Slot()
    def step_back(self) -> None:
        """Show the previous step."""
        self.slider.setValue(self.slider.value() - 1)

    @Slot()
    def step_forward(self) -> None:
        """Show the next step that has arrived."""
        a = self.primary
        if a is not None and self.slider.value() + 1 < a.available:
            self.slider.setValue(self.slider.value() + 1)

    @Slot()
    def _to_first(self) -> None:
        self.slider.setValue(0)

    @Slot()
    def _to_last(self) -> None:
        a = self.primary
        if a is not None and a.available:
            self.slider.setValue(a.available - 1)

    @Slot(bool)
    def _on_play_toggled(self, on: bool) -> None:
        a = self.primary
        if on and a is not None and self.slider.value() >= a.available - 1 \
                and a.status != "running":
            self.slider.setValue(0)  # at the end: play from the start
        self.play_button.setText("Pause" if on else "Play")
        if on:
            self._play_timer.start()
        else:
            self._play_timer.stop()

    @Slot()
    def _on_play_tick(self) -> None:
        a = self.primary
        if a is None:
            self.play_button.setChecked(False)
            return
        if self.slider.value() + 1 < a.available:
            self.slider.setValue(self.slider.value() + 1)
        elif a.status != "running":
            self.play_button.setChecked(False)

    # --- files -------------------------------------------------------------------------
    def _sample(self) -> int | None:
        return self.sample_spin.value() - 1 if self.sample_spin.value() > 0 else None

    def export_gif(self, path: Path | str) -> Path:
        """Write run A's denoising (x_t beside x̂0 per step) as a GIF; return the path."""
        if self.primary is None:
            raise ValueError("run the sampler first")
        return export_gif(self.primary, self._sample(), path)

    def export_png(self, path: Path | str) -> Path:
        """Write the current step of run A (x_t, ε̂, x̂0) as a PNG; return the path."""
        if self.primary is None or not self.primary.available:
            raise ValueError("run the sampler first")
        k = min(self.current_step(), self.primary.available - 1)
        return export_step_png(self.primary, k, self._sample(), path)

    def save_trajectory(self, path: Path | str) -> Path:
        """Write run A as a trajectory .npz; return the path."""
        if self.primary is None:
            raise ValueError("run the sampler first")
        return self.primary.to_trajectory().save(path)

    def load_trajectory(self, path: Path | str) -> int:
        """Show a trajectory .npz as run A (no model needed); return its run id."""
        traj = Trajectory.load(path)
        run_id = self.jobs.next_run_id()
        record = RunRecord.from_trajectory(
            run_id, traj, self.info.image_size if self.info else None)
        self.clear_second()
        self.cache.add(record)
        self.primary_id = run_id
        self.follow_live = False
        self._pin()
        self._reset_slider()
        self.status.setText(f"Trajectory {Path(path).name}: {record.spec.describe()}")
        self._update_buttons()
        self._update_cache_label()
        return run_id

    def _file_action(self, title: str, filt: str, save: bool, action: object) -> None:
        dialog = QFileDialog.getSaveFileName if save else QFileDialog.getOpenFileName
        path, _ = dialog(self, title, "", filt)
        if not path:
            return
        try:
            action(path)  # type: ignore[operator]
        except (OSError, ValueError) as exc:
            self.status.setText(f"<span style='color:#b00'>{exc}</span>")

    @Slot()
    def _export_gif_dialog(self) -> None:
        self._file_action("Export denoising GIF", "GIF images (*.gif)", True, self.export_gif)

    @Slot()
    def _export_png_dialog(self) -> None:
        self._file_action("Export step PNG", "PNG images (*.png)", True, self.export_png)

    @Slot()
    def _save_dialog(self) -> None:
        self._file_action("Save trajectory", "Trajectories (*.npz)", True,
                          self.save_trajectory)

    @Slot()
    def _load_dialog(self) -> None:
        self._file_action("Load trajectory", "Trajectories (*.npz)", False,
                          self.load_trajectory)

    # --- enabled states ----------------------------------------------------------------
    def _update_buttons(self) -> None:
        ready = self.info is not None and not self._loading
        running = self.jobs.busy
        a = self.primary
        self.run_button.setEnabled(ready)
        self.cancel_button.setEnabled(running)
        self.progress.setVisible(a is not None)
        self.second.branch_button.setEnabled(ready and a is not None and
                                             a.spec.kind != "loaded")
        self.second.compare_button.setEnabled(ready and a is not None and
                                              a.spec.kind != "loaded")
        self.reload_button.setVisible(self._source is not None or self._pending is not None)
        done = a is not None and a.available > 0
        self.act_gif.setEnabled(done)
        self.act_png.setEnabled(done)
        self.act_save.setEnabled(a is not None and a.final is not None)

    def _update_progress(self) -> None:
        a = self.primary
        text = "" if a is None else f"{a.available} / {a.num_steps} steps" + (
            "" if a.status in ("running", "done") else f", {a.status}")
        self._set_text(self.progress, text)

    def _update_cache_label(self) -> None:
        n = len(self.cache.runs)
        self._set_text(self.cache_label, f"Cache {_mb(self.cache.total_bytes)} of "
                                 f"{_mb(self.cache.max_bytes)}\n{n} run{'s' if n != 1 else ''}")

    @staticmethod
    def _set_text(label: TextLine, text: str) -> None:
        label.set_text(text)
