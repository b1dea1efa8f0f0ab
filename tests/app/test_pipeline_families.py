"""The Pipeline dock on the other families' tiny pipelines (SDXL, DiT, LDM), built in the
test: each runs to run_pipeline's final latents, with the controls its family takes."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from tests.app.test_pipeline_panel import open_sd, run_to_end

pytest.importorskip("transformers")


@pytest.fixture(scope="module")
def folders(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    """Return tiny SDXL, DiT and LDM folders, built once (saving them may start tqdm's
    monitor thread: before the tests' thread-leak baseline, not during a test)."""
    from tests.models.pipelines.tiny import tiny_dit, tiny_ldm, tiny_sdxl

    root = tmp_path_factory.mktemp("pipeline-families")
    builders = {"sdxl": tiny_sdxl, "dit": tiny_dit, "ldm": tiny_ldm}
    for kind, build in builders.items():
        build(root / kind)
    return {kind: root / kind for kind in builders}


@pytest.fixture
def panel(qtbot: Any, tmp_path: Path) -> Iterator[Any]:
    from app.panels.pipeline import PipelinePanel
    from tests.app.conftest import shown_panel

    widget, session = shown_panel(qtbot, tmp_path, PipelinePanel, (1100, 640))
    yield widget
    session.jobs.await_all(5.0)


def test_sdxl_runs_text_to_image_with_attention_and_offers_only_that_mode(
        qtbot: Any, panel: Any, folders: dict[str, Path]) -> None:
    from app.panels.pipeline.display import attention_overlay
    from app.panels.pipeline.record import LINEAR, to_uint8
    from models.pipelines.opening import open_pipeline
    from models.pipelines.stepper import TextRequest, run_pipeline
    folder = folders["sdxl"]
    open_sd(qtbot, panel, folder)
    assert [panel.form.mode.itemData(i) for i in range(panel.form.mode.count())] == \
        ["text2img"]
    panel.form.decoder.setCurrentIndex(panel.form.decoder.findData(LINEAR))
    run = run_to_end(qtbot, panel, prompt="an owl", steps=3, guidance=4.0, seed=2)
    request = TextRequest(prompt="an owl", seed=2, steps=3, guidance=4.0, sampler="ddim")
    final = list(run_pipeline(open_pipeline(folder), request))[-1]
    np.testing.assert_allclose(run.finished.x0, final.x0, atol=1e-5)
    panel.views.tabs.setCurrentIndex(2)  # Attention
    panel.show_step(1)
    panel.views.token.setCurrentIndex(1)
    pos = panel.views.token.currentData()
    image = to_uint8(run.steps[1].step.pixels.linear)
    np.testing.assert_array_equal(panel.views.attention_pane.image,
                                  attention_overlay(image, run.steps[1].attention[0, pos]))


@pytest.mark.parametrize("kind", ["dit", "ldm"])
def test_class_and_unconditional_pipelines_run_in_the_dock_as_run_pipeline_does(
        qtbot: Any, panel: Any, folders: dict[str, Path], kind: str) -> None:
    from models.pipelines.opening import open_pipeline
    from models.pipelines.stepper import TextRequest, run_pipeline
    folder = folders[kind]
    open_sd(qtbot, panel, folder)
    assert not panel.form.prompt.isVisibleTo(panel)
    tabs = panel.views.tabs
    assert not tabs.isTabVisible(2)  # no attention maps without a prompt
    assert tabs.isTabVisible(1) == (kind == "dit")  # LDM has no guidance
    assert not panel.form.branch_box.isVisibleTo(panel)  # the stepper branches SD only
    assert (panel.form.class_label.count() == 1000) == (kind == "dit")
    if kind == "dit":
        panel.form.class_label.setCurrentIndex(1)
    run = run_to_end(qtbot, panel, steps=3, guidance=2.0, seed=5)
    fields = {"class_label": 1} if kind == "dit" else {}
    request = TextRequest(seed=5, steps=3, guidance=2.0, sampler="ddim", **fields)
    final = list(run_pipeline(open_pipeline(folder), request))[-1]
    np.testing.assert_allclose(run.finished.x0, final.x0, atol=1e-5)
    panel.show_step(1)
    assert panel.views.a_image.image is not None
