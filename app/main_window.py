"""The main window: setup panel, Training dock, menus, toolbar, status bar."""

from __future__ import annotations

from pathlib import Path

from PySide6.QtCore import QByteArray, QObject, Qt, QTimer, Signal, Slot
from PySide6.QtGui import QAction, QActionGroup, QCloseEvent, QKeySequence, QPaintEvent
from PySide6.QtWidgets import (
    QComboBox,
    QDockWidget,
    QFileDialog,
    QLabel,
    QMainWindow,
    QMessageBox,
    QScrollArea,
    QStackedWidget,
    QToolBar,
    QWidget,
)

from app import settings, theme
from app.log import log
from app.panels.diffusion import DiffusionPanel
from app.panels.interpolation import InterpolationPanel
from app.panels.latent_map import LatentMapPanel
from app.panels.setup_panel import DEFAULT_FAMILY, ModelSetupPanel
from app.panels.training import TrainingPanel
from app.panels.welcome import WelcomeView
from app.state import JobState, Session
from app.widgets.log_view import LogView
from app.widgets.message_bar import MessageBar
from app.widgets.status_bar import StatusBar
from models.cores import gui_default_threads

LAYOUT_VERSION = 2  # bump when docks change so an old saved layout is not restored


class MainWindow(QMainWindow):
    """The application window (GUI thread). Emits firstPainted() once, after its first paint."""

    firstPainted = Signal()

    def __init__(self, session: Session, log_bridge: QObject | None = None) -> None:
        super().__init__()
        self.session = session
        self._painted = False
        self._closed = False
        self.setWindowTitle("Latent Lab")
        self.setObjectName("main_window")
        self.setDockNestingEnabled(True)
        self.resize(1400, 880)

        # Panels are docks the user can move, float or close; there is no central widget.
        self.training_panel = TrainingPanel(session)
        self.setup_panel = ModelSetupPanel(session)
        scroll = QScrollArea()
        scroll.setWidget(self.setup_panel)
        scroll.setWidgetResizable(True)
        scroll.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        scroll.setMinimumWidth(300)
        scroll.setMaximumWidth(max(360, self.setup_panel.sizeHint().width() + 24))
        self.setup_dock = self._dock("Setup", "setup_dock", scroll,
                                     Qt.DockWidgetArea.LeftDockWidgetArea)
        # With nothing open the Training dock shows the welcome view instead.
        self.welcome = WelcomeView()
        self.welcome.demoChosen.connect(self.open_path)
        self.welcome.trainVaeChosen.connect(self.train_vae_on_digits)
        self.training_stack = QStackedWidget()
        self.training_stack.addWidget(self.welcome)
        self.training_stack.addWidget(self.training_panel)
        self.training_dock = self._dock("Training", "training_dock", self.training_stack,
                                        Qt.DockWidgetArea.RightDockWidgetArea)
        self.latent_dock = self._dock("Latent map", "latent_map_dock", LatentMapPanel(session),
                                      Qt.DockWidgetArea.RightDockWidgetArea)
        self.tabifyDockWidget(self.training_dock, self.latent_dock)
        self.diffusion_dock = self._dock("Diffusion", "diffusion_dock", DiffusionPanel(session),
                                         Qt.DockWidgetArea.RightDockWidgetArea)
        self.tabifyDockWidget(self.latent_dock, self.diffusion_dock)
        self.interpolation_panel = InterpolationPanel(session)
        self.interpolation_dock = self._dock("Interpolation", "interpolation_dock",
                                             self.interpolation_panel,
                                             Qt.DockWidgetArea.RightDockWidgetArea)
        self.tabifyDockWidget(self.latent_dock, self.interpolation_dock)
        self.training_dock.raise_()
        self.log_view = LogView()
        self.log_dock = self._dock("Log", "log_dock", self.log_view,
                                   Qt.DockWidgetArea.BottomDockWidgetArea)
        self.log_dock.hide()
        if log_bridge is not None:
            log_bridge.record.connect(self.log_view.append_record)

        self.status = StatusBar(session)
        self.setStatusBar(self.status)
        self._make_actions()
        self._make_menus()
        self._make_toolbar()
        # Messages get their own strip under the toolbar, shown only while there is one.
        self.message_bar = MessageBar()
        self.message_toolbar = QToolBar("Messages")
        self.message_toolbar.setObjectName("message_toolbar")
        self.message_toolbar.setMovable(False)
        self.message_toolbar.setFloatable(False)
        self.message_toolbar.toggleViewAction().setVisible(False)
        self.message_toolbar.addWidget(self.message_bar)
        self.message_bar.dismissed.connect(self.message_toolbar.hide)
        self.addToolBarBreak()
        self.addToolBar(self.message_toolbar)

        session.stateChanged.connect(self._update_actions)
        session.torchReady.connect(self._on_torch_ready)
        session.modelChanged.connect(self._update_actions)
        session.epochAdded.connect(self._update_actions)
        session.runReset.connect(self._update_actions)  # File › New forgets the checkpoint
        session.message.connect(self._on_message)
        session.checkpointOpened.connect(self._show_demo_explorer)
        session.modelChanged.connect(self._on_model_changed)
        for signal in (session.stateChanged, session.runReset, session.checkpointOpened,
                       session.epochAdded):
            signal.connect(self._update_welcome)
        self._presentation_state: QByteArray | None = None
        self._user_theme = settings.app_settings().value("view/theme", "light", type=str)
        if self._user_theme not in theme.USER_THEMES:
            self._user_theme = "light"
        theme.apply_theme(self._user_theme, self)
        self._theme_actions[self._user_theme].setChecked(True)
        self.setup_panel.validityChanged.connect(self._update_actions)
        self._restore_layout()
        self.message_toolbar.hide()
        self._update_actions()

    # --- construction ------------------------------------------------------------------
    def _dock(self, title: str, name: str, widget: QWidget,
              area: Qt.DockWidgetArea) -> QDockWidget:
        dock = QDockWidget(title, self)
        dock.setObjectName(name)
        dock.setWidget(widget)
        self.addDockWidget(area, dock)
        return dock

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
        self.act_open = a("&Open checkpoint…", "Ctrl+O", self.open_checkpoint_dialog,
                          "Open a checkpoint folder", "act_open")
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
        m.addActions([self.act_new, self.act_open, self.act_open_run])
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

    # --- layout persistence --------------------------------------------------------------
    def _restore_layout(self) -> None:
        self._default_state = self.saveState(LAYOUT_VERSION)
        s = settings.app_settings()
        geometry = s.value("window/geometry")
        state = s.value("window/state")
        if isinstance(geometry, QByteArray):
            self.restoreGeometry(geometry)
        if isinstance(state, QByteArray):
            self.restoreState(state, LAYOUT_VERSION)

    def save_layout(self) -> None:
        """Write geometry and dock layout to the settings."""
        s = settings.app_settings()
        s.setValue("window/geometry", self.saveGeometry())
        s.setValue("window/state", self.saveState(LAYOUT_VERSION))
        s.sync()

    @Slot()
    def reset_layout(self) -> None:
        """Restore the default dock layout."""
        self.restoreState(self._default_state, LAYOUT_VERSION)
        for dock in (self.setup_dock, self.training_dock):
            dock.show()

    # --- enabling ------------------------------------------------------------------------
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
        self.act_open.setEnabled(ready and not busy)
        self.act_open_run.setEnabled(ready and not busy)
        self.act_new.setEnabled(not busy)
        self.act_save.setEnabled(ready and (busy or s.checkpoint is not None))
        self.act_sample.setEnabled(s.model_info is not None)
        self.device_box.setEnabled(ready and not busy)
        self.act_train_vae.setEnabled(ready and not busy)
        for act in self.demo_actions:
            act.setEnabled(ready and not busy)
        self.welcome.set_ready(ready and not busy)

    @Slot(object)
    def _on_torch_ready(self, info: dict) -> None:
        self.device_box.blockSignals(True)
        self.device_box.clear()
        devices = list(info.get("devices", ["cpu"]))
        self.device_box.addItem(f"Auto ({devices[0]})", "auto")
        for d in devices:
            self.device_box.addItem(d.upper() if d in ("cpu", "mps") else d, d)
        saved = settings.app_settings().value("device", "auto", type=str)
        index = self.device_box.findData(saved)
        self.device_box.setCurrentIndex(max(0, index))
        self.device_box.blockSignals(False)
        self.session.set_device(str(self.device_box.currentData()))
        self._update_actions()

    @Slot(int)
    def _on_device_chosen(self, index: int) -> None:
        device = self.device_box.itemData(index)
        if device:
            self.session.set_device(str(device))
            settings.app_settings().setValue("device", device)

    @Slot()
    def _focus_device(self) -> None:
        if self.device_box.isEnabled():
            self.device_box.setFocus()
            self.device_box.showPopup()

    # --- commands ------------------------------------------------------------------------
    @Slot()
    def start_training(self) -> None:
        """Start training what the setup panel describes; refusals become messages."""
        try:
            family, model, train, data = self.setup_panel.job_configs()
            self.session.start_training(family, model, train, data)
        except (ValueError, RuntimeError) as exc:
            self._on_message("error", f"Cannot start training: {exc}")
            return
        self.message_bar.dismiss()

    @Slot()
    def sample(self) -> None:
        """Ask for fresh samples from the latest weights."""
        self.session.sample(64)

    @Slot()
    def new_model(self) -> None:
        """Reset the setup forms and clear the run shown."""
        try:
            self.session.clear()
        except RuntimeError as exc:
            self._on_message("error", str(exc))
            return
        self.setup_panel.set_family(DEFAULT_FAMILY)
        self.setup_panel.set_dataset("mnist5k")
        from models.config import DataConfig, TrainConfig

        self.setup_panel.train_form.set_config(TrainConfig(threads=gui_default_threads()))
        self.setup_panel.data_form.set_config(DataConfig())

    def open_path(self, path: Path | str) -> None:
        """Open a checkpoint or run folder and remember it in the recent list."""
        path = Path(path)
        try:
            self.session.open_path(path)
        except (OSError, RuntimeError, ValueError) as exc:
            self._on_message("error", f"Cannot open {path}: {exc}")
            return
        settings.add_recent_file(path)
        self._fill_recent()

    @Slot()
    def open_checkpoint_dialog(self) -> None:
        """Ask for a checkpoint folder and open it."""
        folder = QFileDialog.getExistingDirectory(self, "Open a checkpoint folder",
                                                  str(self.session.runs_root))
        if folder:
            self.open_path(folder)

    @Slot()
    def open_run_dialog(self) -> None:
        """Ask for a run folder and follow it."""
        folder = QFileDialog.getExistingDirectory(self, "Open a run folder",
                                                  str(self.session.runs_root))
        if folder:
            self.open_path(folder)

    def save_checkpoint(self, dest: Path | str) -> None:
        """Save the current checkpoint to `dest` (a folder)."""
        try:
            self.session.save_checkpoint(Path(dest))
        except RuntimeError as exc:
            self._on_message("error", str(exc))

    @Slot()
    def save_checkpoint_dialog(self) -> None:
        """Ask where to save the checkpoint, then save it."""
        dest, _ = QFileDialog.getSaveFileName(self, "Save checkpoint as folder",
                                              str(self.session.runs_root / "checkpoint"))
        if dest:
            self.save_checkpoint(dest)

    def export_figure(self, path: Path | str) -> bool:
        """Save the Training panel as an image; return True on success."""
        ok = self.training_dock.widget().grab().save(str(path))
        if ok:
            self.status.showMessage(f"Figure saved to {path}", 6000)
            log.info("figure exported to %s", path)
        else:
            self._on_message("error", f"Could not write {path}")
        return ok

    @Slot()
    def export_figure_dialog(self) -> None:
        """Ask for a PNG file name and export the Training panel."""
        path, _ = QFileDialog.getSaveFileName(self, "Export figure", "training.png",
                                              "PNG image (*.png)")
        if path:
            self.export_figure(path if path.lower().endswith(".png") else path + ".png")

    @Slot()
    def train_vae_on_digits(self) -> None:
        """Set up the default 2-D VAE on the bundled digits and start training it."""
        self.setup_panel.set_family("vae")
        self.setup_panel.set_dataset("mnist5k")
        self.setup_panel.model_form.set_values({"latent_dim": 2})
        self.start_training()

    @Slot()
    def _open_demo_action(self) -> None:
        act = self.sender()
        if isinstance(act, QAction):
            self.open_path(str(act.data()))

    @Slot()
    def _update_welcome(self, *_: object) -> None:
        s = self.session
        nothing_open = (s.checkpoint is None and s.state in (JobState.IDLE, JobState.LOADING)
                        and s.history.last_step == 0)
        self.training_stack.setCurrentWidget(self.welcome if nothing_open
                                             else self.training_panel)

    @Slot(object)
    def _show_demo_explorer(self, opened: object) -> None:
        """Bring a demo's most telling panel forward: the diffusion viewer or the map."""
        from models.demos import DEMOS_DIR

        path = Path(opened.path).resolve()  # type: ignore[attr-defined]
        self._demo_opening = DEMOS_DIR.resolve() in path.parents

    @Slot(object)
    def _on_model_changed(self, info: object) -> None:
        if getattr(self, "_demo_opening", False):
            self._demo_opening = False
            diffusion = bool(getattr(info, "is_diffusion", False))
            dock = self.diffusion_dock if diffusion else self.latent_dock
            dock.show()
            dock.raise_()

    @Slot()
    def _on_theme_chosen(self) -> None:
        act = self.sender()
        if isinstance(act, QAction):
            self.set_theme(str(act.data()))

    def set_theme(self, name: str) -> None:
        """Use the light or dark theme (remembered); in presentation mode, after it ends."""
        self._user_theme = name
        settings.app_settings().setValue("view/theme", name)
        self._theme_actions[name].setChecked(True)
        if not self.act_presentation.isChecked():
            theme.apply_theme(name, self)

    @Slot()
    def toggle_presentation(self) -> None:
        """Enter or leave presentation mode; leaving restores the layout and the theme."""
        entering = self._presentation_state is None
        self.act_presentation.setChecked(entering)
        advanced = (self.act_new, self.act_open, self.act_open_run, self.act_save,
                    self.act_export)
        if entering:
            self._presentation_state = self.saveState(LAYOUT_VERSION)
            self._was_full_screen = self.isFullScreen()
            for dock in (self.setup_dock, self.log_dock):
                dock.hide()
            for act in advanced:
                act.setVisible(False)
            self.device_action.setVisible(False)
            self.device_label_action.setVisible(False)
            theme.apply_theme("presentation", self)
            self.showFullScreen()
        else:
            theme.apply_theme(self._user_theme, self)
            for act in advanced:
                act.setVisible(True)
            self.device_action.setVisible(True)
            self.device_label_action.setVisible(True)
            self.restoreState(self._presentation_state, LAYOUT_VERSION)
            self._presentation_state = None
            if not self._was_full_screen:
                self.showNormal()
        self.act_fullscreen.setChecked(self.isFullScreen())

    @Slot()
    def show_about(self) -> None:
        """Show the versions of Latent Lab and its libraries, and the device in use."""
        from app.about import about_html

        box = QMessageBox(QMessageBox.Icon.Information, "About Latent Lab",
                          about_html(self.session), QMessageBox.StandardButton.Close, self)
        box.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        box.open()

    @Slot()
    def toggle_full_screen(self) -> None:
        """Switch between full screen and a normal window."""
        if self.isFullScreen():
            self.showNormal()
        else:
            self.showFullScreen()
        self.act_fullscreen.setChecked(self.isFullScreen())

    @Slot()
    def show_shortcuts(self) -> None:
        """Show every action and its shortcut."""
        lines = [f"<tr><td><b>{a.shortcut().toString(QKeySequence.SequenceFormat.NativeText)}"
                 f"</b></td><td>{a.text().replace('&', '')}</td></tr>"
                 for a in self.findChildren(QAction) if not a.shortcut().isEmpty()]
        box = QMessageBox(QMessageBox.Icon.Information, "Keyboard shortcuts",
                          "<table cellspacing=6>" + "".join(sorted(set(lines))) + "</table>",
                          QMessageBox.StandardButton.Close, self)
        box.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        box.open()  # not exec(): a modal loop would block the timers of a running demo

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
    def _open_recent(self) -> None:
        act = self.sender()
        if isinstance(act, QAction):
            self.open_path(str(act.data()))

    @Slot()
    def _clear_recent(self) -> None:
        settings.clear_recent_files()
        self._fill_recent()

    @Slot(str, str)
    def _on_message(self, level: str, text: str) -> None:
        self.message_bar.show_message(level, text)
        self.message_toolbar.show()
        if level == "error":
            log.warning("shown to the user: %s", text)
        else:
            self.status.showMessage(text, 8000)

    # --- events --------------------------------------------------------------------------
    def paintEvent(self, event: QPaintEvent) -> None:
        """Paint; the first time, emit firstPainted (torch starts loading after it)."""
        super().paintEvent(event)
        if not self._painted:
            self._painted = True
            QTimer.singleShot(0, self.firstPainted.emit)

    def closeEvent(self, event: QCloseEvent) -> None:
        """Save the layout, stop training (it saves), join every thread, then close."""
        if not self._closed:
            self._closed = True
            self.save_layout()
            self.training_panel.timeline.play_button.setChecked(False)
            if not self.session.shutdown(2000):
                log.warning("a worker took longer than 2 s to stop")
            if not self.interpolation_panel.shutdown(2000):
                log.warning("the interpolation worker took longer than 2 s to stop")
        event.accept()
