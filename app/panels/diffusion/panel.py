"""The Diffusion panel: the forward process, and the reverse process step by step.

GUI thread only. This module follows the window's model (the Panel base): it prepares a
diffusion model on the "diffusion" lane (`jobs.prepare_events`: its lane copy, the
forward view's data, warmed-up samplers) and forgets everything when another model comes.
The features live beside it: `layout.py` builds the widgets, `runs.py` starts and records
runs (branch, compare, cancel), `playback.py` shows the cached steps (slider, Play,
filmstrip), `guidance.py` shows classifier-free guidance's branches (conditional models)
and `file_menu.py` exports them.
"""

from __future__ import annotations

import html
import itertools
from functools import partial
from typing import Any

from PySide6.QtCore import Signal
from PySide6.QtWidgets import QWidget

from app import theme
from app.jobs import Job
from app.jobs.copies import ModelCopy
from app.panels.base import Panel
from app.panels.diffusion.cache import DEFAULT_MAX_BYTES, TrajectoryCache
from app.panels.diffusion.file_menu import FileMenu
from app.panels.diffusion.guidance import Guidance
from app.panels.diffusion.jobs import (
    LANE,
    PREPARE,
    PreviewFitting,
    SamplersReady,
    prepare_events,
    release_events,
)
from app.panels.diffusion.layout import PanelWidgets
from app.panels.diffusion.model_info import DiffusionModelInfo
from app.panels.diffusion.playback import Playback
from app.panels.diffusion.preview import LatentPreview
from app.panels.diffusion.recorded import Recorded
from app.panels.diffusion.runs import Runs
from app.session import Session
from models.opened import OpenedModel

EMPTY_TEXT = "Open or train a diffusion model (ddpm or cddpm) to step through its sampler."
NOT_DIFFUSION_TEXT = ("This model is not a diffusion model: the step viewer shows how a "
                      "diffusion model (ddpm or cddpm) denoises, step by step. Open or train "
                      "a diffusion model to step through its sampler.")
TRAINING_TEXT = "The diffusion viewer loads the model when training ends."
HIDDEN_TEXT = "A diffusion model is open: it loads when this panel is shown."
READY_TEXT = "Press Run to denoise: each step appears as it completes."


class DiffusionPanel(FileMenu, Guidance, LatentPreview, Recorded, Runs, Playback, PanelWidgets,
                     Panel):
    """Forward-process and reverse-process tabs for the window's diffusion model.

    Emits stepped(run id, DenoiseStep) once a streamed step is recorded, ended(run id,
    "done" | "cancelled" | "failed") when a run's job has ended, and recordedShown(run id)
    when a checkpoint's recorded trajectory is shown as run A (recorded.py).
    """

    stepped = Signal(int, object)
    ended = Signal(int, str)
    recordedShown = Signal(int)

    def __init__(self, session: Session, parent: QWidget | None = None,
                 cache_bytes: int = DEFAULT_MAX_BYTES) -> None:
        super().__init__(session, parent)
        self.copies = ModelCopy()  # the diffusion lane's copy: used on that lane only
        self.cache = TrajectoryCache(cache_bytes)
        self.info: DiffusionModelInfo | None = None
        self.primary_id: int | None = None
        self.secondary_id: int | None = None
        self.follow_live = True
        self.run_jobs: dict[int, Job] = {}
        self.run_ids = itertools.count(1)
        self.samplers_ready = False  # the prepare job of the model shown has finished
        self._prepare_id = 0  # of the newest prepare job: older ones' ends are stale
        self._copy_held = False  # the lane may hold a copy of a model no longer shown
        self._build()
        self._connect_runs()
        self._connect_playback()
        self._connect_files()
        self._connect_guidance()
        self._connect_recorded()
        self._connect_preview()
        # After the base's slots: says why nothing shows while a model waits.
        session.models.opened.connect(self._show_waiting)
        session.models.updated.connect(self._show_waiting)
        session.stateChanged.connect(self._show_waiting)
        self.clear()

    # --- the Panel lifecycle -------------------------------------------------------------
    def accepts(self, model: OpenedModel) -> bool:
        """Return True for diffusion models."""
        return bool(model.capabilities.is_diffusion)

    def ready_now(self) -> bool:
        """Return True while shown and not training (preparing costs CPU the trainer needs)."""
        return self.isVisible() and not self.session.state.busy

    def show_unsupported(self, model: OpenedModel) -> None:
        """Say that the step viewer is for diffusion models."""
        self._show_text(NOT_DIFFUSION_TEXT)

    def clear(self) -> None:
        """Forget the model and everything shown of it: runs, cache, rows, slider, filmstrip,
        forward view, settings and texts; stop the lane's jobs. The opened checkpoint's
        recorded run stays (recorded.py), at the frame it was on."""
        recorded = self.recorded_run()
        frame = self.slider.value() if recorded is not None else None
        self.session.jobs.cancel(LANE)
        self.run_jobs.clear()
        self._prepare_id += 1
        self.samplers_ready = False
        if self._copy_held:  # free the weights' memory now, not when the next model comes
            self._copy_held = False
            try:
                self.session.jobs.submit(LANE, lambda job: release_events(job, self.copies),
                                         channel="diffusion-release")
            except RuntimeError:
                pass  # the window is closing: the lane ends, and its copy with it
        self.info = None
        self.primary_id = self.secondary_id = None
        self.follow_live = True
        self._refresh_timer.stop()
        self.play_button.setChecked(False)
        self.cache.runs.clear()
        self.cache.pinned.clear()
        self.row_b.hide()
        self.row_b.set_placeholder("")
        self.form.reset()
        self.second.reset()
        self.set_guidance_available(False)
        self.set_latent_model(False, None)
        self.forward.set_model(None)
        self._reset_slider()
        self._update_cache_label()
        self._show_text(EMPTY_TEXT)
        self._show_recorded(frame)  # the opened checkpoint's recording outlives its model's arrival

    def show_model(self, model: OpenedModel) -> None:
        """Prepare `model` on the lane (a newer one of the same run replaces the older:
        its runs stop); the controls enable once its samplers are warm."""
        self.cancel()
        self.samplers_ready = False
        self._copy_held = True
        self._prepare_id += 1
        key, copies = self._prepare_id, self.copies
        self.session.jobs.submit(
            LANE, lambda job: prepare_events(job, model, copies), channel=PREPARE,
            on_event=partial(self._on_prepared, key),
            on_error=partial(self._on_prepare_failed, key))
        if self.info is None:
            self._show_text(f"Preparing the {model.family} model…")
        self._update_buttons()

    # --- prepare job results -----------------------------------------------------------------
    def _on_prepared(self, key: int, event: Any) -> None:
        if key != self._prepare_id:
            return
        if isinstance(event, PreviewFitting):
            self.status.setText(self.recorded_text(
                f"Fitting the linear preview on {event.images} {event.dataset} images: this "
                "checkpoint has none (a checkpoint trained now keeps it)…"))
            return
        if isinstance(event, SamplersReady):
            self.samplers_ready = True
            if self.info is not None:
                self.status.setText(self.recorded_text(self.ready_text()))
            if self.primary_id is None:
                self.row_a.set_placeholder(READY_TEXT)
            self._update_buttons()
            return
        first = self.info is None
        self.info = info = event
        self.forward.set_model(info)
        if first:  # newer weights of the same run keep the settings chosen
            self.form.set_defaults(info.default_sampler, info.default_steps)
            self.form.set_conditional(info.class_names if info.conditional else None,
                                      info.default_guidance)
            self.second.follow(self.form.settings())
            self.second.set_conditional(info.conditional, info.default_guidance)
            # The guidance view draws pixel-space ε̂ and x̂0: not latent models'.
            self.set_guidance_available(info.conditional and not info.latent)
            self.status.setText(self.recorded_text(
                f"{info.family}, epoch {info.epoch}: warming up the samplers…"))
        self.set_latent_model(info.latent, info.preview_r2)
        if info.latent and info.linear_preview is not None:
            # Runs recorded without pixel views (the checkpoint's own file) get the map's.
            for record in self.cache.runs.values():
                self.give_linear_views(record)
            self.show_current()

    def _on_prepare_failed(self, key: int, message: str, _tb: str) -> None:
        if key == self._prepare_id:
            self.status.setText(theme.coloured(html.escape(str(message)), "error"))
            self._update_buttons()

    # --- texts and enabled states --------------------------------------------------------------
    def _show_waiting(self, *_: object) -> None:
        if self.pending is not None and self.model is None:
            self._show_text(TRAINING_TEXT if self.session.state.busy else HIDDEN_TEXT)

    def ready_text(self) -> str:
        """Return the status line of a model ready to sample: its facts and folder."""
        info = self.info
        if info is None:
            return READY_TEXT
        text = (f"{info.family}, epoch {info.epoch}: {info.image_size} px, T = "
                f"{info.num_train_timesteps} — {info.path or 'from training'}")
        if info.latent:
            text += f"\nLatent space {info.latent_channels}×{info.model_size}×" \
                    f"{info.model_size}; " + (info.preview_note or (
                        "linear preview from training" if info.preview_r2 is not None
                        else "no linear preview (no training images to fit it on)"))
        return text

    def _show_text(self, text: str) -> None:
        self.status.setText(self.recorded_text(text))
        if self.primary_id is None:
            self.row_a.set_placeholder(text)
        self._update_buttons()

    def _update_buttons(self) -> None:
        ready = self.info is not None and self.samplers_ready
        a = self.primary
        self.run_button.setEnabled(ready)
        self.cancel_button.setEnabled(bool(self.run_jobs))
        self.progress.setVisible(a is not None)
        can_second = ready and a is not None and a.spec.kind != "loaded"
        self.second.branch_button.setEnabled(can_second)
        self.second.compare_button.setEnabled(can_second)
        done = a is not None and a.available > 0
        self.act_gif.setEnabled(done)
        self.act_png.setEnabled(done)
        self.act_save.setEnabled(a is not None and a.final is not None)
        self._update_guidance_controls()
