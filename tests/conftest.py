"""Test-wide settings: no network, no display, small thread counts."""

import gc
import os
import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
os.environ["HF_HUB_OFFLINE"] = "1"
os.environ["HF_DATASETS_OFFLINE"] = "1"
os.environ.setdefault("TQDM_DISABLE", "1")


@pytest.fixture(scope="module")
def one_thread() -> Iterator[None]:
    """Run a module's tiny models on one torch thread: on a busy 2-core machine, thread
    hand-offs cost more than an 8-px convolution. Modules opt in with
    `pytestmark = pytest.mark.usefixtures("one_thread")`."""
    import torch

    before = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(before)


@pytest.fixture(autouse=True)
def automatic_gc_outside_the_window(request: pytest.FixtureRequest) -> None:
    """Collect garbage automatically in tests without a window: the main window turns
    automatic collection off for the whole process and collects on a GUI timer
    (app/gui_gc.py), which only runs while a test spins Qt's event loop."""
    if "app" not in request.path.parts[-2:-1] and not gc.isenabled():
        gc.enable()


@pytest.fixture(scope="session")
def sd_folder(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Return a saved tiny StableDiffusionPipeline folder, built once per session
    (read-only: a test that changes it works on `sd_copy`); skips without transformers
    (the `pipelines` extra), which its text encoder needs."""
    pytest.importorskip("transformers")
    from tests.models.pipelines.tiny import tiny_sd

    folder = tmp_path_factory.mktemp("pipelines") / "tiny-sd"
    tiny_sd(folder)
    return folder


@pytest.fixture
def sd_copy(sd_folder: Path, tmp_path: Path) -> Path:
    """Return a copy of the tiny SD folder this test may change."""
    return Path(shutil.copytree(sd_folder, tmp_path / "sd"))
