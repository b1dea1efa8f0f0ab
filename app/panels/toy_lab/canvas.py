"""The Toy lab's plot: heatmap, real points, samples, marked points, arrows, line pieces,
ellipses and particles with trails, drawn from a Plane; in drawing mode, a drag paints
points (GUI thread)."""

from __future__ import annotations

import time

import numpy as np
import pyqtgraph as pg
from PySide6.QtCore import QRectF, Qt, Signal
from PySide6.QtGui import QBrush, QPolygonF

from app.panels.toy_lab.plane import Plane

# GAN Lab's colours: purple for fake, green for real; the D surface between them
DIVERGING = pg.ColorMap([0.0, 0.5, 1.0], [(196, 170, 214), (250, 250, 250), (170, 214, 166)])
SEQUENTIAL = pg.ColorMap([0.0, 1.0], [(252, 252, 252), (120, 160, 220)])
REAL = (40, 140, 60)
FAKE = (120, 60, 170)
MARK = (230, 120, 20)
TRAIL_FRAMES = 6
ELLIPSE_SIDES = 24
MAX_BRUSHES = 1024  # mark colours kept
PARTICLE_FRAME_S = 1 / 30  # particles move at least this often (≥ 30 frames a second)


# the colour maps' 256 entries as RGBA, made once (pyqtgraph builds them on every call)
DIVERGING_LUT = np.concatenate([DIVERGING.getLookupTable(nPts=256, alpha=False),
                                np.full((256, 1), 255, np.uint8)], 1)
SEQUENTIAL_LUT = np.concatenate([SEQUENTIAL.getLookupTable(nPts=256, alpha=False),
                                 np.full((256, 1), 255, np.uint8)], 1)


def heat_rgba(heat: np.ndarray, lo: float, hi: float, lut: np.ndarray) -> np.ndarray:
    """Return the heat (h, w) coloured by `lut` (256, 4) between lo and hi as RGBA (h, w,
    4) uint8, cells that are not finite transparent. Why not the ImageItem's own lookup
    table: that makes an indexed image, which Qt converted at every paint (2.2 ms a heat
    at 500 px, under 0.15 ms in RGBA)."""
    finite = np.isfinite(heat)
    scale = 255.0 / (hi - lo) if hi > lo else 0.0
    index = np.clip((np.where(finite, heat, lo) - lo) * scale, 0, 255).astype(np.uint8)
    rgba = lut[index]
    rgba[..., 3] = np.where(finite, 255, 0)
    return rgba


def pairs(segments: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Return x and y arrays of line pieces (k, 4) for a curve drawn with connect='pairs'."""
    s = np.asarray(segments, dtype=np.float32).reshape(-1, 4)
    return s[:, [0, 2]].ravel(), s[:, [1, 3]].ravel()


def ellipse_segments(ellipses: np.ndarray, sides: int = ELLIPSE_SIDES) -> np.ndarray:
    """Return line pieces (e*sides, 4) outlining axis-aligned ellipses (e, 4: cx, cy, rx,
    ry) as polygons of `sides` sides."""
    e = np.asarray(ellipses, dtype=np.float32).reshape(-1, 4)
    a = np.linspace(0, 2 * np.pi, sides + 1, dtype=np.float32)
    x = e[:, :1] + e[:, 2:3] * np.cos(a)  # (e, sides + 1)
    y = e[:, 1:2] + e[:, 3:4] * np.sin(a)
    pts = np.stack([x, y], 2)
    return np.concatenate([pts[:, :-1], pts[:, 1:]], 2).reshape(-1, 4)


def arrow_segments(arrows: np.ndarray, head: float = 0.3) -> np.ndarray:
    """Return line pieces (3m, 4) drawing arrows (m, 4: x, y, dx, dy): each shaft and the
    two strokes of its head, `head` times the shaft long, at ±25° from it."""
    a = np.asarray(arrows, dtype=np.float32).reshape(-1, 4)
    tip = a[:, :2] + a[:, 2:]
    back = -a[:, 2:] * head
    pieces = [np.concatenate([a[:, :2], tip], 1)]
    for angle in (0.44, -0.44):
        c, s = np.cos(angle), np.sin(angle)
        turned = np.stack([c * back[:, 0] - s * back[:, 1], s * back[:, 0] + c * back[:, 1]], 1)
        pieces.append(np.concatenate([tip, tip + turned], 1))
    return np.concatenate(pieces).astype(np.float32)


class Dots(pg.GraphicsObject):
    """Points of one colour and size, drawn with one QPainter call (GUI thread).

    pyqtgraph's ScatterPlotItem keeps a record per point and paints symbols from an
    atlas: setting 300 particles cost ~1 ms of Python at each animation frame and its
    paint as much again, GIL held, while the toy lane trains beside it; here a frame is
    a copy into a QPolygonF and a paint of its points with a wide pen."""

    def __init__(self, size: float, color: tuple[int, ...]) -> None:
        super().__init__()
        self.pen = pg.mkPen(*color)
        self.pen.setWidthF(size)
        self.pen.setCosmetic(True)  # size in pixels, however the plot is zoomed
        self.pen.setCapStyle(Qt.PenCapStyle.RoundCap)
        self._pos = np.zeros((0, 2), np.float64)
        self._polygon = QPolygonF()
        self._rect = QRectF()
        self._pad = 0.0

    def setData(self, pos: np.ndarray) -> None:
        """Show these points (n, 2)."""
        p = np.asarray(pos, dtype=np.float64).reshape(-1, 2)
        self.prepareGeometryChange()
        self._pos = p
        pixel = self.pixelLength(pg.Point(1, 0))  # None until the item is in a view
        self._pad = (pixel if pixel else 0.05) * (self.pen.widthF() + 2)
        self._polygon = pg.functions.create_qpolygonf(len(p))
        if len(p):
            pg.functions.ndarray_from_qpolygonf(self._polygon)[:] = p
            lo, hi = np.nanmin(p, 0), np.nanmax(p, 0)
            self._rect = QRectF(float(lo[0]), float(lo[1]), float(hi[0] - lo[0]),
                                float(hi[1] - lo[1]))
        else:
            self._rect = QRectF()
        self.update()

    def clear(self) -> None:
        """Show no points."""
        self.setData(np.zeros((0, 2)))

    def getData(self) -> tuple[np.ndarray, np.ndarray]:
        """Return the points' x and y."""
        return self._pos[:, 0].copy(), self._pos[:, 1].copy()

    def boundingRect(self) -> QRectF:  # Qt override
        """Return the points' extent, padded by the pen's width (at the scale of the
        last setData), so moving points leave nothing behind."""
        if not len(self._pos):
            return QRectF()
        return self._rect.adjusted(-self._pad, -self._pad, self._pad, self._pad)

    def paint(self, painter, *_args) -> None:  # Qt override
        """Draw every point with the pen."""
        painter.setPen(self.pen)
        painter.drawPoints(self._polygon)


class DrawBox(pg.ViewBox):
    """A view box that, while `drawing`, turns clicks and drags into painted(x, y) in data
    coordinates instead of panning."""

    painted = Signal(float, float)

    def __init__(self) -> None:
        super().__init__()
        self.drawing = False

    def mouseDragEvent(self, ev, axis=None) -> None:  # pyqtgraph override
        """Paint along a left-button drag in drawing mode; otherwise pan as usual."""
        if self.drawing and ev.button() == Qt.MouseButton.LeftButton:
            ev.accept()
            p = self.mapSceneToView(ev.scenePos())
            self.painted.emit(p.x(), p.y())
            return
        super().mouseDragEvent(ev, axis)

    def mouseClickEvent(self, ev) -> None:  # pyqtgraph override
        """Paint at a left click in drawing mode."""
        if self.drawing and ev.button() == Qt.MouseButton.LeftButton:
            ev.accept()
            p = self.mapSceneToView(ev.scenePos())
            self.painted.emit(p.x(), p.y())
            return
        super().mouseClickEvent(ev)


class ToyCanvas(pg.PlotWidget):
    """The plane [-extent, extent]² and everything drawn on it (GUI thread)."""

    def __init__(self) -> None:
        self.box = DrawBox()
        super().__init__(viewBox=self.box)
        self.setMenuEnabled(False)
        self.box.setAspectLocked(True)
        self.heat = pg.ImageItem()
        self.heat.setZValue(-10)
        self.segments = pg.PlotCurveItem(connect="pairs", pen=pg.mkPen(120, 120, 120, 60))
        self.real = Dots(3, (*REAL, 120))
        self.trails = pg.PlotCurveItem(connect="pairs", pen=pg.mkPen(*FAKE, 70))
        self.samples = Dots(4, (*FAKE, 200))
        self.arrows = pg.PlotCurveItem(connect="pairs", pen=pg.mkPen(200, 80, 40, 200))
        self.ellipses = pg.PlotCurveItem(connect="pairs", pen=pg.mkPen(*FAKE, 110))
        self._brushes: dict[tuple[int, int, int], QBrush] = {}  # per-point mark colours
        self._particles: tuple[np.ndarray | None, int] = (None, 0)  # the frame drawn
        self._particles_at = 0.0  # when it was drawn
        self._tick_at = 0.0  # when the last frame was asked for
        self.marks = pg.ScatterPlotItem(size=7, pen=pg.mkPen(255, 255, 255, 200),
                                        brush=pg.mkBrush(*MARK, 230))
        for item in (self.heat, self.segments, self.real, self.ellipses, self.trails,
                     self.samples, self.arrows, self.marks):
            self.addItem(item)
        self.set_extent(3.0)

    def set_extent(self, extent: float) -> None:
        """Show the square [-extent, extent]²."""
        self.extent = extent
        self.box.setRange(xRange=(-extent, extent), yRange=(-extent, extent), padding=0.02)

    def show_plane(self, plane: Plane) -> None:
        """Draw everything of a plane but its particles' motion (`show_particles` animates
        `plane.frames`); its green points only when it has its own (`plane.real`)."""
        if plane.extent != self.extent:
            self.set_extent(plane.extent)
        self.show_heat(plane.heat, plane.diverging, plane.heat_levels)
        self.show_arrows(plane.arrows)
        self.show_segments(plane.segments)
        self.show_ellipses(plane.ellipses)
        self.show_marks(plane.marks, plane.mark_colors)
        if plane.real is not None:
            self.show_real(plane.real)
        if plane.frames is None:
            self.show_particles(None, 0)
            self.show_samples(plane.samples)
        else:
            self._particles = (None, 0)  # a new plane's particles are drawn afresh

    def show_ellipses(self, ellipses: np.ndarray | None) -> None:
        """Draw axis-aligned ellipses (e, 4: cx, cy, rx, ry), or none."""
        if ellipses is None or len(ellipses) == 0:
            self.ellipses.setData([], [])
        else:
            self.ellipses.setData(*pairs(ellipse_segments(ellipses)))

    def show_marks(self, marks: np.ndarray | None, colors: np.ndarray | None = None) -> None:
        """Draw the marked points, orange or each in its colour (m, 3 RGB), or none."""
        if marks is None:
            self.marks.clear()
        elif colors is None:
            self.marks.setData(pos=np.asarray(marks, dtype=np.float32),
                               brush=pg.mkBrush(*MARK, 230))
        else:
            brushes = [self._brush(int(r), int(g), int(b)) for r, g, b in colors]
            self.marks.setData(pos=np.asarray(marks, dtype=np.float32), brush=brushes)

    def _brush(self, r: int, g: int, b: int) -> QBrush:
        """Return the mark brush of a colour, made once: pyqtgraph renders a symbol per
        brush object, so new brushes each frame cost ~3 ms for 50 marks, reused 0.1."""
        if len(self._brushes) > MAX_BRUSHES:
            self._brushes.clear()
        return self._brushes.setdefault((r, g, b), pg.mkBrush(r, g, b, 230))

    def show_real(self, points: np.ndarray) -> None:
        """Draw the data points."""
        self.real.setData(pos=np.asarray(points, dtype=np.float32))

    def show_heat(self, heat: np.ndarray | None, diverging: bool,
                  levels: tuple[float, float] | None = None) -> None:
        """Draw a heatmap (bins, bins) over the extent, or none; coloured over `levels`
        when given, else over its own range."""
        if heat is None:
            self.heat.hide()
            return
        h = np.asarray(heat, dtype=np.float32)
        lo, hi = float(np.nanmin(h)), float(np.nanmax(h))
        if levels is not None:
            lo, hi = levels
        elif diverging:  # centred on the boundary: 0.5 for a probability, 0 for a critic
            mid = 0.5 if 0.0 <= lo and hi <= 1.0 else 0.0
            half = max(abs(hi - mid), abs(mid - lo), 1e-6)
            lo, hi = mid - half, mid + half
        rgba = heat_rgba(h, lo, hi, DIVERGING_LUT if diverging else SEQUENTIAL_LUT)
        self.heat.setImage(rgba, autoLevels=False, levels=None)
        e = self.extent
        self.heat.setRect(-e, -e, 2 * e, 2 * e)
        self.heat.show()

    def show_samples(self, samples: np.ndarray | None) -> None:
        """Draw model samples (or particles' current positions)."""
        self._particles = (None, 0)  # the particles' item now shows these
        if samples is None:
            self.samples.clear()
        else:
            self.samples.setData(pos=np.asarray(samples, dtype=np.float32))

    def show_arrows(self, arrows: np.ndarray | None) -> None:
        """Draw arrows (m, 4: x, y, dx, dy) as line pieces from each point."""
        if arrows is None or len(arrows) == 0:
            self.arrows.setData([], [])
            return
        self.arrows.setData(*pairs(arrow_segments(arrows)))

    def show_segments(self, segments: np.ndarray | None) -> None:
        """Draw line pieces (k, 4), or none."""
        if segments is None or len(segments) == 0:
            self.segments.setData([], [])
        else:
            self.segments.setData(*pairs(segments))

    def show_particles(self, frames: np.ndarray | None, index: int) -> None:
        """Draw frame `index` of a reverse process with trails of the frames before it;
        a frame asked for sooner than the frame rate needs is skipped (`_skip`)."""
        if frames is not None and frames is self._particles[0]:
            if index == self._particles[1]:
                return  # the animation rests on its last frame: nothing to set nor repaint
            if index != len(frames) - 1 and self._skip():
                return
        self._particles = (frames, index)
        self._particles_at = time.perf_counter()
        if frames is None:
            self.trails.setData([], [])
            return
        now = frames[index]
        first = max(0, index - TRAIL_FRAMES)
        if index > first:
            path = frames[first:index + 1]  # (k, n, 2)
            seg = np.concatenate([path[:-1], path[1:]], 2).reshape(-1, 4)
            self.trails.setData(*pairs(seg))
        else:
            self.trails.setData([], [])
        self.samples.setData(pos=now)

    def _skip(self) -> bool:
        """Return True when a particle frame may be skipped: the next tick will still come
        within PARTICLE_FRAME_S of the last frame drawn. Each frame repaints the whole
        plot (~3 ms a plot on a loaded machine); at the panel's ~60 ticks a second the
        animation took 40 % of a core from training on 2 cores, at ~30 a second it looks
        the same."""
        now = time.perf_counter()
        tick = now - self._tick_at if self._tick_at else 0.0
        self._tick_at = now
        return 0.0 < tick and now - self._particles_at + tick < PARTICLE_FRAME_S

    def clear_model(self) -> None:
        """Remove everything drawn from a model (the data stay)."""
        self.show_heat(None, False)
        self.show_samples(None)
        self.show_arrows(None)
        self.show_segments(None)
        self.show_ellipses(None)
        self.show_marks(None)
        self.show_particles(None, 0)
