"""How the window looks: dock layout kept across sessions, themes, presentation mode,
full screen, About and the shortcut list (GUI thread)."""

from __future__ import annotations

from PySide6.QtCore import QByteArray, QRect, Qt, QTimer, Slot
from PySide6.QtGui import QAction, QKeySequence
from PySide6.QtWidgets import QMessageBox

from app import settings, theme

LAYOUT_VERSION = 2  # bump when docks change so an old saved layout is not restored


class ViewModes:
    """Mixin of MainWindow: layout persistence, themes, presentation mode, help boxes."""

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
            self._presentation_geometry = self.geometry()
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
                # The window's size and place before presenting, once the normal theme's
                # smaller minimum is laid out (until then it would hold the window taller).
                geometry = self._presentation_geometry
                QTimer.singleShot(0, self, lambda: self._restore_geometry(geometry))
        self.act_fullscreen.setChecked(self.isFullScreen())

    def _restore_geometry(self, geometry: QRect) -> None:
        """Lay out with the current theme, then put the window back at `geometry`."""
        self.layout().activate()
        self.setMinimumSize(self.layout().totalMinimumSize().boundedTo(geometry.size()))
        self.setGeometry(geometry)

    @Slot()
    def toggle_full_screen(self) -> None:
        """Switch between full screen and a normal window."""
        if self.isFullScreen():
            self.showNormal()
        else:
            self.showFullScreen()
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
