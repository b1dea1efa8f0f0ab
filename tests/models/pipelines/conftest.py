"""A tiny Stable Diffusion folder built once per session; tests that change it copy it."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest


@pytest.fixture(scope="session")
def sd_folder(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Return a saved tiny StableDiffusionPipeline folder (read-only for tests); skips
    without transformers (the `pipelines` extra), which its text encoder needs."""
    pytest.importorskip("transformers")
    from tests.models.pipelines.tiny import tiny_sd

    folder = tmp_path_factory.mktemp("pipelines") / "tiny-sd"
    tiny_sd(folder)
    return folder


@pytest.fixture
def sd_copy(sd_folder: Path, tmp_path: Path) -> Path:
    """Return a copy of the tiny SD folder this test may change."""
    return Path(shutil.copytree(sd_folder, tmp_path / "sd"))
