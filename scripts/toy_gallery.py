"""Contact sheets of the Toy lab: every family trained on every toy set for a few seconds,
each drawn and laid out as the panel draws it (main plot, and its second plot when it has
one, squares under wrapped captions), one PNG per family; the line above each says the
steps done and their rate. For looking at the views, not a test.

    python scripts/toy_gallery.py [--families gan vae ...] [--sets 8gaussians moons ...]
                                  [--seconds 4] [--out /tmp/toy_gallery]
"""

from __future__ import annotations

import argparse
import os
import time
from pathlib import Path

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

CELL = (360, 390)  # one plot's room in pixels, its caption included


def render(view, extent: float, real):
    """Return a QImage of the view's plots laid out as the panel lays them out (squares
    side by side, captions wrapped above) (GUI thread)."""
    from app.panels.toy_lab.canvas import ToyCanvas
    from app.panels.toy_lab.plot_pair import PlotCaption, PlotPair

    pair = PlotPair((PlotCaption(), ToyCanvas()), (PlotCaption(), ToyCanvas()))
    for (caption, canvas), plane in ((pair.main, view.main), (pair.side, view.side)):
        if plane is None:
            continue
        canvas.set_extent(extent)
        if plane is view.main:
            canvas.show_real(real)
        canvas.show_plane(plane)
        if plane.frames is not None:
            canvas.show_particles(plane.frames, len(plane.frames) - 1)
        caption.set_full_text(plane.title)
    pair.set_side_visible(view.side is not None)
    pair.resize(CELL[0] * (2 if view.side is not None else 1), CELL[1])
    pair.show()
    pair.relayout()
    image = pair.grab().toImage()
    pair.close()
    return image


def main() -> None:
    from models.toy.data import TOY_SETS
    from models.toy.families import TOY_FAMILIES

    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--families", nargs="+", default=list(TOY_FAMILIES))
    p.add_argument("--sets", nargs="+", default=list(TOY_SETS))
    p.add_argument("--seconds", type=float, default=4.0)
    p.add_argument("--out", type=Path, default=Path("/tmp/toy_gallery"))
    args = p.parse_args()

    import torch
    from PySide6.QtCore import QRect, Qt
    from PySide6.QtGui import QColor, QImage, QPainter
    from PySide6.QtWidgets import QApplication

    from app.main import configure_pyqtgraph
    from app.panels.toy_lab.control import ToyControl
    from app.panels.toy_lab.options import defaults
    from app.panels.toy_lab.panel import SHOWN_REAL, metrics_text
    from app.panels.toy_lab.snapshot import ViewBuilder
    from app.panels.toy_lab.views import family_options
    from models.toy.data import toy_dataset
    from models.toy.families import build_toy

    app = QApplication.instance() or QApplication([])
    configure_pyqtgraph()
    torch.set_num_threads(1)
    args.out.mkdir(parents=True, exist_ok=True)
    for family in args.families:
        rows = []
        for name in args.sets:
            data = toy_dataset(name, 4000, seed=0)
            model = build_toy(family, data, seed=0)
            t0 = time.perf_counter()
            for _ in model.run():
                if time.perf_counter() - t0 >= args.seconds:
                    break
            rate = model.steps / max(time.perf_counter() - t0, 1e-9)
            control = ToyControl()
            control.options = defaults(family_options(family))
            view = ViewBuilder(model, control).build(rate, {}, force_metrics=True)
            real = data.points[:: max(1, len(data.points) // SHOWN_REAL)]
            rows.append((name, render(view, data.extent, real), metrics_text(view)))
            print(family, name, metrics_text(view), flush=True)
        width = max(image.width() for _n, image, _m in rows)
        sheet = QImage(width * 3, (CELL[1] + 24) * ((len(rows) + 2) // 3),
                       QImage.Format.Format_RGB32)
        sheet.fill(QColor("white"))
        painter = QPainter(sheet)
        font = painter.font()
        font.setPointSizeF(7.5)
        painter.setFont(font)
        for i, (name, image, line) in enumerate(rows):
            x0, y0 = (i % 3) * width, (i // 3) * (CELL[1] + 24)
            painter.drawText(QRect(x0 + 6, y0, width - 12, 24),
                             Qt.TextFlag.TextWordWrap, f"{name}: {line}")
            painter.drawImage(x0, y0 + 24, image)
        painter.end()
        path = args.out / f"{family}.png"
        sheet.save(str(path))
        print(path, flush=True)
    del app


if __name__ == "__main__":
    main()
