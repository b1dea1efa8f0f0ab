"""Latent diffusion: our recorded latent trajectory against diffusers' own loop, same parts.

Ours: the step viewer's recording, `record_trajectory` (models/latent_diffusion/
recording.py: `LDM.trajectory`'s x_t, ε̂ and x̂0 of every step copied to the CPU, with the
chosen pixel preview: by default the linear latent → pixel map at every step), then the
final latents decoded. Theirs: the
loop diffusers' LDMPipeline runs over the same components — scheduler.set_timesteps,
unet, scheduler.step, then vae.decode(latents / scaling_factor) — with the same seed,
steps and batch. Prints one JSON object: median seconds of each, `ratio` (ours /
diffusers in this process's CPU seconds, target ≤ 1.05: on a shared machine the wall
clock measures the neighbours as much as the code; `ratio_wall` is beside it), the largest
difference between the two runs' images, and the full-decoder preview's cost: vae.decode
of the batch's x̂0, per step (what the step viewer pays for "decoder every step" on top of
recording). Runs alternate so both see the same load; the situation is repeated beside a
process spinning `while True: pass` (`beside_hog`) unless --no-hog.

    python bench/ldm.py [--checkpoint RUN] [--n 16] [--steps 50] [--repeats 9]
                        [--threads 1] [--preview linear|decoder|none] [--no-hog]

The default checkpoint is the bundled ldm-digits demo (it has a linear preview);
`--checkpoint fresh` builds a model from the default `ldm` config (the UNet's
zero-initialised output layer given small random weights, so the latents move).
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import torch
from cpu_hog import cpu_hog  # bench/, the script's own folder

# The step viewer's pixel preview, chosen per recording (models/latent_diffusion/
# recording.py: `record_trajectory(model, n, seed, preview=PreviewMode(kind))`). "linear"
# (the default, what the issue measures) maps every step's x̂0 through the linear latent →
# pixel map; "decoder" decodes every step; "none" is the bare `trajectory`.
PREVIEW_MODES = ("none", "linear", "decoder")
DEMO = Path(__file__).resolve().parents[1] / "resources" / "demos" / "ldm-digits"


def build_model(checkpoint: str | None) -> Any:
    """Return an unconditional LDM in eval mode: the checkpoint's, or a fresh default one."""
    from models.latent_diffusion.model import LDM

    if checkpoint and checkpoint != "fresh":
        from models.checkpoint import load_checkpoint

        model = load_checkpoint(checkpoint).model
        if not isinstance(model, LDM) or model.conditional:
            raise SystemExit("--checkpoint must hold an unconditional ldm model")
        return model.eval()
    from models.latent_diffusion.config import LDMConfig

    torch.manual_seed(0)
    model = LDM(LDMConfig(ema=False))
    with torch.no_grad():  # diffusers zero-initialises conv_out: its ε̂ would be all 0
        for q in model.unet.conv_out.parameters():
            q.normal_(0.0, 0.02)
    model.set_scaling_factor(1.0)
    return model.eval()


def diffusers_loop(model: Any, n: int, steps: int, seed: int) -> torch.Tensor:
    """Return n images in [0, 1] from LDMPipeline's loop over the model's own parts (DDIM,
    η = 0), cropped as ours are."""
    from diffusers import DDIMScheduler
    from diffusers.utils.torch_utils import randn_tensor

    from models.latent_diffusion.autoencoder import unframe

    unet, vae = model.sampling_unet, model.vae
    scheduler = DDIMScheduler.from_config(model.schedule.config)
    with torch.no_grad():
        latents = randn_tensor((n, *model.image_shape),
                               generator=torch.Generator().manual_seed(seed))
        scheduler.set_timesteps(steps)
        latents = latents * scheduler.init_noise_sigma
        for t in scheduler.timesteps:
            x_in = scheduler.scale_model_input(latents, t)
            eps = unet(x_in, t).sample
            latents = scheduler.step(eps, t, latents, eta=0.0).prev_sample
        images = vae.decode(latents / vae.config.scaling_factor).sample
        return unframe(images, model.config.image_size)


def our_recording(model: Any, n: int, steps: int, seed: int, preview: str) -> torch.Tensor:
    """Return n images in [0, 1] from our recorded trajectory (every step's arrays on the
    CPU), the final latents decoded."""
    from models.diffusion.sampling import DenoiseFinished

    if preview == "none":
        events = list(model.trajectory(n, seed, sampler="ddim", steps=steps))
        final = events[-1]
        assert isinstance(final, DenoiseFinished) and len(events) == steps + 1
        return model.to_images(final.x0)
    from models.latent_diffusion.recording import PreviewMode, record_trajectory

    if preview == "linear" and model.linear_preview is None:
        raise SystemExit("--preview linear needs a checkpoint with a linear preview (any "
                         "ldm trained by this version, or the ldm-digits demo)")
    events = list(record_trajectory(model, n, seed, preview=PreviewMode(kind=preview),
                                    sampler="ddim", steps=steps))
    final = events[-1]
    assert isinstance(final, DenoiseFinished) and len(events) == steps + 1
    return torch.from_numpy(final.pixels.decoded)  # type: ignore[attr-defined]


def decoder_cost_ms(model: Any, n: int, steps: int, seed: int) -> dict[str, float]:
    """Return the full decoder's cost per step — the median ms (wall and CPU) of vae.decode
    of each recorded step's batch of x̂0 — and the recording's own step, for comparison."""
    from models.diffusion.sampling import DenoiseStep

    x0s, step_ms = [], []
    events = model.trajectory(n, seed, sampler="ddim", steps=steps)
    while True:
        start = clock()
        event = next(events)
        if not isinstance(event, DenoiseStep):
            break
        step_ms.append(since(start))
        x0s.append(event.x0)
    decode_ms = []
    for x0 in x0s:
        start = clock()
        model.to_images(x0)
        decode_ms.append(since(start))
    return {"decoder_preview_ms_per_step": round(statistics.median(d[0] for d in decode_ms), 2),
            "decoder_preview_cpu_ms_per_step": round(statistics.median(d[1] for d in decode_ms),
                                                     2),
            "recording_ms_per_step": round(statistics.median(d[0] for d in step_ms), 2),
            "recording_cpu_ms_per_step": round(statistics.median(d[1] for d in step_ms), 2)}


def clock() -> tuple[float, float]:
    """Return (wall, this process's CPU) seconds now."""
    return time.perf_counter(), time.process_time()


def since(start: tuple[float, float]) -> tuple[float, float]:
    """Return the (wall, CPU) milliseconds since `start`."""
    now = clock()
    return (now[0] - start[0]) * 1000.0, (now[1] - start[1]) * 1000.0


def situation(model: Any, args: argparse.Namespace) -> dict[str, Any]:
    """Return one situation's timings: alternating runs of both loops, then the decoder."""
    runs: dict[str, Callable[[], torch.Tensor]] = {
        "diffusers": lambda: diffusers_loop(model, args.n, args.steps, args.seed),
        "ours": lambda: our_recording(model, args.n, args.steps, args.seed, args.preview)}
    # Warm-up: first calls allocate and pick kernels.
    diffusers_loop(model, args.n, 3, args.seed)
    our_recording(model, args.n, 3, args.seed, args.preview)
    wall: dict[str, list[float]] = {"diffusers": [], "ours": []}
    cpu: dict[str, list[float]] = {"diffusers": [], "ours": []}
    images: dict[str, torch.Tensor] = {}
    for r in range(args.repeats):
        order = list(runs.items())
        for name, fn in order if r % 2 == 0 else order[::-1]:
            start = clock()
            images[name] = fn()
            ms = since(start)
            wall[name].append(ms[0] / 1000.0)
            cpu[name].append(ms[1] / 1000.0)
    med = {k: statistics.median(v) for k, v in wall.items()}
    med_cpu = {k: statistics.median(v) for k, v in cpu.items()}
    return {
        "diffusers_loop_s": round(med["diffusers"], 4),
        "ours_trajectory_s": round(med["ours"], 4),
        "ratio_wall": round(med["ours"] / med["diffusers"], 3),
        "diffusers_loop_cpu_s": round(med_cpu["diffusers"], 4),
        "ours_trajectory_cpu_s": round(med_cpu["ours"], 4),
        "ratio": round(med_cpu["ours"] / med_cpu["diffusers"], 3),
        "cpu_ms_per_step": {k: round(v / args.steps * 1000.0, 2) for k, v in med_cpu.items()},
        **decoder_cost_ms(model, args.n, args.steps, args.seed),
        "max_abs_diff": float((images["ours"] - images["diffusers"]).abs().max()),
        "all_wall_s": {k: [round(x, 3) for x in v] for k, v in wall.items()},
        "load_average": round(os.getloadavg()[0], 2),
    }


def main() -> None:
    """Run the comparison as the machine is and beside a CPU hog; print the JSON line."""
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--checkpoint", default=str(DEMO),
                   help="a trained ldm checkpoint or run folder (default: the bundled "
                        "ldm-digits demo); 'fresh' for an untrained model (no linear "
                        "preview: use --preview none)")
    p.add_argument("--n", type=int, default=16, help="images per batch")
    p.add_argument("--steps", type=int, default=50, help="DDIM steps")
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--repeats", type=int, default=9,
                   help="alternating runs of each loop (5 left a ±5 %% spread here)")
    p.add_argument("--threads", type=int, default=1)
    p.add_argument("--preview", default="linear", choices=PREVIEW_MODES,
                   help="pixel preview recorded with each step (see PREVIEW_MODES)")
    p.add_argument("--no-hog", action="store_true", help="skip the run beside a CPU hog")
    args = p.parse_args()
    torch.set_num_threads(args.threads)
    model = build_model(args.checkpoint)
    stages = model.stages()
    result: dict[str, Any] = {
        "benchmark": "ldm", "checkpoint": args.checkpoint, "sampler": "ddim",
        "steps": args.steps, "batch": args.n, "threads": torch.get_num_threads(),
        "preview": args.preview, "repeats": args.repeats,
        "latent_shape": stages["latent_shape"],
        "unet_parameters": stages["unet_parameters"],
        "vae_parameters": stages["vae_parameters"],
        "without_hog": situation(model, args)}
    if not args.no_hog:
        with cpu_hog():
            time.sleep(0.5)  # let it reach its spin
            result["beside_hog"] = situation(model, args)
    result["target_met"] = all(result[s]["ratio"] <= 1.05
                               for s in ("without_hog", "beside_hog") if s in result)
    print(json.dumps(result))


if __name__ == "__main__":
    main()
