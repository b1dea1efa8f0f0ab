"""The main window: the docks holding every panel, commands, messages and closing."""

from __future__ import annotations

from pathlib import Path

from PySide6.QtCore import QByteArray, QEvent, QObject, QRect, Qt, QTimer, Signal, Slot
from PySide6.QtGui import QCloseEvent, QPaintEvent, QShowEvent
from PySide6.QtWidgets import (
    QDockWidget,
    QFileDialog,
    QMainWindow,
    QScrollArea,
    QStackedWidget,
    QToolBar,
    QWidget,
)

from app import settings, theme
from app.gui_gc import collect_on_gui_thread
from app.log import log
from app.panels.diffusion import DiffusionPanel
from app.panels.interpolation import InterpolationPanel
from app.panels.latent_map import LatentMapPanel
from app.panels.setup_panel import DEFAULT_FAMILY, ModelSetupPanel
from app.panels.toy_lab import ToyLabPanel
from app.panels.training import TrainingPanel
from app.panels.welcome import VAE_EPOCHS, WelcomeView
from app.session import JobState, Session
from app.widgets.log_view import LogView
from app.widgets.message_bar import MessageBar
from app.widgets.snapshot import save_widget_image
from app.widgets.status_bar import StatusBar
from app.window.actions import WindowActions
from app.window.docks import TOOL_DOCKS
from app.window.screen_fit import fit_to_screen, release_minimum
from app.window.view_modes import ViewModes
from models.cores import default_threads
from models.opened import OpenedModel

# Closing must return within 2 s in every state: lanes get 1.3 s to end (training saves in
# far less), the rest covers saving the layout and tearing the widgets down.
JOIN_BUDGET_S = 1.3


class MainWindow(WindowActions, ViewModes, QMainWindow):
    """The application window (GUI thread). Emits firstPainted() once, after its first paint."""

    firstPainted = Signal()

    def __init__(self, session: Session, log_bridge: QObject | None = None) -> None:
        super().__init__()
        collect_on_gui_thread()  # Qt wrappers must never be collected on a lane
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
        self.toy_panel = ToyLabPanel(session.jobs)
        session.torchReady.connect(lambda _info: self.toy_panel.set_torch_ready(True))
        self.toy_dock = self._dock("Toy lab", "toy_lab_dock", self.toy_panel,
                                   Qt.DockWidgetArea.RightDockWidgetArea)
        self.tabifyDockWidget(self.interpolation_dock, self.toy_dock)
        self.tool_docks: list[QDockWidget] = []
        for tool in TOOL_DOCKS:
            dock = self._dock(tool.title, tool.name, tool.build(session),
                              Qt.DockWidgetArea.RightDockWidgetArea)
            self.tabifyDockWidget(self.toy_dock, dock)
            setattr(self, tool.name, dock)
            self.tool_docks.append(dock)
        self.compare_panel = self.compare_dock.widget()
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

        models = session.models
        # runReset too: File › New forgets the checkpoint, and Save must say so.
        for signal in (session.stateChanged, session.epochAdded, session.runReset,
                       models.opened, models.updated, models.closed):
            signal.connect(self._update_actions)
        session.torchReady.connect(self._on_torch_ready)
        session.message.connect(self._on_message)
        models.opened.connect(self._on_model_opened)
        session.picturesOpened.connect(self._on_pictures_opened)
        for signal in (session.stateChanged, session.runReset, models.opened, models.closed,
                       session.epochAdded):
            signal.connect(self._update_welcome)
        self._presentation_state: QByteArray | None = None
        self._presentation_geometry = QRect()
        self._user_theme = settings.app_settings().value("view/theme", "light", type=str)
        if self._user_theme not in theme.USER_THEMES:
            self._user_theme = "light"
        theme.apply_theme(self._user_theme, self)
        self._theme_actions[self._user_theme].setChecked(True)
        self.setup_panel.validityChanged.connect(self._update_actions)
        self._restore_layout()
        release_minimum(self)  # fit_to_screen bounds the minimum instead
        self.message_toolbar.hide()
        self._update_actions()

    def _dock(self, title: str, name: str, widget: QWidget,
              area: Qt.DockWidgetArea) -> QDockWidget:
        dock = QDockWidget(title, self)
        dock.setObjectName(name)
        dock.setWidget(widget)
        self.addDockWidget(area, dock)
        return dock

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
        """Ask for fresh samples from the latest weights (at the Training panel's
        sampling temperature, for a model that has one)."""
        self.training_panel.sample_fresh()

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

        self.setup_panel.train_form.set_config(TrainConfig(threads=default_threads()))
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

    def follow_path(self, path: Path | str) -> None:
        """Follow the run folder `path` (`latentlab gui --follow`): opened as any run
        folder when it holds one, else watched until a run's files appear in it (a folder
        a sync from a server has not filled yet)."""
        path = Path(path).expanduser()
        if (path / "run.json").is_file() or (path / "metrics.jsonl").is_file():
            self.open_path(path)
            return
        try:
            self.session.follow_run(path)
        except RuntimeError as exc:
            self._on_message("error", f"Cannot follow {path}: {exc}")
            return
        self.status.showMessage(f"Waiting for a run to appear in {path}…", 10000)

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
        ok = save_widget_image(self.training_dock.widget(), path)
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
        """Set up the quick start's own 2-D VAE on the bundled digits (whatever the forms
        held before: the last demo's 60 epochs must not leak in) and start training it."""
        self.setup_panel.use_defaults("vae", "mnist5k", {"latent_dim": 2},
                                      {"epochs": VAE_EPOCHS})
        self.start_training()

    @Slot()
    def _update_welcome(self, *_: object) -> None:
        s = self.session
        nothing_open = (s.checkpoint is None and s.state in (JobState.IDLE, JobState.LOADING)
                        and s.history.last_step == 0)
        self.training_stack.setCurrentWidget(self.welcome if nothing_open
                                             else self.training_panel)

    @Slot(object)
    def _on_model_opened(self, model: OpenedModel) -> None:
        """A new model: the previous one's messages go."""
        self.message_bar.dismiss()
        self.status.clearMessage()

    @Slot(object)
    def _on_pictures_opened(self, checkpoint: Path) -> None:
        """A checkpoint opened (its model may still be loading): the welcome view goes and
        the docks that fit its family (read from config.json, no torch) are shown, its
        most telling one (the diffusion viewer or the map) in front."""
        self.message_bar.dismiss()
        self.status.clearMessage()
        self._update_welcome()
        from models.pictures.family import (
            checkpoint_configs,
            is_diffusion_family,
            is_latent_diffusion_family,
        )

        configs = checkpoint_configs(checkpoint)
        if configs is not None and not self.session.state.busy:
            # The Setup forms say what this checkpoint is before its model has loaded.
            self.setup_panel.show_configs(configs.family, configs.model, configs.train,
                                          configs.data)
        family = self.session.family
        docks = [self.interpolation_dock, self.latent_dock]
        if is_latent_diffusion_family(family):  # its first stage maps and interpolates
            docks.append(self.diffusion_dock)
        elif is_diffusion_family(family):
            docks = [self.diffusion_dock]
        elif family == "pixelcnn":  # no latent: its pixel-by-pixel draw is what it shows
            docks = [self.pixels_dock]
        elif family == "stylegan":  # W space and its styles are what it is for
            docks += [self.wspace_dock, self.style_dock]
        for dock in docks:
            dock.show()
        docks[-1].raise_()

    @Slot(str, str)
    def _on_message(self, level: str, text: str) -> None:
        self.message_bar.show_message(level, text)
        self.message_toolbar.show()
        if level == "error":
            log.warning("shown to the user: %s", text)
        else:
            self.status.showMessage(text, 8000)

    def showEvent(self, event: QShowEvent) -> None:
        """Shrink the window into its screen when it is shown (GUI thread)."""
        super().showEvent(event)
        fit_to_screen(self)

    def event(self, event: QEvent) -> bool:
        """After a layout change, keep the window inside its screen (GUI thread)."""
        handled = super().event(event)
        if event.type() == QEvent.Type.LayoutRequest and self.isVisible():
            fit_to_screen(self)
        return handled

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
            # The layout is kept as a normal window's: one saved in full screen (or in
            # presentation mode) crashed QMainWindow::restoreState in a later session.
            if self.act_presentation.isChecked():
                self.toggle_presentation()
            if self.isFullScreen():
                self.showNormal()
            self.save_layout()
            self.training_panel.timeline.play_button.setChecked(False)
            self.toy_panel.shutdown()
            if not self.session.shutdown(JOIN_BUDGET_S):
                log.warning("closed without waiting for: %s",
                            ", ".join(self.session.jobs.abandoned))
        event.accept()
