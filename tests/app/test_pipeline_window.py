"""Pipelines in the window: File › Models on this computer lists a Hugging Face cache
laid out by save_pretrained (sockets blocked), File › Open model routes a pipeline folder
to the Pipeline dock, and a refused folder is one line in the message bar."""

from __future__ import annotations

import json
import shutil
import socket
from pathlib import Path
from typing import Any

import pytest

pytest.importorskip("transformers")
OPEN_MS = 120_000


@pytest.fixture
def cache(sd_folder: Path, tmp_path: Path) -> tuple[Path, Path]:
    """Return (a hub cache holding org/tiny-sd and a half-downloaded org/half-sd, the
    good snapshot's folder)."""
    from tests.models.pipelines.test_cache_scan import _add_snapshot

    hub = tmp_path / "hub"
    good = _add_snapshot(hub, "org/tiny-sd", sd_folder, "a" * 40)
    partial = Path(shutil.copytree(sd_folder, tmp_path / "partial"))
    shutil.rmtree(partial / "vae")
    _add_snapshot(hub, "org/half-sd", partial, "c" * 40)
    return hub, good


def _no_sockets(monkeypatch: pytest.MonkeyPatch) -> list[object]:
    calls: list[object] = []

    def refuse(*args: object, **kwargs: object) -> None:
        calls.append(args)
        raise AssertionError("a socket was connected")

    monkeypatch.setattr(socket.socket, "connect", refuse)
    monkeypatch.setattr(socket.socket, "connect_ex", refuse)
    return calls


def test_models_on_this_computer_lists_the_cache_and_greys_what_cannot_open(
        qtbot: Any, cache: tuple[Path, Path], monkeypatch: pytest.MonkeyPatch) -> None:
    from PySide6.QtGui import QPalette

    from app.panels.pipeline.cache_dialog import CachedModelsDialog

    calls = _no_sockets(monkeypatch)
    hub, good = cache
    dialog = CachedModelsDialog(hub)
    qtbot.addWidget(dialog)
    tree = dialog.tree
    rows = [[tree.topLevelItem(i).text(c) for c in range(5)]
            for i in range(tree.topLevelItemCount())]
    assert [r[0] for r in rows] == ["org/half-sd (main)", "org/tiny-sd (main)"]
    half, sd = rows
    assert sd[1] == "StableDiffusionPipeline" and sd[4] == "opens"
    assert sd[2] == "text2img, img2img, inpaint, controlnet"
    assert sd[3].endswith("kB") or sd[3].endswith("MB")
    assert "vae" in half[4] and "\n" not in half[4]
    assert dialog.chosen() == good and dialog.open_button.isEnabled()
    assert dialog.reason.text() == ""
    tree.setCurrentItem(tree.topLevelItem(0))  # the greyed one: its reason, whole, below
    assert dialog.chosen() is None and not dialog.open_button.isEnabled()
    assert dialog.reason.text() == f"Cannot open org/half-sd (main): {half[4]}"
    grey = tree.topLevelItem(0).foreground(0).color()
    assert grey == dialog.palette().color(QPalette.ColorGroup.Disabled,
                                          QPalette.ColorRole.Text)
    assert calls == []


def test_an_empty_cache_says_where_it_looked(qtbot: Any, tmp_path: Path) -> None:
    from app.panels.pipeline.cache_dialog import CachedModelsDialog

    dialog = CachedModelsDialog(tmp_path / "absent")
    qtbot.addWidget(dialog)
    assert dialog.tree.topLevelItemCount() == 0 and dialog.chosen() is None
    assert "No Stable Diffusion" in dialog.note.text() and "absent" in dialog.note.text()
    assert not dialog.open_button.isEnabled()


def test_file_menu_opens_pipelines_in_the_pipeline_dock_and_refusals_are_one_line(
        qtbot: Any, make_window: Any, cache: tuple[Path, Path], tmp_path: Path,
        monkeypatch: pytest.MonkeyPatch) -> None:
    import app.panels.pipeline.cache_dialog as cache_dialog
    from app import settings
    from models.pipelines.cache import find_cached_pipelines

    hub, good = cache
    window = make_window()
    calls = _no_sockets(monkeypatch)
    assert window.act_open.text() == "&Open model…"
    monkeypatch.setattr(cache_dialog, "find_cached_pipelines",
                        lambda cache_dir=None: find_cached_pipelines(hub))
    monkeypatch.setattr(cache_dialog.CachedModelsDialog, "exec", lambda self: 1)
    window.act_open_cached.trigger()
    panel = window.pipeline_dock.widget()
    qtbot.waitUntil(lambda: panel.info is not None and panel.opening is None,
                    timeout=OPEN_MS)
    assert panel.folder == good and window.pipeline_dock.isVisible()
    assert str(good) in settings.recent_files()
    assert window.session.model is None  # the window's model is not the pipeline
    custom = Path(shutil.copytree(good, tmp_path / "custom", symlinks=False))
    index = json.loads((custom / "model_index.json").read_text())
    index["_class_name"] = ["my_pipeline", "MyPipeline"]
    (custom / "model_index.json").write_text(json.dumps(index))
    window.open_path(custom)
    qtbot.waitUntil(lambda: window.message_bar.text() != "", timeout=OPEN_MS)
    text = window.message_bar.text()
    assert "custom pipeline" in text and "\n" not in text
    qtbot.waitUntil(lambda: panel.opening is None, timeout=OPEN_MS)
    assert panel.folder == good  # nothing lost
    assert calls == []
