"""Classroom features: the welcome view, File › Open demo, presentation mode, About."""

from __future__ import annotations

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QApplication, QLabel

from app import theme
from app.session import JobState


def test_welcome_view_shows_until_something_opens_and_its_actions_work(make_window,
                                                                       qtbot) -> None:
    window = make_window()
    session = window.session
    assert window.training_stack.currentWidget() is window.welcome
    assert window.welcome.train_button.isEnabled()
    card = next(c for c in window.welcome.cards if c.demo.name == "vae-2d")

    card.button.click()  # "Open a demo": pictures with no training
    qtbot.waitUntil(lambda: session.model is not None, timeout=30_000)
    assert session.family == "vae" and session.checkpoint == card.demo.path
    assert window.training_stack.currentWidget() is window.training_panel
    qtbot.waitUntil(lambda: window.training_panel.samples.array is not None, timeout=30_000)

    window.act_new.trigger()  # nothing open again: the welcome view comes back
    assert window.training_stack.currentWidget() is window.welcome

    window.welcome.train_button.click()  # "Train a VAE on digits"
    qtbot.waitUntil(lambda: session.state is JobState.TRAINING, timeout=30_000)
    assert session.family == "vae"
    assert window.setup_panel.model_form.values()["latent_dim"] == 2
    assert window.training_stack.currentWidget() is window.training_panel
    window.act_stop.trigger()
    qtbot.waitUntil(lambda: session.state is JobState.IDLE, timeout=30_000)


def test_open_demo_menu_lists_every_demo_with_a_shortcut(make_window) -> None:
    window = make_window()
    names = [a.objectName() for a in window.demo_menu.actions()]
    assert names == [f"act_demo_{d.name}" for d in window.welcome.demos]
    assert all(not a.shortcut().isEmpty() and a.isEnabled() for a in window.demo_actions)


def test_presentation_mode_toggles_on_and_restores_the_layout(make_window) -> None:
    import pyqtgraph as pg

    window = make_window()
    plot = pg.PlotWidget(parent=window.training_panel)
    curve = plot.plot([0, 1, 2], [1, 0, 1], pen=pg.mkPen("r", width=1))
    app = QApplication.instance()
    normal_font = app.font().pointSizeF()
    assert window.setup_dock.isVisible() and window.act_open.isVisible()

    window.act_presentation.trigger()
    assert window.act_presentation.isChecked()
    assert theme.current().name == "presentation"
    assert app.font().pointSizeF() > normal_font * 1.4
    status_label = window.status.findChildren(QLabel)[0]  # styled widgets grow too
    assert status_label.font().pointSizeF() == app.font().pointSizeF()
    assert not window.setup_dock.isVisible() and not window.act_open.isVisible()
    assert curve.opts["pen"].widthF() == 2.5  # lines already drawn thicken
    from app.panels.training.style import smooth_pen

    assert smooth_pen(0).widthF() == 2.5  # and so do lines drawn from now on

    window.act_presentation.trigger()
    assert not window.act_presentation.isChecked()
    assert theme.current().name == "light"
    assert app.font().pointSizeF() == normal_font
    assert status_label.font().pointSizeF() == normal_font
    assert window.setup_dock.isVisible() and window.act_open.isVisible()
    assert window.training_dock.isVisible()
    assert curve.opts["pen"].widthF() == 1.0


def test_dark_theme_is_remembered(make_window, fresh_settings) -> None:
    window = make_window(wait_ready=False)
    window.set_theme("dark")
    assert theme.current().name == "dark"
    window.set_theme("light")
    assert theme.current().name == "light"
    from app import settings

    assert settings.app_settings().value("view/theme") == "light"


def test_about_names_the_versions_and_the_device(make_window) -> None:
    from app.about import about_html

    window = make_window()
    text = about_html(window.session)
    assert "torch" in text and "PySide6" in text and "Device for new jobs" in text
    assert window.session.torch_info["devices"][0] in text


def test_quick_start_uses_its_own_settings_whatever_was_open_before(make_window,
                                                                     qtbot) -> None:
    from app.panels.welcome import VAE_EPOCHS
    from models.config import TrainConfig
    from models.registry import config_class

    window = make_window()
    session = window.session
    card = next(c for c in window.welcome.cards if c.demo.name == "conv-vae-16")
    card.button.click()  # trained for 20 epochs, batch 64, a 16-D convolutional VAE
    qtbot.waitUntil(lambda: session.model is not None, timeout=30_000)
    setup = window.setup_panel
    assert setup.train_form.values()["epochs"] == 20 and setup.current_family() == "conv-vae"
    setup.train_form.set_values({"lr": 0.01, "batch_size": 16})  # a user's own edits

    window.act_new.trigger()
    window.welcome.train_button.click()
    qtbot.waitUntil(lambda: session.state is JobState.TRAINING, timeout=30_000)
    family, model, train, data = setup.job_configs()
    defaults = TrainConfig()
    assert family == "vae" and data.dataset == "mnist5k"
    assert model == config_class("vae")(latent_dim=2).replace(
        image_size=model.image_size, channels=model.channels)
    assert (train.epochs, train.lr, train.batch_size) == (VAE_EPOCHS, defaults.lr,
                                                         defaults.batch_size)
    window.act_stop.trigger()
    qtbot.waitUntil(lambda: session.state is JobState.IDLE, timeout=30_000)


def test_the_family_box_shows_the_name_and_a_wrapped_line_says_what_it_is(make_window) -> None:
    from models.registry import FAMILIES

    setup = make_window().setup_panel
    setup.set_family("cddpm")
    assert setup.family.currentText() == "cddpm"  # fits the narrow dock, not cut
    assert setup.family_description.text() == FAMILIES["cddpm"].description
    assert setup.family_description.wordWrap()
    box = setup.family
    assert box.itemData(box.currentIndex(), Qt.ItemDataRole.ToolTipRole) == \
        FAMILIES["cddpm"].description
