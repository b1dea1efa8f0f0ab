"""Writing the strip (PNG) and the animation (GIF, or MP4 when ffmpeg is installed)."""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import numpy as np

from models.checkpoint.atomic import atomic_path
from models.images import make_grid, save_gif, save_png


def enlarge(frames: np.ndarray, scale: int) -> np.ndarray:
    """Return uint8 N×H×W×C `frames` enlarged `scale`× by repeating pixels (crisp)."""
    return np.ascontiguousarray(frames.repeat(scale, axis=1).repeat(scale, axis=2))


def write_strip_png(frames: np.ndarray, path: str | Path, scale: int = 4) -> Path:
    """Write the N frames side by side as one PNG; return its path."""
    return save_png(make_grid(enlarge(frames, scale), nrow=len(frames)), path)


def write_gif(frames: np.ndarray, path: str | Path, fps: float, bounce: bool,
              scale: int = 4) -> Path:
    """Write the frames as a looping GIF (`bounce`: forth and back); return its path."""
    return save_gif(enlarge(frames, scale), path, fps=fps, bounce=bounce)


def mp4_encoder() -> str | None:
    """Return the ffmpeg executable, or None when MP4 cannot be written here."""
    return shutil.which("ffmpeg")


def write_mp4(frames: np.ndarray, path: str | Path, fps: float, bounce: bool,
              scale: int = 4) -> Path:
    """Write the frames as an H.264 MP4 through ffmpeg; return its path.

    Raises RuntimeError when ffmpeg is missing or fails.
    """
    ffmpeg = mp4_encoder()
    if ffmpeg is None:
        raise RuntimeError("MP4 needs ffmpeg, which is not installed: export a GIF instead")
    seq = list(enlarge(frames, scale))
    if bounce and len(seq) > 2:
        seq += seq[-2:0:-1]
    h, w, c = seq[0].shape
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    with atomic_path(path) as tmp_path:
        cmd = [ffmpeg, "-y", "-loglevel", "error", "-f", "rawvideo",
               "-pix_fmt", "gray" if c == 1 else "rgb24", "-s", f"{w}x{h}", "-r", str(fps),
               "-i", "-", "-vf", "pad=ceil(iw/2)*2:ceil(ih/2)*2", "-pix_fmt", "yuv420p",
               "-c:v", "libx264", str(tmp_path)]
        done = subprocess.run(cmd, input=b"".join(f.tobytes() for f in seq),
                              capture_output=True, timeout=120, check=False)
        if done.returncode != 0:
            raise RuntimeError(f"ffmpeg failed: {done.stderr.decode(errors='replace')[-300:]}")
    return path
