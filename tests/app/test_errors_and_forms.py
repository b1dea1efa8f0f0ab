"""Bad input is refused where it is typed; a worker's exception becomes a message."""

from __future__ import annotations

from PySide6.QtCore import Qt

from app.session import JobState
from tests.app.conftest import set_tiny_vae


def test_invalid_hyperparameter_is_refused(make_window, qtbot) -> None:
    window = make_window()
    form = window.setup_panel.train_form
    edit = form.editors["batch_size"].editor
    edit.setFocus()
    edit.selectAll()
    qtbot.keyClicks(edit, "12x")  # a letter can never make a whole number: refused
    assert edit.text() == "12"
    assert form.is_valid()

    edit.selectAll()
    qtbot.keyClicks(edit, "0")  # a number, but below the minimum: shown, marked, explained
    assert edit.text() == "0"
    error = form.editors["batch_size"].error_label
    assert error.isVisible() and "at least 1" in error.text()
    assert not form.is_valid()
    assert not window.act_train.isEnabled()
    assert form.editors["batch_size"].value() == 12  # the last valid value is kept

    qtbot.keyClick(edit, Qt.Key.Key_Backspace)
    qtbot.keyClicks(edit, "64")
    assert form.is_valid() and window.act_train.isEnabled()
    assert not error.isVisible()


def test_whole_config_check_marks_the_field(make_window) -> None:
    window = make_window()
    panel = window.setup_panel
    panel.set_family("conv-vae")
    edit = panel.model_form.editors["conv_channels"].editor
    edit.setText("8, 8, 8")  # 28 px does not halve three times
    assert not panel.is_valid()
    assert "halve" in panel.model_form.editors["conv_channels"].error_label.text()
    assert not window.act_train.isEnabled()
    panel.set_dataset("cifar10")  # 32 px does
    assert panel.is_valid()


def test_worker_exception_becomes_a_message(make_window, qtbot, monkeypatch) -> None:
    from models.training import trainer as trainer_module

    def broken_run(self):
        raise RuntimeError("boom in the worker")
        yield  # a generator, like the real one

    monkeypatch.setattr(trainer_module.Trainer, "run", broken_run)
    window = make_window()
    window.log_dock.show()
    set_tiny_vae(window)
    window.act_train.trigger()
    qtbot.waitUntil(lambda: "boom in the worker" in window.message_bar.text(), timeout=30_000)
    qtbot.waitUntil(lambda: window.session.state is JobState.IDLE, timeout=10_000)
    assert window.message_bar.level == "error"
    assert "RuntimeError" in window.message_bar.text()
    assert "boom in the worker" in window.log_view.toPlainText()
    # The thread survived: another job can run.
    assert window.session.jobs.threads_running() != []
    assert window.act_train.isEnabled()


def test_settings_are_isolated(make_window, fresh_settings) -> None:
    window = make_window(wait_ready=False)
    window.save_layout()
    assert fresh_settings.is_file()
    from app.settings import app_settings

    assert app_settings().fileName() == str(fresh_settings)
