"""Stable Diffusion pipelines: Latent Lab's recorded loop against the pipeline's own call.

Ours: `models/pipelines/stepper.py` `run_pipeline` — every step's latent, guided ε̂ and
x̂0, both guidance branches (ε̂, x̂0, and x̂0 through the linear latent → RGB map),
copied to the CPU, the final latents decoded. Theirs: `pipe(prompt, ...)` on the same
components with the same seed, steps, guidance and sampler. Prints one JSON object:
median seconds of each, `ratio` (ours / theirs in this process's CPU seconds, target
≤ 1.1; the wall clock on a shared machine measures the neighbours too: `ratio_wall`
beside it), the largest difference between the two runs' images, and the linear preview's
cost as a share of a step (`linear_share`, target ≤ 0.05; the map of the guided x̂0, the
share of one view). Runs alternate so both see the same load.

    python bench/pipelines.py [--folder SD_FOLDER] [--steps 20] [--repeats 7] [--n 1]
                              [--threads 1] [--size 16]

Without --folder a tiny random pipeline is built from configs (tests/models/pipelines/
tiny.py) with `--size`-px images (its UNet is a few thousand weights: Python's per-step
cost weighs most there); with a GPU, pass a real Stable Diffusion folder.
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))


def _timed(work: Any) -> tuple[float, float, Any]:
    wall, cpu = time.perf_counter(), time.process_time()
    out = work()
    return time.perf_counter() - wall, time.process_time() - cpu, out


def main() -> None:
    """Run the benchmark and print its JSON."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--folder", type=Path, default=None)
    parser.add_argument("--steps", type=int, default=20)
    parser.add_argument("--repeats", type=int, default=7)
    parser.add_argument("--n", type=int, default=1)
    parser.add_argument("--threads", type=int, default=1)
    parser.add_argument("--size", type=int, default=16, help="tiny pipeline's image size")
    args = parser.parse_args()

    import numpy as np
    import torch

    from models.diffusion.events import DenoiseFinished
    from models.latent_diffusion.recording import PreviewMode
    from models.pipelines.events import PipelineStep
    from models.pipelines.opening import open_pipeline
    from models.pipelines.preview import fit_patch_preview
    from models.pipelines.stepper import TextRequest, run_pipeline

    torch.set_num_threads(args.threads)
    with tempfile.TemporaryDirectory() as tmp:
        folder = args.folder
        if folder is None:
            from tests.models.pipelines.tiny import tiny_sd

            folder = Path(tmp) / "tiny-sd"
            tiny_sd(folder)
        opened = open_pipeline(folder, device="cuda" if torch.cuda.is_available() else "cpu")
        pipe = opened.pipe
        size = args.size if args.folder is None else None
        request = TextRequest("a red cat on a mat", "blurry", seed=0, steps=args.steps,
                              guidance=7.5, sampler="ddim", n=args.n, height=size, width=size)
        import diffusers

        pipe.scheduler = diffusers.DDIMScheduler.from_config(pipe.scheduler.config)
        shape = (pipe.unet.config.in_channels, (size or 8 * pipe.unet.config.sample_size)
                 // pipe.vae_scale_factor, (size or 8 * pipe.unet.config.sample_size)
                 // pipe.vae_scale_factor)
        linear = fit_patch_preview(pipe.vae, shape)

        def ours() -> list[Any]:
            return list(run_pipeline(opened, request, PreviewMode("linear"), linear))

        def theirs() -> np.ndarray:
            return pipe(request.prompt, negative_prompt=request.negative_prompt,
                        num_inference_steps=args.steps, guidance_scale=request.guidance,
                        num_images_per_prompt=args.n, height=size, width=size,
                        generator=torch.Generator().manual_seed(0), output_type="np").images

        ours(), theirs()  # warm-up
        rows: dict[str, list[tuple[float, float]]] = {"ours": [], "theirs": []}
        events: list[Any] = []
        images = None
        for _ in range(args.repeats):
            wall, cpu, events = _timed(ours)
            rows["ours"].append((wall, cpu))
            wall, cpu, images = _timed(theirs)
            rows["theirs"].append((wall, cpu))
    steps = [e.step for e in events if isinstance(e, PipelineStep)]
    final = next(e for e in events if isinstance(e, DenoiseFinished))
    med = {k: (statistics.median(w for w, _ in v), statistics.median(c for _, c in v))
           for k, v in rows.items()}
    step_ms = statistics.median(s.pixels.step_ms for s in steps)
    linear_ms = statistics.median(s.pixels.linear_ms for s in steps)
    print(json.dumps({
        "folder": str(args.folder) if args.folder else f"tiny ({args.size} px)",
        "steps": args.steps, "n": args.n, "threads": args.threads, "repeats": args.repeats,
        "ours_s": round(med["ours"][1], 4), "theirs_s": round(med["theirs"][1], 4),
        "ratio": round(med["ours"][1] / med["theirs"][1], 3),
        "ratio_wall": round(med["ours"][0] / med["theirs"][0], 3),
        "max_abs_diff": float(np.abs(final.pixels.decoded.transpose(0, 2, 3, 1)
                                     - images).max()),
        "step_ms": round(step_ms, 3), "linear_ms": round(linear_ms, 3),
        "linear_share": round(linear_ms / step_ms, 4), "linear_r2": round(linear.r2, 3),
        "linear_fit_ms": round(linear.fit_ms, 1),
    }))


if __name__ == "__main__":
    main()
