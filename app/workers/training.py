"""Copying a checkpoint folder (until models/ has its own copy)."""

from __future__ import annotations

from pathlib import Path


def _copy_folder(src: Path, dest: Path) -> None:
    """Copy checkpoint folder `src` to `dest` via a temporary sibling (no half copies)."""
    import shutil

    if not (src / "config.json").is_file():
        raise FileNotFoundError(f"{src} is not a checkpoint folder")
    tmp = dest.with_name(dest.name + ".tmp-copy")
    if tmp.exists():
        shutil.rmtree(tmp)
    shutil.copytree(src, tmp)
    if dest.exists():
        shutil.rmtree(dest)
    tmp.replace(dest)
