"""A seeded random-action ("monkey") test of the whole main window.

Hundreds of user actions, chosen by a seeded random.Random, are thrown at the real window
while its jobs run in the background: opening demos and bad checkpoints, training and
stopping, scrubbing, hovering the latent map, branching diffusion runs, themes,
presentation mode, closing and reopening. The test fails on any exception (in a slot, a
QThread or a Python thread) and on any Qt warning, naming the action that preceded it.

The seed is printed first ("monkey seed: N"). Replay a failure with
    LATENTLAB_MONKEY_SEED=N pytest tests/app/test_monkey.py
(the actions are the same; their timing against the background jobs may differ).
LATENTLAB_MONKEY_ACTIONS=2000 runs longer; LATENTLAB_MONKEY_VERBOSE=1 with -s prints each action
as it starts (to find the action that crashed the process); LATENTLAB_MONKEY_ONLY=0-40,52
performs only those actions of the seed's plan, with the same parameters (to narrow a
failure down to the few actions that cause it).
"""

from __future__ import annotations

import json
import os
import random
import re
import sys
import threading
import time
import traceback
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from PySide6.QtCore import QPoint, QPointF, Qt, QTimer, QtMsgType
from PySide6.QtGui import QAction, QWheelEvent
from PySide6.QtTest import QTest
from PySide6.QtWidgets import (
    QAbstractButton,
    QAbstractSlider,
    QAbstractSpinBox,
    QApplication,
    QComboBox,
    QDialog,
    QDockWidget,
    QDoubleSpinBox,
    QFileDialog,
    QLineEdit,
    QMenu,
    QMessageBox,
    QSpinBox,
    QTabWidget,
    QToolButton,
    QWidget,
)

from tests.app.conftest import TINY_VAE, set_tiny_vae

SEED_ENV = "LATENTLAB_MONKEY_SEED"
# What the Train action sets up: a tiny model of each kind (a tiny DDPM still takes ~19 s
# an epoch here, so it is rare, and usually stopped before its first epoch ends).
TINY_MODELS: dict[str, dict[str, Any]] = {
    "vae": TINY_VAE,
    "gan": {"latent_dim": 2, "hidden_dims": (32,)},
    "ddpm": {"preset": "tiny", "num_train_timesteps": 50, "sample_steps": 5},
}
ONLY_ENV = "LATENTLAB_MONKEY_ONLY"
ACTIONS = int(os.environ.get("LATENTLAB_MONKEY_ACTIONS", "500"))
# LATENTLAB_MONKEY_VERBOSE=1 (with -s) prints each action as it is done: after a
# crash (the process dies, pytest's captured output with it) the last line names the action.
VERBOSE = bool(os.environ.get("LATENTLAB_MONKEY_VERBOSE"))
MAX_REOPENS = 1  # a close joins every thread (up to 28 s today), a new window warms up
FAIL_LEVELS = (QtMsgType.QtWarningMsg, QtMsgType.QtCriticalMsg, QtMsgType.QtFatalMsg)
# Exceptions a worker may catch and show as a message: bad input (a broken checkpoint, a
# file that is not an image), written for a person. Any other type caught is a bug.
EXPECTED_WORKER_ERRORS = ("CheckpointError", "DataError", "FileNotFoundError",
                          "PermissionError", "UnidentifiedImageError", "JSONDecodeError")
# Known bugs, tolerated here so the monkey can look for others: (regex on the exception
# text, diagnosis). Each has a strict-xfail reproduction in test_monkey_findings.py.
KNOWN_BUGS: list[tuple[str, str]] = [
    # None known. (The stale open during training that the first runs found is fixed:
    # starting a run closes the model shown, which cancels an open still loading.)
]


# --- adapter: the only place that knows the window's internals ---------------------------
# Everything below this section uses QActions, widgets found by type or objectName, and
# public MainWindow methods. When the application layer changes, update this section.
def panels(window: Any) -> dict[str, QWidget]:
    """Return the panels the monkey pokes at, by name."""
    return {"training": window.training_panel,
            "latent": window.latent_dock.widget(),
            "interpolation": window.interpolation_panel,
            "diffusion": window.diffusion_dock.widget(),
            "anomaly": window.anomaly_dock.widget(),
            "welcome": window.welcome}


def watch_messages(window: Any, sink: list[tuple[str, str]]) -> None:
    """Append every (level, text) the window shows in its message bar to `sink`."""
    bar = window.message_bar
    show = bar.show_message

    def record(level: str, text: str) -> None:
        sink.append((level, text))
        show(level, text)

    bar.show_message = record  # the window calls it by attribute: every message passes here


# Every job's exception becomes a message through app.jobs.errors.describe: the lanes
# import it by name, the training job's "save as" at call time.
WORKER_MODULES = ("app.jobs.lane", "app.jobs.errors")


def watch_worker_errors(monkeypatch: pytest.MonkeyPatch,
                        sink: list[tuple[BaseException, str]]) -> None:
    """Append (exception, traceback text) for every exception a worker catches to `sink`."""
    import importlib

    for name in WORKER_MODULES:
        module = importlib.import_module(name)
        describe = module.describe

        def recording(exc: BaseException, _describe: Any = describe) -> tuple[str, str]:
            message, tb = _describe(exc)
            sink.append((exc, tb))
            return message, tb

        monkeypatch.setattr(module, "describe", recording)


def forget_saved_layout() -> None:
    """Remove the window geometry and dock layout a closed window saved in the settings."""
    from app import settings

    store = settings.app_settings()
    store.remove("window/geometry")
    store.remove("window/state")
    store.sync()


def demo_folders(window: Any) -> list[Path]:
    """Return the bundled demos' checkpoint folders."""
    return [Path(d.path) for d in window.welcome.demos]


def runs_root(window: Any) -> Path:
    """Return the folder new training runs are written to."""
    return Path(window.session.runs_root)


# objectNames of the widgets the targeted actions use (a missing one fails the test).
NAMES = {
    "timeline_slider": "timeline_slider", "timeline_play": "timeline_play",
    "latent_plot": "latent_map_plot", "latent_projection": "latent_projection",
    "alpha": "alpha_slider", "diffusion_run": "diffusion_run",
    "diffusion_cancel": "diffusion_cancel", "diffusion_step": "diffusion_step",
    "diffusion_play": "diffusion_play", "diffusion_branch": "diffusion_branch",
    "diffusion_compare": "diffusion_compare", "forward_t": "forward_t",
}
# ------------------------------------------------------------------------------------------


def _find(window: Any, cls: type, key: str) -> Any:
    widget = window.findChild(cls, NAMES[key])
    assert widget is not None, f"no {cls.__name__} named {NAMES[key]!r}: update the adapter"
    return widget


def _enabled_items(combo: QComboBox) -> list[int]:
    model = combo.model()
    return [i for i in range(combo.count())
            if model.flags(model.index(i, 0)) & Qt.ItemFlag.ItemIsEnabled]



def close_popups() -> None:
    """Close the open popup (a menu shown by a key), as Escape would (GUI thread)."""
    popup = QApplication.activePopupWidget()
    if popup is not None:
        popup.close()

class Monkey:
    """Chooses and performs the actions; records exceptions, Qt warnings and messages."""

    def __init__(self, rng: random.Random, qtbot: Any, qtlog: Any,
                 make_window: Callable[..., Any], tmp_path: Path) -> None:
        self.rng = rng
        self.qtbot = qtbot
        self.qtlog = qtlog
        self.make_window = make_window
        self.tmp = tmp_path
        self.done: list[str] = []  # "#index action detail", for failure reports
        self.exceptions: list[str] = []
        self.messages: list[tuple[str, str]] = []
        # (bad folder name, messages before, action): an error naming it must be shown
        self.expected_errors: list[tuple[str, int, str]] = []
        self.worker_errors: list[tuple[BaseException, str]] = []
        self._worker_seen = 0
        self.known: set[str] = set()  # known bugs met (KNOWN_BUGS)
        self.reopens = 0
        self.close_times: list[float] = []
        self.exports = 0
        self._qt_seen = 0
        self.bad = self._bad_checkpoints()
        self.window = self._new_window()

    # --- bookkeeping -------------------------------------------------------------------
    def _new_window(self) -> Any:
        window = self.make_window()
        watch_messages(window, self.messages)
        return window

    def _unmet_errors(self) -> list[tuple[str, int, str]]:
        """Drop the expected error messages that arrived; return those still awaited."""
        self.expected_errors = [
            (name, since, action) for name, since, action in self.expected_errors
            if not any(level == "error" and name in text
                       for level, text in self.messages[since:])]
        return self.expected_errors

    def supersede_opens(self) -> None:
        """Forget the errors awaited from opens still loading: opening another folder,
        starting training or File › New replaces a pending open (latest wins on the model
        lane), and the user, having moved on, is not shown its failure."""
        self._unmet_errors()
        self.expected_errors.clear()

    def wait_for_expected_errors(self, timeout_ms: int = 20_000) -> None:
        """Fail unless every error message expected so far is shown within `timeout_ms`."""
        try:
            self.qtbot.waitUntil(lambda: not self._unmet_errors(), timeout=timeout_ms)
        except self.qtbot.TimeoutError:
            pytest.fail("no error message was shown for: " + "; ".join(
                f"{name} ({action})" for name, _, action in self.expected_errors),
                pytrace=False)

    def note(self, text: str) -> None:
        """Add detail to the current action's log line."""
        self.done[-1] += f" {text}"

    def check(self) -> None:
        """Fail on an exception or Qt warning since the last check, naming recent actions."""
        new = [r for r in self.qtlog.records[self._qt_seen:]
               if r.type in FAIL_LEVELS and not r.ignored]
        self._qt_seen = len(self.qtlog.records)
        problems = self.exceptions + [f"Qt {r.type_name}: {r.message}" for r in new]
        caught = self.worker_errors[self._worker_seen:]
        self._worker_seen = len(self.worker_errors)
        for exc, tb in caught:
            known = [why for pattern, why in KNOWN_BUGS if re.search(pattern, str(exc))]
            if known:
                self.known.add(known[0])
            elif type(exc).__name__ not in EXPECTED_WORKER_ERRORS:
                problems.append(f"a worker caught an unexpected {type(exc).__name__}:\n{tb}")
        if problems:
            recent = "\n  ".join(self.done[-12:])
            pytest.fail(f"after action {self.done[-1] if self.done else '(start)'}:\n"
                        + "\n".join(problems) + f"\nrecent actions:\n  {recent}",
                        pytrace=False)

    def _bad_checkpoints(self) -> list[Path]:
        root = self.tmp / "bad"
        garbage = root / "garbage-config"
        garbage.mkdir(parents=True)
        (garbage / "config.json").write_text("{not json at all", encoding="utf-8")
        family = root / "unknown-family"
        family.mkdir()
        (family / "config.json").write_text(json.dumps({"family": "no-such-family"}),
                                            encoding="utf-8")
        empty_json = root / "empty-config"
        empty_json.mkdir()
        (empty_json / "config.json").write_text("", encoding="utf-8")
        no_weights = root / "no-weights"
        no_weights.mkdir()
        vae = Path(__file__).resolve().parents[2] / "resources" / "demos" / "vae-2d"
        (no_weights / "config.json").write_bytes((vae / "config.json").read_bytes())
        empty = root / "empty-folder"
        empty.mkdir()
        return [garbage, family, empty_json, no_weights, empty, root / "does-not-exist"]

    # --- dialogs answer at once (a modal dialog would block the monkey) -----------------
    def patch_dialogs(self, monkeypatch: pytest.MonkeyPatch) -> None:
        """Make file dialogs answer from the rng, and menus/dialogs never block."""
        def save(_parent: Any = None, _title: str = "", name: str = "", filt: str = "",
                 *_: Any, **__: Any) -> tuple[str, str]:
            if self.rng.random() < 0.2:
                return "", ""  # cancelled
            self.exports += 1
            ext = filt.split("*", 1)[1].split(")", 1)[0] if "*" in filt else ""
            folder = self.tmp / "exports"
            folder.mkdir(exist_ok=True)
            return str(folder / f"export-{self.exports}{ext}"), filt

        def open_file(_parent: Any = None, _title: str = "", _dir: str = "", filt: str = "",
                      *_: Any, **__: Any) -> tuple[str, str]:
            ext = filt.split("*", 1)[1].split(")", 1)[0] if "*" in filt else ""
            made = sorted((self.tmp / "exports").glob(f"*{ext}")) if ext else []
            garbage = self.tmp / f"garbage{ext or '.bin'}"
            garbage.write_bytes(b"\x00not a real file")
            choices = ["", str(garbage), *map(str, made)]
            if ext in (".png", ".jpg", "") or "image" in filt.lower():
                choices += [str(p / "preview.png") for p in demo_folders(self.window)]
            return self.rng.choice(choices), filt

        def directory(*_: Any, **__: Any) -> str:
            runs = sorted(p for p in runs_root(self.window).glob("*") if p.is_dir())
            choices = ["", *map(str, demo_folders(self.window)), *map(str, self.bad),
                       *map(str, runs[-3:])]
            return self.rng.choice(choices)

        monkeypatch.setattr(QFileDialog, "getSaveFileName", staticmethod(save))
        monkeypatch.setattr(QFileDialog, "getOpenFileName", staticmethod(open_file))
        monkeypatch.setattr(QFileDialog, "getExistingDirectory", staticmethod(directory))
        monkeypatch.setattr(QDialog, "exec", lambda self, *a: 0)
        monkeypatch.setattr(QMenu, "exec", lambda self, *a: None)

    # --- helpers -----------------------------------------------------------------------
    def trigger(self, action: QAction) -> None:
        """Trigger `action` as a menu click would (nothing happens if it is disabled)."""
        self.note(action.objectName() or action.text())
        if not action.isEnabled():
            self.note("(disabled)")
        action.trigger()

    def pick(self, items: list[Any]) -> Any:
        """Return a random item of `items` (None if empty); always draws once."""
        u = self.rng.random()
        return items[int(u * len(items))] if items else None

    def set_slider(self, slider: QAbstractSlider) -> None:
        """Move `slider` to a random value, as a drag would (not when disabled)."""
        u = self.rng.random()
        value = slider.minimum() + round(u * (slider.maximum() - slider.minimum()))
        self.note(f"{slider.objectName() or 'slider'}={value}")
        if slider.isEnabled() and slider.isVisible():
            slider.setValue(value)

    def click(self, button: QAbstractButton) -> None:
        """Click `button` if a user could."""
        self.note(button.objectName() or button.text())
        if button.isEnabled() and button.isVisible():
            button.click()

    def choose(self, combo: QComboBox) -> None:
        """Pick a random enabled entry of `combo`, as a user would."""
        index = self.pick(_enabled_items(combo))
        self.note(f"{combo.objectName() or 'combo'}={index}")
        if index is not None and combo.isEnabled() and combo.isVisible():
            combo.setCurrentIndex(index)
            combo.activated.emit(index)

    def viewport_point(self, widget: QWidget) -> QPoint:
        """Return a random point inside `widget`."""
        u, v = self.rng.random(), self.rng.random()
        return QPoint(int(u * (widget.width() - 1)), int(v * (widget.height() - 1)))

    def latent_viewport(self) -> QWidget:
        return _find(self.window, QWidget, "latent_plot").viewport()

    # --- actions -----------------------------------------------------------------------
    def open_demo(self) -> None:
        self.supersede_opens()
        self.trigger(self.pick(self.window.demo_actions))

    def open_dialog(self) -> None:
        self.supersede_opens()
        self.trigger(self.pick([self.window.act_open, self.window.act_open_run]))

    def open_bad_checkpoint(self) -> None:
        path = self.pick(self.bad)
        self.note(path.name)
        self.supersede_opens()
        # An error naming the folder must reach the message bar: at once, or when the load
        # fails in the background (checked later: the monkey does not wait for it).
        self.expected_errors.append((path.name, len(self.messages), self.done[-1]))
        self.window.open_path(path)  # what File › Open does with the folder chosen

    def open_recent(self) -> None:
        self.window.recent_menu.aboutToShow.emit()
        actions = [a for a in self.window.recent_menu.actions() if not a.isSeparator()]
        action = self.pick(actions)
        if action is not None:
            self.supersede_opens()
            self.trigger(action)

    def open_welcome_card(self) -> None:
        buttons = [b for b in panels(self.window)["welcome"].findChildren(QAbstractButton)]
        self.supersede_opens()
        self.click(self.pick(buttons))

    def train(self) -> None:
        """Set up a tiny model (mostly the VAE) for a few epochs, then Train."""
        epochs = self.rng.randint(1, 3)
        family = self.rng.choices(list(TINY_MODELS), weights=[7, 2, 1])[0]
        self.note(f"{family} epochs={epochs}")
        panel = self.window.setup_panel
        if panel.isEnabled():  # disabled while a job runs: its forms cannot be edited
            set_tiny_vae(self.window, epochs=epochs)
            if family != "vae":
                panel.set_family(family)
                panel.model_form.set_values(TINY_MODELS[family])
        self.supersede_opens()
        self.trigger(self.window.act_train)

    def stop(self) -> None:
        self.trigger(self.window.act_stop)

    def pause(self) -> None:
        self.trigger(self.window.act_pause)

    def resume(self) -> None:
        self.trigger(self.window.act_resume)

    def sample(self) -> None:
        self.trigger(self.window.act_sample)

    def new_model(self) -> None:
        self.supersede_opens()
        self.trigger(self.window.act_new)

    def setup_family(self) -> None:
        combo = self.window.setup_panel.findChild(QComboBox, "family")
        if combo is None:
            combo = self.window.setup_panel.findChildren(QComboBox)[0]
        self.choose(combo)

    def raise_dock(self) -> None:
        dock = self.pick(self.window.findChildren(QDockWidget))
        self.note(dock.objectName())
        dock.show()
        dock.raise_()

    def float_dock(self) -> None:
        """Float a docked panel or dock a floating one (a double click on its title)."""
        dock = self.pick(self.window.findChildren(QDockWidget))
        self.note(dock.objectName())
        if dock.isVisible():
            dock.setFloating(not dock.isFloating())

    def switch_tab(self) -> None:
        tabs = [t for t in self.window.findChildren(QTabWidget) if t.isVisible()]
        tab = self.pick(tabs)
        index = self.rng.randrange(8)
        if tab is not None:
            self.note(f"{tab.objectName() or 'tabs'}={index % tab.count()}")
            tab.setCurrentIndex(index % tab.count())

    def scrub_timeline(self) -> None:
        self.set_slider(_find(self.window, QAbstractSlider, "timeline_slider"))

    def play_timeline(self) -> None:
        self.click(_find(self.window, QAbstractButton, "timeline_play"))

    def scrub_alpha(self) -> None:
        self.set_slider(_find(self.window, QAbstractSlider, "alpha"))

    def diffusion_run(self) -> None:
        self.click(_find(self.window, QAbstractButton, "diffusion_run"))

    def diffusion_cancel(self) -> None:
        self.click(_find(self.window, QAbstractButton, "diffusion_cancel"))

    def diffusion_scrub(self) -> None:
        self.set_slider(_find(self.window, QAbstractSlider, "diffusion_step"))

    def diffusion_play(self) -> None:
        self.click(_find(self.window, QAbstractButton, "diffusion_play"))

    def diffusion_branch(self) -> None:
        self.click(_find(self.window, QAbstractButton, "diffusion_branch"))

    def diffusion_compare(self) -> None:
        self.click(_find(self.window, QAbstractButton, "diffusion_compare"))

    def forward_scrub(self) -> None:
        self.set_slider(_find(self.window, QAbstractSlider, "forward_t"))

    def latent_projection(self) -> None:
        self.choose(_find(self.window, QComboBox, "latent_projection"))

    def latent_hover(self) -> None:
        viewport = self.latent_viewport()
        points = [self.viewport_point(viewport) for _ in range(3)]
        self.note(f"{points[-1].x()},{points[-1].y()}")
        for p in points:
            QTest.mouseMove(viewport, p)
            self.qtbot.wait(1)

    def latent_click(self) -> None:
        viewport = self.latent_viewport()
        p = self.viewport_point(viewport)
        self.note(f"{p.x()},{p.y()}")
        QTest.mouseClick(viewport, Qt.MouseButton.LeftButton, Qt.KeyboardModifier.NoModifier, p)

    def latent_drag(self) -> None:
        viewport = self.latent_viewport()
        points = [self.viewport_point(viewport) for _ in range(4)]
        self.note(f"{points[0].x()},{points[0].y()}->{points[-1].x()},{points[-1].y()}")
        QTest.mousePress(viewport, Qt.MouseButton.LeftButton, Qt.KeyboardModifier.NoModifier,
                         points[0])
        for p in points[1:]:
            QTest.mouseMove(viewport, p)
        QTest.mouseRelease(viewport, Qt.MouseButton.LeftButton,
                           Qt.KeyboardModifier.NoModifier, points[-1])

    def latent_wheel(self) -> None:
        viewport = self.latent_viewport()
        p = QPointF(self.viewport_point(viewport))
        delta = self.pick([-240, -120, 120, 240])
        self.note(f"wheel {delta}")
        event = QWheelEvent(p, QPointF(viewport.mapToGlobal(p.toPoint())), QPoint(0, 0),
                            QPoint(0, delta), Qt.MouseButton.NoButton,
                            Qt.KeyboardModifier.NoModifier, Qt.ScrollPhase.NoScrollPhase,
                            False)
        QApplication.sendEvent(viewport, event)

    def poke(self) -> None:
        """Operate a random visible, enabled control of a random panel."""
        name = self.pick(sorted(panels(self.window)))
        panel = panels(self.window)[name]
        controls = [w for w in panel.findChildren(QWidget)
                    if isinstance(w, (QAbstractButton, QAbstractSlider, QAbstractSpinBox,
                                      QComboBox, QLineEdit))
                    and not (isinstance(w, QToolButton) and w.menu() is not None)
                    and not (isinstance(w, QLineEdit) and isinstance(w.parent(),
                                                                     (QAbstractSpinBox,
                                                                      QComboBox)))
                    and w.isVisible() and w.isEnabled()]
        widget = self.pick(controls)
        u = self.rng.random()
        self.note(name)
        if widget is None:
            return
        if isinstance(widget, QAbstractButton):
            self.click(widget)
        elif isinstance(widget, QAbstractSlider):
            value = widget.minimum() + round(u * (widget.maximum() - widget.minimum()))
            self.note(f"{widget.objectName() or 'slider'}={value}")
            widget.setValue(value)
        elif isinstance(widget, QComboBox):
            self.choose(widget)
        elif isinstance(widget, QDoubleSpinBox):
            # Skewed towards small values: most typed values are, and huge ones only cost time.
            value = widget.minimum() + u**3 * (widget.maximum() - widget.minimum())
            self.note(f"{widget.objectName() or 'spin'}={value:.2f}")
            widget.setValue(value)
        elif isinstance(widget, QSpinBox):
            value = widget.minimum() + round(u**3 * min(widget.maximum() - widget.minimum(),
                                                        10_000))
            self.note(f"{widget.objectName() or 'spin'}={value}")
            widget.setValue(value)
        elif isinstance(widget, QLineEdit):
            text = self.pick(["", "1", "z2", "abc", "99", "0"])
            self.note(f"{widget.objectName() or 'edit'}={text!r}")
            widget.setText(text)

    def key(self) -> None:
        """Press a navigation key or shortcut with a random control of a panel focused."""
        name = self.pick(sorted(panels(self.window)))
        controls = [w for w in panels(self.window)[name].findChildren(QWidget)
                    if w.isVisible() and w.isEnabled()
                    and w.focusPolicy() != Qt.FocusPolicy.NoFocus]
        widget = self.pick(controls)
        key, modifier = self.pick(KEYS)
        self.note(f"{name} {widget.objectName() if widget else '-'} {key.name}")
        if widget is None:
            return
        self.window.activateWindow()
        widget.setFocus()
        # Space on a tool button with a menu runs QMenu's own modal loop in C++ (the
        # patched QMenu.exec is not called): close any popup from inside that loop
        QTimer.singleShot(50, close_popups)
        QTest.keyClick(widget, key, modifier)

    def resize(self) -> None:
        """Resize the window (ignored in full screen, as for a user)."""
        w, h = self.rng.randint(320, 1600), self.rng.randint(240, 1000)
        self.note(f"{w}x{h}")
        self.window.resize(w, h)

    def export(self) -> None:
        """Choose a random entry of a random panel's Export menu."""
        menus = [b.menu() for name, panel in sorted(panels(self.window).items())
                 for b in panel.findChildren(QToolButton) if b.menu() is not None]
        menu = self.pick(menus)
        actions = [a for a in menu.actions() if not a.isSeparator()] if menu else []
        action = self.pick(actions)
        if action is not None:
            self.supersede_opens()
            self.trigger(action)

    def save_checkpoint(self) -> None:
        self.trigger(self.window.act_save)

    def export_figure(self) -> None:
        self.trigger(self.window.act_export)

    def presentation(self) -> None:
        self.trigger(self.window.act_presentation)

    def full_screen(self) -> None:
        self.trigger(self.window.act_fullscreen)

    def theme(self) -> None:
        themes = [a for a in self.window.findChildren(QAction)
                  if a.objectName().startswith("act_theme_")]
        self.trigger(self.pick(sorted(themes, key=QAction.objectName)))

    def reset_layout(self) -> None:
        self.trigger(self.window.act_reset_layout)

    def help_box(self) -> None:
        self.trigger(self.pick([self.window.act_about, self.window.act_shortcuts]))
        self.qtbot.wait(5)
        for box in self.window.findChildren(QMessageBox):  # read, then closed
            box.close()

    def close_and_reopen(self) -> None:
        if self.reopens >= MAX_REOPENS:
            self.note("(skipped: reopen limit)")
            return
        self.reopens += 1
        # Closing drops the jobs still queued, a bad checkpoint's load among them.
        self._unmet_errors()
        self.expected_errors.clear()
        t0 = time.monotonic()
        self.window.close()
        self.close_times.append(time.monotonic() - t0)
        self.note(f"closed in {self.close_times[-1]:.2f} s")
        self.check()  # warnings or exceptions while closing belong to the close
        # BUG: a window that restores the layout saved by one closed in (or after) full
        # screen and presentation mode segfaults in QMainWindow::restoreState on Reset layout
        # or on leaving presentation mode (main_window.py reset_layout, toggle_presentation;
        # reproduced in test_monkey_findings.py). The monkey starts each new window from the
        # default layout so that it can look for other bugs.
        forget_saved_layout()
        self.window = self._new_window()


_NONE, _CTRL = Qt.KeyboardModifier.NoModifier, Qt.KeyboardModifier.ControlModifier
# Keys a user presses in the panels: stepping, playing, and the window's shortcuts (not
# Ctrl+Q: closing is close_and_reopen's business).
KEYS = [(Qt.Key.Key_Left, _NONE), (Qt.Key.Key_Right, _NONE), (Qt.Key.Key_Home, _NONE),
        (Qt.Key.Key_End, _NONE), (Qt.Key.Key_Space, _NONE), (Qt.Key.Key_Up, _NONE),
        (Qt.Key.Key_Down, _NONE), (Qt.Key.Key_PageUp, _NONE), (Qt.Key.Key_Return, _NONE),
        (Qt.Key.Key_Escape, _NONE), (Qt.Key.Key_Tab, _NONE), (Qt.Key.Key_L, _CTRL),
        (Qt.Key.Key_M, _CTRL), (Qt.Key.Key_G, _CTRL), (Qt.Key.Key_Period, _CTRL),
        (Qt.Key.Key_F11, _NONE), (Qt.Key.Key_2, _CTRL), (Qt.Key.Key_4, _CTRL)]

# (action, weight): how often each is chosen.
ACTION_WEIGHTS: list[tuple[Callable[[Monkey], None], int]] = [
    (Monkey.open_demo, 6), (Monkey.open_dialog, 2), (Monkey.open_bad_checkpoint, 2),
    (Monkey.open_recent, 2), (Monkey.open_welcome_card, 2),
    (Monkey.train, 5), (Monkey.stop, 4), (Monkey.pause, 3), (Monkey.resume, 3),
    (Monkey.sample, 4), (Monkey.new_model, 2), (Monkey.setup_family, 1),
    (Monkey.raise_dock, 10), (Monkey.float_dock, 1), (Monkey.switch_tab, 4),
    (Monkey.scrub_timeline, 4), (Monkey.play_timeline, 2), (Monkey.scrub_alpha, 6),
    (Monkey.diffusion_run, 4), (Monkey.diffusion_cancel, 2), (Monkey.diffusion_scrub, 5),
    (Monkey.diffusion_play, 2), (Monkey.diffusion_branch, 3), (Monkey.diffusion_compare, 3),
    (Monkey.forward_scrub, 2), (Monkey.latent_projection, 3), (Monkey.latent_hover, 6),
    (Monkey.latent_click, 4), (Monkey.latent_drag, 2), (Monkey.latent_wheel, 2),
    (Monkey.poke, 16), (Monkey.export, 2), (Monkey.save_checkpoint, 1),
    (Monkey.export_figure, 1), (Monkey.presentation, 2), (Monkey.full_screen, 1),
    (Monkey.theme, 2), (Monkey.reset_layout, 1), (Monkey.help_box, 1),
    (Monkey.key, 6), (Monkey.resize, 1), (Monkey.close_and_reopen, 1),
]


def _selected(n: int) -> list[int]:
    """Return the action indices to perform: all, or those LATENTLAB_MONKEY_ONLY lists
    ("0-40,52,60-70": to narrow a failure down)."""
    spec = os.environ.get(ONLY_ENV, "").strip()
    if not spec:
        return list(range(n))
    out: list[int] = []
    for part in spec.split(","):
        lo, _, hi = part.partition("-")
        out.extend(range(int(lo), int(hi or lo) + 1))
    return sorted(i for i in set(out) if i < n)


# The offscreen platform plugin warns that it cannot propagate size hints whenever a
# window's size constraints change, or raise a floating dock's window: limits of the test
# platform, not of the app.
@pytest.mark.qt_log_ignore(r"This plugin does not support (propagateSizeHints|raise)\(\)")
@pytest.mark.qt_log_level_fail("WARNING")
def test_random_actions_raise_no_exception_and_no_qt_warning(
        make_window, qtbot, qtlog, tmp_path, monkeypatch) -> None:
    seed = int(os.environ.get(SEED_ENV) or random.SystemRandom().randrange(2**32))
    print(f"monkey seed: {seed}  (replay: {SEED_ENV}={seed})")
    sys.stdout.flush()
    rng = random.Random(seed)
    started = time.monotonic()
    monkey = Monkey(rng, qtbot, qtlog, make_window, tmp_path)
    monkey.patch_dialogs(monkeypatch)
    watch_worker_errors(monkeypatch, monkey.worker_errors)

    def on_exception(kind: str, text: str) -> None:
        where = monkey.done[-1] if monkey.done else "(start)"
        monkey.exceptions.append(f"{kind} during/after {where}:\n{text}")

    previous_hook = sys.excepthook

    def excepthook(t: type[BaseException], v: BaseException, tb: Any) -> None:
        on_exception("exception", "".join(traceback.format_exception(t, v, tb)))
        previous_hook(t, v, tb)  # pytest-qt's: it fails the test too

    def thread_excepthook(args: threading.ExceptHookArgs) -> None:
        text = "".join(traceback.format_exception(args.exc_type, args.exc_value,
                                                  args.exc_traceback))
        on_exception(f"exception in thread {args.thread.name if args.thread else '?'}", text)

    monkeypatch.setattr(sys, "excepthook", excepthook)
    monkeypatch.setattr(threading, "excepthook", thread_excepthook)

    # The plan comes from the seed; each action draws from its own generator, so replaying
    # a subset (LATENTLAB_MONKEY_ONLY) performs those actions with the same parameters.
    plan = rng.choices([a for a, _ in ACTION_WEIGHTS], [w for _, w in ACTION_WEIGHTS],
                       k=ACTIONS)
    counts: dict[str, int] = {}
    seconds: dict[str, float] = {}  # time spent in each kind of action
    try:
        for i in _selected(ACTIONS):
            action = plan[i]
            monkey.rng = random.Random(f"{seed}:{i}")
            counts[action.__name__] = counts.get(action.__name__, 0) + 1
            monkey.done.append(f"#{i} {action.__name__}")
            t0 = time.monotonic()
            if VERBOSE:
                print(monkey.done[-1], file=sys.__stderr__, flush=True)
            action(monkey)
            if VERBOSE:
                print(f"  done: {monkey.done[-1]}", file=sys.__stderr__, flush=True)
            seconds[action.__name__] = seconds.get(action.__name__, 0.0) + time.monotonic() - t0
            qtbot.wait(monkey.rng.randint(1, 20))
            monkey.check()
        monkey.done.append("final close")
        monkey.wait_for_expected_errors()
        t0 = time.monotonic()
        monkey.window.close()
        monkey.close_times.append(time.monotonic() - t0)
        monkey.check()
    finally:
        elapsed = time.monotonic() - started
        print(f"monkey: {len(monkey.done)} actions in {elapsed:.1f} s; close times "
              + ", ".join(f"{t:.2f}" for t in monkey.close_times) + " s")
        print("actions: " + ", ".join(f"{k} {v}" for k, v in sorted(counts.items())))
        slow = sorted(seconds.items(), key=lambda kv: -kv[1])[:6]
        print("slowest actions: " + ", ".join(f"{k} {v:.1f} s" for k, v in slow))
        print("last actions:\n  " + "\n  ".join(monkey.done[-30:]))
        shown = sorted({text for level, text in monkey.messages if level == "error"})
        print("errors shown:\n  " + "\n  ".join(shown))
        print("known bugs met: " + ", ".join(sorted(monkey.known)))
        caught = sorted({f"{type(e).__name__}: {str(e)[:150]}" for e, _ in monkey.worker_errors})
        print("worker exceptions:\n  " + "\n  ".join(caught))
