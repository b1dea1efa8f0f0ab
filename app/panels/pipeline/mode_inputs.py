"""The images a mode starts from (img2img's and inpainting's init image, ControlNet's
conditioning image), read and checked here, and where a strength makes a run start
(no Qt)."""

from __future__ import annotations

from pathlib import Path

import numpy as np

from models.data.decode import ImageFileError, read_image

SIDE_MULTIPLE = 8  # the VAE halves an image three times: its sides must divide by 8


def read_input_image(path: Path | str) -> np.ndarray:
    """Return the image file at `path` as uint8 H×W×3; ValueError (one line naming the
    file) for a file that is not an image or sides that are not multiples of 8."""
    path = Path(path)
    try:
        planes = read_image(path, 3)
    except ImageFileError as exc:
        raise ValueError(str(exc).splitlines()[0]) from None
    image = planes[..., :3]
    h, w = image.shape[:2]
    if h % SIDE_MULTIPLE or w % SIDE_MULTIPLE:
        raise ValueError(f"{path.name} is {w}×{h} px: a pipeline takes sides that are "
                         f"multiples of {SIDE_MULTIPLE}")
    return np.ascontiguousarray(image)


def check_size(image: np.ndarray, side: int, what: str) -> str | None:
    """Return one line when `image` is not `side`×`side` px as the pipeline makes images
    (it still runs, slower or blurrier: a warning, not a refusal), else None."""
    h, w = image.shape[:2]
    if (h, w) != (side, side):
        return f"the {what} is {w}×{h} px; this pipeline was trained on {side}×{side}"
    return None


def as_float(image: np.ndarray) -> np.ndarray:
    """Return uint8 H×W×3 as float32 in [0, 1], the arrays TextRequest takes."""
    return np.asarray(image, np.float32) / 255.0


def start_step(steps: int, strength: float) -> int:
    """Return the step a run of `steps` starts from at `strength` (diffusers'
    get_timesteps: the first steps·(1 − strength) are skipped)."""
    keep = min(int(steps * strength), steps)
    return max(steps - keep, 0)
