"""Copying a checkpoint folder over another without a moment where neither is loadable."""

from __future__ import annotations

import shutil
from pathlib import Path

from models.checkpoint.atomic import stage_folder
from models.checkpoint.errors import CheckpointError


def copy_checkpoint(src: Path | str, dest: Path | str) -> Path:
    """Copy checkpoint folder `src` to `dest` (replacing one there); return `dest`.

    The copy is staged in a sibling temp folder, flushed, then swapped in as a checkpoint
    save is: dest → dest.old, staged → dest, dest.old removed; a crash between the renames
    leaves dest.old, which `resolve_checkpoint` / `load_checkpoint(dest)` fall back to.
    Raises CheckpointError when `src` holds no config.json or `dest` lies inside `src`.
    """
    src, dest = Path(src).expanduser(), Path(dest).expanduser()
    if not (src / "config.json").is_file():
        raise CheckpointError(src, "not a checkpoint folder (no config.json), nothing copied")
    inside = dest.resolve()
    if inside == src.resolve() or src.resolve() in inside.parents:
        raise CheckpointError(dest, f"cannot copy checkpoint {src} into itself")
    staged = stage_folder(dest)
    try:
        shutil.copytree(src, staged.tmp, dirs_exist_ok=True)
    except BaseException:
        staged.discard()
        raise
    return staged.commit()
