"""The window's actions, menus and toolbar, and when each action is enabled (GUI thread)."""

from __future__ import annotations

from PySide6.QtCore import Qt, Slot
from PySide6.QtGui import QAction, QActionGroup, QKeySequence
from PySide6.QtWidgets import QComboBox, QLabel, QToolBar

from app import settings, theme
from app.session import JobState


class WindowActions:
    """Mixin of MainWindow: builds every QAction (with its shortcut and tip), the menus and
    the toolbar, and enables them from the session's state."""

    def _action(self, text: str, shortcut: str | QKeySequence.StandardKey, slot: object,
                tip: str, name: str) -> QAction:
        act = QAction(text, self)
        act.setObjectName(name)
        act.setShortcut(QKeySequence(shortcut))
        act.setShortcutContext(Qt.ShortcutContext.ApplicationShortcut)
        seq = act.shortcut().toString(QKeySequence.SequenceFormat.NativeText)
        act.setToolTip(f"{tip} ({seq})" if seq else tip)
        act.setStatusTip(tip)
        act.triggered.connect(slot)
        return act

    def _make_actions(self) -> None:
        a = self._action
        self.act_new = a("&New model", "Ctrl+N", self.new_model,
                         "Reset the setup to defaults and clear the run shown", "act_new")
        self.act_open = a("&Open model…", "Ctrl+O", self.open_checkpoint_dialog,
                          "Open a checkpoint folder, or a diffusers pipeline folder (Stable "
                          "Diffusion and kin: the Pipeline dock)", "act_open")
        self.act_open_cached = a("Models on this &computer…", "Ctrl+Alt+O",
                                 self.open_cached_dialog,
                                 "Pipelines in the Hugging Face cache, found without network",
                                 "act_open_cached")
        self.act_open_run = a("Open &run folder…", "Ctrl+Shift+O", self.open_run_dialog,
                              "Open a run folder and follow it while it is written",
                              "act_open_run")
        self.act_save = a("&Save checkpoint as…", "Ctrl+S", self.save_checkpoint_dialog,
                          "Save the current model and training state to a folder", "act_save")
        self.act_export = a("&Export figure…", "Ctrl+E", self.export_figure_dialog,
                            "Save the Training panel as a PNG image", "act_export")
        self.act_quit = a("&Quit", "Ctrl+Q", self.close, "Quit Latent Lab", "act_quit")
        self.act_train = a("&Train", "Ctrl+T", self.start_training,
                           "Train the model set up on the left", "act_train")
        self.act_pause = a("&Pause", "Ctrl+P", self.session.pause,
                           "Pause training after the current step", "act_pause")
        self.act_resume = a("&Resume", "Ctrl+R", self.session.resume,
                            "Resume paused training", "act_resume")
        self.act_stop = a("St&op", "Ctrl+.", self.session.stop,
                          "Stop training (a checkpoint is saved) or stop following",
                          "act_stop")
        self.act_sample = a("&Sample new images", "Ctrl+G", self.sample,
                            "Draw fresh samples from the latest weights", "act_sample")
        self.act_presentation = a("&Presentation mode", "F11", self.toggle_presentation,
                                  "Full screen, large high-contrast text and thick lines, "
                                  "advanced controls hidden (for a projector)",
                                  "act_presentation")
        self.act_presentation.setCheckable(True)
        self.act_fullscreen = a("&Full screen", "Shift+F11", self.toggle_full_screen,
                                "Full screen without changing the look", "act_fullscreen")
        self.act_fullscreen.setCheckable(True)
        self.act_reset_layout = a("Reset &layout", "Ctrl+Shift+R", self.reset_layout,
                                  "Put every panel back where it started", "act_reset_layout")
        self.act_shortcuts = a("&Keyboard shortcuts", "F1", self.show_shortcuts,
                               "List every keyboard shortcut", "act_shortcuts")
        self.act_about = a("&About Latent Lab", "Ctrl+F1", self.show_about,
                           "Versions and the device in use", "act_about")
        self.act_train_vae = a("Train a &VAE on digits", "Ctrl+Shift+T",
                               self.train_vae_on_digits,
                               "Set up a 2-D VAE on the bundled digits and train it",
                               "act_train_vae")
        self._theme_actions: dict[str, QAction] = {}
        group = QActionGroup(self)
        for key, name in zip(("Ctrl+Alt+L", "Ctrl+Alt+D"), theme.USER_THEMES, strict=True):
            act = a(f"{theme.THEMES[name].title} theme", key, self._on_theme_chosen,
                    f"Use the {name} theme", f"act_theme_{name}")
            act.setCheckable(True)
            act.setData(name)
            group.addAction(act)
            self._theme_actions[name] = act
        self.demo_actions: list[QAction] = []
        for i, demo in enumerate(self.welcome.demos):
            act = a(demo.title, f"Ctrl+Alt+{i + 1}" if i < 9 else "", self._open_demo_action,
                    demo.description, f"act_demo_{demo.name}")
            act.setData(str(demo.path))
            self.demo_actions.append(act)
        self.act_clear_recent = a("Clear recent", "", self._clear_recent,
                                  "Forget the recent files", "act_clear_recent")

    def _make_menus(self) -> None:
        bar = self.menuBar()
        m = bar.addMenu("&File")
        m.addActions([self.act_new, self.act_open, self.act_open_cached, self.act_open_run])
        self.demo_menu = m.addMenu("Open &demo")
        self.demo_menu.addActions(self.demo_actions)
        self.demo_menu.setEnabled(bool(self.demo_actions))
        self.recent_menu = m.addMenu("Open &recent")
        self.recent_menu.aboutToShow.connect(self._fill_recent)
        self._fill_recent()
        m.addSeparator()
        m.addActions([self.act_save, self.act_export])
        m.addSeparator()
        m.addAction(self.act_quit)
        m = bar.addMenu("&Train")
        m.addActions([self.act_train, self.act_pause, self.act_resume, self.act_stop])
        m.addSeparator()
        m.addAction(self.act_sample)
        m.addAction(self.act_train_vae)
        m = bar.addMenu("&View")
        for dock, key in ((self.setup_dock, "Ctrl+1"), (self.training_dock, "Ctrl+2"),
                          (self.log_dock, "Ctrl+3"), (self.latent_dock, "Ctrl+4")):
            toggle = dock.toggleViewAction()
            toggle.setShortcut(QKeySequence(key))
            m.addAction(toggle)
        m.addAction(self.diffusion_dock.toggleViewAction())
        m.addAction(self.interpolation_dock.toggleViewAction())
        m.addActions([dock.toggleViewAction() for dock in self.tool_docks])
        m.addSeparator()
        m.addActions([self.act_presentation, self.act_fullscreen, self.act_reset_layout])
        m.addSeparator()
        m.addActions(list(self._theme_actions.values()))
        m = bar.addMenu("&Help")
        m.addActions([self.act_shortcuts, self.act_about])

    def _make_toolbar(self) -> None:
        tb = QToolBar("Main toolbar")
        tb.setObjectName("main_toolbar")
        tb.setToolButtonStyle(Qt.ToolButtonStyle.ToolButtonTextOnly)
        tb.addActions([self.act_new, self.act_open, self.act_open_run, self.act_save,
                       self.act_export])
        tb.addSeparator()
        tb.addActions([self.act_train, self.act_pause, self.act_resume, self.act_stop])
        tb.addSeparator()
        tb.addAction(self.act_sample)
        tb.addSeparator()
        self.device_label_action = tb.addWidget(QLabel(" Device "))
        self.device_box = QComboBox()
        self.device_box.setObjectName("device_box")
        self.device_box.addItem("loading…", "auto")
        self.device_box.setToolTip("Where to train (Ctrl+D); only devices present are offered")
        self.device_box.setEnabled(False)
        self.device_box.setSizeAdjustPolicy(QComboBox.SizeAdjustPolicy.AdjustToContents)
        self.device_box.currentIndexChanged.connect(self._on_device_chosen)
        self.device_action = tb.addWidget(self.device_box)
        focus = QAction("Choose device", self)
        focus.setShortcut(QKeySequence("Ctrl+D"))
        focus.triggered.connect(self._focus_device)
        self.addAction(focus)
        self.addToolBar(tb)
        self.toolbar = tb

    @Slot()
    def _update_actions(self, *_: object) -> None:
        s = self.session
        state, ready = s.state, s.torch_ready
        busy = state.busy
        self.act_train.setEnabled(ready and not busy and self.setup_panel.is_valid())
        self.act_train.setToolTip(
            "Train the model set up on the left (Ctrl+T)" if self.setup_panel.is_valid()
            else "Fix the values marked in red first")
        self.act_pause.setEnabled(state in (JobState.TRAINING, JobState.PREPARING))
        self.act_resume.setEnabled(state is JobState.PAUSED)
        self.act_stop.setEnabled((busy and state is not JobState.STOPPING)
                                 or state is JobState.FOLLOWING)
        # Opening works before torch: the pictures show from files, the model follows.
        self.act_open.setEnabled(not busy)
        self.act_open_run.setEnabled(not busy)
        self.act_new.setEnabled(not busy)
        self.act_save.setEnabled(ready and (busy or s.checkpoint is not None))
        self.act_sample.setEnabled(s.model is not None)
        self.device_box.setEnabled(ready and not busy)
        self.act_train_vae.setEnabled(ready and not busy)
        for act in self.demo_actions:
            act.setEnabled(not busy)
        self.recent_menu.setEnabled(not busy)  # opening is refused while training
        self.welcome.set_ready(torch_ready=ready, busy=busy)

    def _fill_recent(self) -> None:
        self.recent_menu.clear()
        for path in settings.recent_files():
            act = self.recent_menu.addAction(path)
            act.setData(path)
            act.triggered.connect(self._open_recent)
        if not self.recent_menu.isEmpty():
            self.recent_menu.addSeparator()
        self.recent_menu.addAction(self.act_clear_recent)

    @Slot()
    def open_cached_dialog(self) -> None:
        """List the cache's pipelines (app/panels/pipeline/cache_dialog.py); open the one
        chosen in the Pipeline dock."""
        from app.panels.pipeline.cache_dialog import CachedModelsDialog

        dialog = CachedModelsDialog(parent=self)
        if dialog.exec() and dialog.chosen() is not None:
            self.open_path(str(dialog.chosen()))

    @Slot()
    def _open_recent(self) -> None:
        act = self.sender()
        if isinstance(act, QAction):
            self.open_path(str(act.data()))

    @Slot()
    def _clear_recent(self) -> None:
        settings.clear_recent_files()
        self._fill_recent()

    @Slot()
    def _open_demo_action(self) -> None:
        act = self.sender()
        if isinstance(act, QAction):
            self.open_path(str(act.data()))
