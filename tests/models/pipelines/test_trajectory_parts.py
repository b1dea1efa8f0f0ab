"""Pipeline trajectories keep a run whole: guidance branches' x̂0, the prompt's attention
maps and a branch survive a save and load; plain trajectories still load both ways."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from models.diffusion.events import DenoiseFinished
from models.diffusion.trajectory_io import Trajectory
from models.pipelines.events import PipelineStarted, PipelineStep
from models.pipelines.opening import OpenedPipeline, open_pipeline
from models.pipelines.stepper import TextRequest, run_pipeline
from models.pipelines.trajectory import from_events, load, save

pytestmark = pytest.mark.usefixtures("one_thread")


@pytest.fixture(scope="module")
def opened(sd_folder: Path) -> OpenedPipeline:
    return open_pipeline(sd_folder)


def _run(opened: OpenedPipeline, **fields: object
         ) -> tuple[PipelineStarted, list[PipelineStep], DenoiseFinished]:
    request = TextRequest(**{"prompt": "a red cat", "seed": 2, "steps": 4, "guidance": 3.0,
                             "sampler": "ddim", **fields})  # type: ignore[arg-type]
    events = list(run_pipeline(opened, request, attention=True))
    return events[0], events[1:-1], events[-1]


def test_guidance_attention_and_branch_survive_a_round_trip(
        opened: OpenedPipeline, tmp_path: Path) -> None:
    started, steps, finished = _run(opened)
    a_x_t = steps[2].step.x_t
    b_started, b_steps, b_finished = _run(opened, prompt="a dog", branch_from=a_x_t,
                                          branch_index=2)
    assert [s.step.index for s in b_steps] == [2, 3]
    branch = from_events(b_steps, b_finished, b_started.meta)
    path = save(from_events(steps, finished, started.meta, branch, 2), tmp_path / "r.npz")
    run = load(path)
    assert run.num_steps == 4 and run.base.meta["prompt"] == "a red cat"
    for k, step in enumerate(steps):
        parts = step.step.parts
        assert parts is not None
        np.testing.assert_allclose(run.x0_uncond[k], parts.x0_uncond, atol=2e-3, rtol=2e-3)
        np.testing.assert_allclose(run.x0_cond[k], parts.x0_cond, atol=2e-3, rtol=2e-3)
        np.testing.assert_array_equal(run.base.x_t[k], step.step.x_t)
    tokens = started.meta["tokens"]
    kept = run.attention.shape[1]
    # The prompt's positions (start, words, end) are kept, the padding is not.
    assert tokens[kept - 1] == "<|endoftext|>" and kept < len(tokens)
    assert run.attention.dtype == np.float16
    np.testing.assert_allclose(run.attention[1], steps[1].attention[0, :kept], atol=1e-3)
    assert run.branch is not None and run.branch_index == 2
    assert run.branch.base.meta["prompt"] == "a dog" and run.branch.base.start_index == 2
    np.testing.assert_array_equal(run.branch.base.final, b_finished.x0)
    # Older readers still read the run itself.
    old = Trajectory.load(path)
    np.testing.assert_array_equal(old.final, finished.x0)


def test_a_plain_trajectory_loads_without_the_added_parts(
        opened: OpenedPipeline, tmp_path: Path) -> None:
    started, steps, finished = _run(opened, guidance=1.0)
    plain = Trajectory.from_events([*(s.step for s in steps), finished], started.meta)
    run = load(plain.save(tmp_path / "plain.npz"))
    assert run.x0_uncond is None and run.x0_cond is None and run.branch is None
    assert run.attention is None
    np.testing.assert_array_equal(run.base.x0, plain.x0)
    # Unguided with attention: maps saved, no guidance branches.
    run = load(save(from_events(steps, finished, started.meta), tmp_path / "u.npz"))
    assert run.x0_uncond is None and run.attention is not None


def test_a_file_that_is_not_a_trajectory_is_one_line(tmp_path: Path) -> None:
    bad = tmp_path / "bad.npz"
    np.savez(bad, meta=np.array('{"format": "other"}'))
    with pytest.raises(ValueError, match=r"bad\.npz: cannot read trajectory") as err:
        load(bad)
    assert "\n" not in str(err.value)
