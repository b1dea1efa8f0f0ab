"""The `latentlab` argument parser: one subcommand per job, the GUI the default."""

from __future__ import annotations

import argparse
from pathlib import Path

from app.cli.anomaly import add_anomaly_parser
from app.cli.argparser import Parser, VersionAction
from app.cli.argtypes import device_arg, finite_float, image_out, in_range, path_arg, whole_number
from app.cli.compare import check_compare_args, cmd_compare
from app.cli.describe import cmd_eval, cmd_info
from app.cli.options import add_train_parser
from app.cli.sample import cmd_sample
from models.diffusion.samplers import SAMPLERS, sampler_help

at_least_1 = in_range(whole_number, 1, None)
COMMANDS = ("gui", "train", "sample", "info", "eval", "compare", "anomaly", "self-test")


def cmd_gui(args: argparse.Namespace) -> int:
    """Open the application window."""
    from app.main import run_gui

    return run_gui(checkpoint=args.checkpoint, follow=args.follow)


def cmd_self_test(args: argparse.Namespace) -> int:
    """Run the offscreen end-to-end GUI smoke test."""
    from app.self_test import run_self_test

    return run_self_test()


def _add_sample_parser(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("sample", help="write a grid of samples as an image",
                       description="Write a grid of samples from a checkpoint; the image "
                       "format follows the --out extension (.png, .jpg, .webp, .bmp, .tif, …).")
    p.add_argument("--checkpoint", required=True, type=path_arg, metavar="PATH",
                   help="checkpoint, run folder or diffusers pipeline folder (Stable "
                   "Diffusion and kin: opened offline)")
    p.add_argument("--n", type=at_least_1, default=None,
                   help="number of images (default 64; 1 for a pipeline folder)")
    p.add_argument("--out", required=True, type=image_out, metavar="FILE",
                   help="image file to write; its extension picks the format")
    p.add_argument("--seed", type=in_range(whole_number, 0, 2**63 - 1), default=0,
                   help="sampling seed")
    p.add_argument("--nrow", type=at_least_1, default=None, help="images per row (default √n)")
    p.add_argument("--class", dest="class_", type=in_range(whole_number, 0, None), default=None,
                   metavar="CLASS",
                   help="class to generate, for conditional models and DiT pipelines")
    p.add_argument("--device", type=device_arg, default="auto",
                       help="auto, cpu, cuda, cuda:N or mps")
    p.add_argument("--temperature", type=in_range(finite_float, 0, 10), default=None,
                   help="σ of the base normal, models sampling at a temperature (realnvp; "
                   "default: the model's)")
    g = p.add_argument_group("diffusion")
    g.add_argument("--sampler", default=None, choices=tuple(SAMPLERS),
                   help=f"denoising sampler (default: the model's) — {sampler_help()}")
    g.add_argument("--steps", type=at_least_1, default=None,
                   help="denoising steps (default: the model's)")
    g.add_argument("--eta", type=finite_float, default=None,
                   help="DDIM η (0: deterministic; default: the model's)")
    g.add_argument("--guidance", type=finite_float, default=None,
                   help="classifier-free guidance scale, conditional models "
                   "(default: the model's)")
    g.add_argument("--save-trajectory", type=path_arg, default=None, metavar="FILE",
                   help="also save every step's x_t, ε̂ and x̂0 to this .npz")
    g = p.add_argument_group("stylegan")
    g.add_argument("--psi", type=in_range(finite_float, 0.0, 2.0), default=None,
                   help="truncation ψ around the mean w (1: none, 0: the mean image; "
                   "default: the model's)")
    t = p.add_argument_group("pipeline folders (Stable Diffusion and kin)")
    t.add_argument("--prompt", default=None, help="what to draw (cut to the text encoder's "
                   "length, with a note)")
    t.add_argument("--negative-prompt", default=None, help="what to steer away from")
    t.add_argument("--trajectory", type=path_arg, default=None, metavar="FILE",
                   help="also save every step's latent, ε̂ and x̂0 to this .npz")
    t.add_argument("--image", type=path_arg, default=None, metavar="FILE",
                   help="start from this picture (img2img), paint into it with --mask, or "
                   "condition --controlnet on it")
    t.add_argument("--mask", type=path_arg, default=None, metavar="FILE",
                   help="inpainting: white where --image is painted anew")
    t.add_argument("--strength", type=finite_float, default=None,
                   help="how far --image is noised, in (0, 1] (default: 0.8 img2img, "
                   "1.0 inpainting)")
    t.add_argument("--controlnet", type=path_arg, default=None, metavar="FOLDER",
                   help="a ControlNet folder to steer the pipeline with --image")
    t.add_argument("--control-scale", type=finite_float, default=None,
                   help="ControlNet's conditioning scale (default: 1.0)")
    t.add_argument("--allow-pickle", action="store_true", default=None,
                   help="load pickled .bin weights when a component has no safetensors "
                   "(unpickling can run code: only for files you trust)")
    p.set_defaults(handler=cmd_sample)


def _add_compare_parser(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("compare", help="runs on the same data side by side: bits/dim, FD, "
                       "sample quality, sampling time, weights, training time",
                       description="Measure runs trained on the same data side by side: bits "
                       "per dimension on the images every run held out (exact for models "
                       "with a likelihood, the importance-weighted bound for VAEs, not "
                       "defined for GANs), Fréchet distance, precision/recall and "
                       "density/coverage (the classifier features `eval` uses), the digit "
                       "classifier score (Inception-Score style), sampling seconds per image "
                       "with the same sampler and steps, weights per stage and the training "
                       "seconds its metrics logged.")
    p.add_argument("runs", nargs="+", type=path_arg, metavar="RUN",
                   help="checkpoint or run folders (two or more)")
    p.add_argument("--n", type=at_least_1, default=500,
                   help="images sampled per run for the timing and the Fréchet distance")
    p.add_argument("--nll-n", type=at_least_1, default=500,
                   help="held-out images bits per dimension is averaged over")
    p.add_argument("--iwae-k", type=in_range(whole_number, 1, 4096), default=64,
                   help="importance samples of a VAE's bound (IWAE)")
    p.add_argument("--sampler", default="ddim", choices=tuple(SAMPLERS),
                   help="sampler of every diffusion model")
    p.add_argument("--steps", type=at_least_1, default=25,
                   help="denoising steps of every diffusion model")
    p.add_argument("--seed", type=in_range(whole_number, 0, 2**63 - 1), default=0,
                   help="sampling seed, and of the real images' subset")
    p.add_argument("--threads", type=at_least_1, default=None,
                   help="torch CPU threads (default: N−1 of N cores, at most 8)")
    p.add_argument("--device", type=device_arg, default="auto",
                   help="auto, cpu, cuda, cuda:N or mps")
    p.add_argument("--json", action="store_true",
                   help="print JSON instead of the table (default: the table)")
    p.set_defaults(handler=cmd_compare, precheck=check_compare_args)


def build_parser() -> argparse.ArgumentParser:
    """Return the full argument parser (torch is not imported)."""
    parser = Parser(prog="latentlab", description="Latent Lab: see inside generative models. "
                    "With no command, opens the application.")
    parser.add_argument("--debug", action="store_true",
                        help="show tracebacks on errors (also accepted after the command)")
    parser.add_argument("--version", action=VersionAction, help="print the version and exit")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND", parser_class=Parser)

    p = sub.add_parser("gui", help="open the application (the default)")
    opened = p.add_mutually_exclusive_group()
    opened.add_argument("--checkpoint", type=path_arg, metavar="PATH",
                        help="checkpoint or run folder to open")
    opened.add_argument("--follow", type=Path, metavar="PATH",
                        help="run folder to follow as it grows, also one kept in sync from "
                        "a server (rsync, a network mount) or not there yet")
    p.set_defaults(handler=cmd_gui)

    add_train_parser(sub)
    _add_sample_parser(sub)

    for name, helptext, handler in (("info", "describe a checkpoint as JSON", cmd_info),
                                    ("eval", "evaluate a checkpoint, JSON on stdout", cmd_eval)):
        p = sub.add_parser(name, help=helptext)
        p.add_argument("--checkpoint", required=True, type=path_arg, metavar="PATH",
                       help="checkpoint or run folder")
        if name == "eval":
            p.add_argument("--device", type=device_arg, default="auto",
                       help="auto, cpu, cuda, cuda:N or mps")
            p.add_argument("--n", type=at_least_1, default=None,
                           help="generated images for sample-quality metrics (default 2000; "
                           "500 for diffusion models, where each is a full sampler run)")
        p.set_defaults(handler=handler)

    _add_compare_parser(sub)
    add_anomaly_parser(sub)

    p = sub.add_parser("self-test", help="offscreen end-to-end GUI smoke test (exit 0/1)")
    p.set_defaults(handler=cmd_self_test)
    for command in sub.choices.values():
        # `latentlab train … --debug` works too; SUPPRESS keeps a leading --debug's value.
        command.add_argument("--debug", action="store_true", default=argparse.SUPPRESS,
                             help="show tracebacks on errors")
        command.set_defaults(command_parser=command)
    return parser
