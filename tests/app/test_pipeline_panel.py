"""The Pipeline dock on tiny random Stable Diffusion pipelines built in the test (no hub,
no network): a run streamed to the end equals run_pipeline's, scrubbing, guidance
decomposed, attention, branching, the mask brush and refusals as one line."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from app.panels.pipeline.record import LINEAR, to_uint8
from tests.app.conftest import shown_panel

pytest.importorskip("transformers")
RUN_S = 120_000  # ms: the machine is shared and slow


@pytest.fixture(scope="module")
def sd_folder(tmp_path_factory: pytest.TempPathFactory) -> Path:
    from tests.models.pipelines.tiny import tiny_sd

    folder = tmp_path_factory.mktemp("pipeline-panel") / "tiny-sd"
    tiny_sd(folder)
    return folder


@pytest.fixture
def panel(qtbot: Any, tmp_path: Path) -> Iterator[Any]:
    """A shown PipelinePanel, 1100×640 (the dock beside the setup dock at 1280×720)."""
    from app.panels.pipeline import PipelinePanel

    widget, session = shown_panel(qtbot, tmp_path, PipelinePanel, (1100, 640))
    yield widget
    session.jobs.await_all(5.0)


def messages(panel: Any) -> list[tuple[str, str]]:
    """Return a list that collects the session's messages (level, text) from now on."""
    seen: list[tuple[str, str]] = []
    panel.session.message.connect(lambda level, text: seen.append((level, text)))
    return seen


def open_sd(qtbot: Any, panel: Any, folder: Path) -> None:
    panel.open_folder(folder)
    qtbot.waitUntil(lambda: panel.info is not None and panel.opening is None, timeout=RUN_S)


def run_to_end(qtbot: Any, panel: Any, **form: Any) -> Any:
    f = panel.form
    f.prompt.setText(form.get("prompt", "a cat"))
    f.seed.setValue(form.get("seed", 3))
    f.steps.setValue(form.get("steps", 4))
    f.guidance.setValue(form.get("guidance", 3.0))
    f.sampler.setCurrentIndex(f.sampler.findData(form.get("sampler", "ddim")))
    job = panel.run()
    assert job is not None
    qtbot.waitUntil(lambda: panel.run_a.status != "running", timeout=RUN_S)
    assert panel.run_a.status == "done"
    return panel.run_a


def test_a_text_to_image_run_streams_to_the_end_and_equals_run_pipeline(
        qtbot: Any, panel: Any, sd_folder: Path) -> None:
    from models.pipelines.opening import open_pipeline
    from models.pipelines.stepper import TextRequest, run_pipeline

    open_sd(qtbot, panel, sd_folder)
    assert panel.form.mode.count() == 3 or panel.form.mode.count() == 4
    run = run_to_end(qtbot, panel, prompt="a cat", seed=3, steps=4, guidance=3.0)
    assert sorted(run.steps) == [0, 1, 2, 3]
    assert panel.views.slider.value() == 3  # followed the run live
    request = TextRequest(prompt="a cat", seed=3, steps=4, guidance=3.0, sampler="ddim")
    events = list(run_pipeline(open_pipeline(sd_folder), request))
    final = events[-1]
    np.testing.assert_allclose(run.finished.x0, final.x0, atol=1e-5)
    np.testing.assert_allclose(run.finished.pixels.decoded, final.pixels.decoded, atol=1e-5)
    assert "finished" in panel.views.status.full_text()
