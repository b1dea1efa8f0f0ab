"""Our recorded DDIM trajectory against diffusers' DDIMPipeline on the same UNet and steps.

Prints one JSON object: median seconds of each, their ratio (target ≤ 1.05) and the largest
difference between the two runs' images. Runs alternate so both see the same machine load.

    python bench/sampling.py [--preset small] [--n 16] [--steps 50] [--repeats 5]
                             [--checkpoint RUN] [--threads 1]

Without --checkpoint the UNet is freshly initialised, with its zero-initialised output
layer given small random weights so the images are not trivially constant.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import time

import torch


def main() -> None:
    """Run the comparison and print the JSON line."""
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--preset", default="small", choices=("tiny", "small", "medium"))
    p.add_argument("--image-size", type=int, default=28)
    p.add_argument("--n", type=int, default=16)
    p.add_argument("--steps", type=int, default=50)
    p.add_argument("--repeats", type=int, default=5)
    p.add_argument("--threads", type=int, default=None)
    p.add_argument("--checkpoint", default=None,
                   help="a trained ddpm checkpoint or run folder (default: a fresh UNet)")
    args = p.parse_args()
    if args.threads:
        torch.set_num_threads(args.threads)

    from diffusers import DDIMPipeline, DDIMScheduler

    from models.diffusion import DDPMConfig
    from models.diffusion.model import DDPM
    from models.diffusion.sampling import DenoiseFinished
    from models.diffusion.unet import to_images

    torch.manual_seed(0)
    if args.checkpoint:
        from models.checkpoint import load_checkpoint

        model = load_checkpoint(args.checkpoint).model
        if not isinstance(model, DDPM) or model.conditional:
            raise SystemExit("--checkpoint must hold an unconditional ddpm model")
        args.preset = model.config.preset
        args.image_size = model.config.image_size
    else:
        model = DDPM(DDPMConfig(preset=args.preset, image_size=args.image_size, ema=False))
        with torch.no_grad():  # diffusers zero-initialises conv_out: its ε̂ would be all 0
            for q in model.unet.conv_out.parameters():
                q.normal_(0.0, 0.02)
    model = model.eval()
    pipe = DDIMPipeline(unet=model.sampling_unet,
                        scheduler=DDIMScheduler.from_config(model.schedule.config))
    pipe.set_progress_bar_config(disable=True)

    def theirs(steps: int) -> torch.Tensor:
        # Our DDIM re-derives ε̂ from the clipped x̂0, as this option makes diffusers do.
        out = pipe(batch_size=args.n, generator=torch.Generator().manual_seed(0),
                   num_inference_steps=steps, output_type="pt",
                   use_clipped_model_output=True).images
        return out

    def ours(steps: int) -> torch.Tensor:
        events = list(model.trajectory(args.n, 0, sampler="ddim", steps=steps))
        final = events[-1]
        assert isinstance(final, DenoiseFinished) and len(events) == steps + 1
        # The whole UNet frame (padded presets included), as the pipeline returns it.
        return to_images(torch.from_numpy(final.x0), model.model_size)

    theirs(3), ours(3)  # warm-up: first calls allocate and pick kernels
    times: dict[str, list[float]] = {"diffusers": [], "ours": []}
    images: dict[str, torch.Tensor] = {}
    for r in range(args.repeats):
        order = (("diffusers", theirs), ("ours", ours))
        for name, fn in order if r % 2 == 0 else order[::-1]:
            t0 = time.perf_counter()
            images[name] = fn(args.steps)
            times[name].append(time.perf_counter() - t0)
    med = {k: statistics.median(v) for k, v in times.items()}
    print(json.dumps({
        "preset": args.preset, "image_size": args.image_size,
        "checkpoint": args.checkpoint,
        "parameters": sum(q.numel() for q in model.sampling_unet.parameters()),
        "n": args.n, "steps": args.steps, "repeats": args.repeats,
        "threads": torch.get_num_threads(),
        "diffusers_ddim_pipeline_s": round(med["diffusers"], 3),
        "ours_trajectory_s": round(med["ours"], 3),
        "ratio": round(med["ours"] / med["diffusers"], 3),
        "max_abs_diff": float((images["ours"] - images["diffusers"]).abs().max()),
        "all_s": {k: [round(x, 3) for x in v] for k, v in times.items()},
        "load_average": round(os.getloadavg()[0], 2),
    }))


if __name__ == "__main__":
    main()
