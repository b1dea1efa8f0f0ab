"""The `latentlab` argument parser: one subcommand per job, the GUI the default."""

from __future__ import annotations

import argparse
from pathlib import Path

from app.cli.describe import cmd_eval, cmd_info
from app.cli.options import add_train_parser
from app.cli.sample import cmd_sample
from models.diffusion.samplers import SAMPLERS, sampler_help


def cmd_gui(args: argparse.Namespace) -> int:
    """Open the application window."""
    from app.main import run_gui

    return run_gui(checkpoint=args.checkpoint)


def cmd_self_test(args: argparse.Namespace) -> int:
    """Run the offscreen end-to-end GUI smoke test."""
    from app.self_test import run_self_test

    return run_self_test()


# --- entry point ---------------------------------------------------------------------------
def build_parser() -> argparse.ArgumentParser:
    """Return the full argument parser."""
    parser = argparse.ArgumentParser(
        prog="latentlab", description="Latent Lab: see inside generative models.")
    parser.add_argument("--debug", action="store_true", help="show tracebacks on errors")
    sub = parser.add_subparsers(dest="command")

    p = sub.add_parser("gui", help="open the application (the default)")
    p.add_argument("--checkpoint", type=Path, help="checkpoint or run folder to open")
    p.set_defaults(handler=cmd_gui)

    add_train_parser(sub)

    p = sub.add_parser("sample", help="write a PNG grid of samples")
    p.add_argument("--checkpoint", required=True, type=Path, help="checkpoint or run folder")
    p.add_argument("--n", type=int, default=64, help="number of images (default 64)")
    p.add_argument("--out", required=True, type=Path, help="PNG file to write")
    p.add_argument("--seed", type=int, default=0, help="sampling seed (default 0)")
    p.add_argument("--nrow", type=int, default=None, help="images per row (default √n)")
    p.add_argument("--class", dest="class_", type=int, default=None,
                   help="class to generate, for conditional models")
    p.add_argument("--device", default="auto", help="auto, cpu, cuda, cuda:N or mps")
    g = p.add_argument_group("diffusion")
    g.add_argument("--sampler", default=None, choices=tuple(SAMPLERS),
                   help=f"denoising sampler (default: the model's) — {sampler_help()}")
    g.add_argument("--steps", type=int, default=None, help="denoising steps")
    g.add_argument("--eta", type=float, default=None, help="DDIM η (0: deterministic)")
    g.add_argument("--guidance", type=float, default=None,
                   help="classifier-free guidance scale (conditional models)")
    g.add_argument("--save-trajectory", type=Path, default=None,
                   help="also save every step's x_t, ε̂ and x̂0 to this .npz")
    p.set_defaults(handler=cmd_sample)

    for name, helptext, handler in (("info", "describe a checkpoint as JSON", cmd_info),
                                    ("eval", "evaluate a checkpoint, JSON on stdout", cmd_eval)):
        p = sub.add_parser(name, help=helptext)
        p.add_argument("--checkpoint", required=True, type=Path, help="checkpoint or run folder")
        if name == "eval":
            p.add_argument("--device", default="auto", help="auto, cpu, cuda, cuda:N or mps")
            p.add_argument("--n", type=int, default=None,
                           help="generated images for sample-quality metrics (default 2000; "
                           "500 for diffusion models, where each is a full sampler run)")
        p.set_defaults(handler=handler)

    p = sub.add_parser("self-test", help="offscreen end-to-end GUI smoke test (exit 0/1)")
    p.set_defaults(handler=cmd_self_test)
    return parser
