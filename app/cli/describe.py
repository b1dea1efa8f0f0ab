"""`latentlab info` and `latentlab eval`: a checkpoint described or evaluated, JSON on stdout."""

from __future__ import annotations

import argparse
import json

from models.registry import FAMILIES


def cmd_info(args: argparse.Namespace) -> int:
    """Print a JSON description of a checkpoint."""
    from models.checkpoint import load_checkpoint
    from models.toy.run import is_toy_checkpoint

    if is_toy_checkpoint(args.checkpoint):
        from app.cli.toy import cmd_toy_info

        return cmd_toy_info(args)

    loaded = load_checkpoint(args.checkpoint)
    model = loaded.model
    caps = model.capabilities
    print(json.dumps({
        "checkpoint": str(loaded.path),
        "family": loaded.family,
        "description": FAMILIES[loaded.family].description,
        "parameters": sum(p.numel() for p in model.parameters()),
        "capabilities": {"can_encode": caps.can_encode, "conditional": caps.conditional,
                         "is_diffusion": caps.is_diffusion,
                         "latent_shape": list(caps.latent_shape), "has_prior": caps.has_prior},
        "model": model.config.to_dict(),
        "data": loaded.data.to_dict() if loaded.data else None,
        "train": loaded.train.to_dict() if loaded.train else None,
        "class_names": list(loaded.class_names),
        "progress": loaded.progress,
        "versions": loaded.meta.get("versions", {}),
        # Latent diffusion: the autoencoder and the UNet, and the scale between them.
        **({"stages": model.stages()} if hasattr(model, "stages") else {}),
    }, indent=2))
    return 0


def cmd_eval(args: argparse.Namespace) -> int:
    """Print evaluation metrics of a checkpoint as JSON."""
    from models.evaluation import evaluate_checkpoint
    from models.toy.run import is_toy_checkpoint

    if is_toy_checkpoint(args.checkpoint):
        from app.cli.toy import cmd_toy_eval

        return cmd_toy_eval(args)

    result = evaluate_checkpoint(args.checkpoint, device=args.device, n_samples=args.n)
    print(json.dumps(result, indent=2))
    return 0
