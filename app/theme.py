"""Light, dark and presentation (high-contrast, large) themes, applied to a live window.

GUI thread only. A theme sets the Qt palette and font size, pyqtgraph's background and
foreground for plots made later, and restyles the plots already on screen: backgrounds,
axes, titles and line widths. Pens made later read `line_scale()` (see training/style.py).
"""

from __future__ import annotations

from dataclasses import dataclass

from PySide6.QtGui import QColor, QFont, QPalette
from PySide6.QtWidgets import QApplication, QDockWidget, QWidget


@dataclass(frozen=True)
class Theme:
    """Colours and sizes of one look."""

    name: str
    title: str
    window: str
    base: str
    text: str
    button: str
    highlight: str
    plot_background: str
    plot_foreground: str
    font_scale: float
    line_scale: float
    muted: str  # secondary text (notes, placeholders): ≥ 4.5:1 on window, base and plots
    error: str  # error text, ≥ 4.5:1 on the window
    disabled: str  # disabled text: ≥ 3:1 (WCAG exempts it; it must still be legible)


THEMES: dict[str, Theme] = {t.name: t for t in (
    Theme("light", "Light", "#efefef", "#ffffff", "#1a1a1a", "#e4e4e4", "#2a6fdb",
          "#ffffff", "#222222", 1.0, 1.0, "#5c5c5c", "#b00000", "#767676"),
    # The highlight is dark enough for white text on it (4.5:1; #4a8fe7 gave 3.3:1).
    Theme("dark", "Dark", "#2b2b2b", "#1f1f1f", "#e8e8e8", "#3a3a3a", "#2f6bd0",
          "#161616", "#dddddd", 1.0, 1.0, "#b4b4b4", "#ff8a80", "#8c8c8c"),
    # For a projector: pure black on white, everything half as large again, thick lines.
    Theme("presentation", "Presentation (high contrast)", "#ffffff", "#ffffff", "#000000",
          "#f0f0f0", "#0044cc", "#ffffff", "#000000", 1.5, 2.5, "#404040", "#a00000",
          "#6e6e6e"),
)}
USER_THEMES = ("light", "dark")
TEXT_ROLE = "themeTextRole"  # the widget property style_text sets

_current: Theme = THEMES["light"]
_base_font: QFont | None = None


def current() -> Theme:
    """Return the theme in force."""
    return _current


def line_scale() -> float:
    """Return the factor plot line widths are multiplied by in the current theme."""
    return _current.line_scale


def plot_text_size() -> str:
    """Return the size of the text in plots (titles, legends, captions) in the current
    theme's font, as pyqtgraph takes it ("13pt"): plots built while presenting are large."""
    return f"{QApplication.font().pointSizeF() * 1.2:.0f}pt"


def text_colour(role: str) -> str:
    """Return the current theme's colour of secondary text: role "muted" or "error"."""
    return {"muted": _current.muted, "error": _current.error}[role]


def coloured(html_text: str, role: str) -> str:
    """Return rich text showing `html_text` in the current theme's `role` colour."""
    return f"<span style='color:{text_colour(role)}'>{html_text}</span>"


def style_text(widget: QWidget, role: str) -> None:
    """Colour `widget`'s text as `role` ("muted" or "error") now and after theme changes."""
    widget.setProperty(TEXT_ROLE, role)
    widget.setStyleSheet(f"color: {text_colour(role)}")


def build_palette(theme: Theme) -> QPalette:
    """Return the Qt palette of `theme`."""
    pal = QPalette()
    roles = QPalette.ColorRole
    text, window = QColor(theme.text), QColor(theme.window)
    pal.setColor(roles.Window, window)
    pal.setColor(roles.WindowText, text)
    pal.setColor(roles.Base, QColor(theme.base))
    pal.setColor(roles.AlternateBase, window)
    pal.setColor(roles.Text, text)
    pal.setColor(roles.Button, QColor(theme.button))
    pal.setColor(roles.ButtonText, text)
    pal.setColor(roles.ToolTipBase, QColor(theme.base))
    pal.setColor(roles.ToolTipText, text)
    pal.setColor(roles.Highlight, QColor(theme.highlight))
    pal.setColor(roles.HighlightedText, QColor("#ffffff"))
    pal.setColor(roles.PlaceholderText, QColor(theme.muted))
    disabled = QColor(theme.disabled)
    for role in (roles.WindowText, roles.Text, roles.ButtonText):
        pal.setColor(QPalette.ColorGroup.Disabled, role, disabled)
    return pal


def apply_theme(name: str, root: QWidget | None = None) -> Theme:
    """Apply theme `name` to the application and restyle the plots under `root`.

    Returns the theme; an unknown name is a ValueError listing the known ones.
    """
    global _current, _base_font
    if name not in THEMES:
        raise ValueError(f"unknown theme {name!r}; choose one of {', '.join(THEMES)}")
    theme, previous = THEMES[name], _current
    app = QApplication.instance()
    if _base_font is None:
        _base_font = QFont(app.font())
        app.setStyle("Fusion")  # the one style that honours a custom palette everywhere
    _current = theme
    app.setPalette(build_palette(theme))
    font = QFont(_base_font)
    font.setPointSizeF(_base_font.pointSizeF() * theme.font_scale)
    app.setFont(font)
    if root is not None:
        # Qt draws a dock's title in the font the application had when the dock was made,
        # unless the dock's own font differs from its class's: give docks the theme's font,
        # different only in a drawing hint, so their titles grow with the rest.
        title_font = QFont(font)
        title_font.setStyleStrategy(QFont.StyleStrategy.PreferAntialias)
        for dock in root.findChildren(QDockWidget):
            dock.setFont(title_font)
        # Widgets with a style sheet resolved their font when first polished and ignore
        # the application font from then on; setting the sheet again re-resolves it.
        for widget in [root, *root.findChildren(QWidget)]:
            role = widget.property(TEXT_ROLE)
            if role in ("muted", "error"):
                widget.setStyleSheet(f"color: {text_colour(role)}")
            elif widget.styleSheet():
                widget.setStyleSheet(widget.styleSheet())
    _restyle_plots(theme, previous.line_scale, root, font)
    return theme


def _restyle_plots(theme: Theme, previous_scale: float, root: QWidget | None,
                   font: QFont) -> None:
    import pyqtgraph as pg

    pg.setConfigOptions(background=theme.plot_background, foreground=theme.plot_foreground)
    if root is None:
        return
    fg = pg.mkColor(theme.plot_foreground)
    for view in root.findChildren(pg.GraphicsView):
        view.setBackground(theme.plot_background)
        for item in view.scene().items():
            if isinstance(item, pg.AxisItem):
                item.setPen(fg)
                item.setTextPen(fg)
                item.setStyle(tickFont=font)
                item.label.setFont(font)
            elif isinstance(item, pg.TextItem):
                item.setFont(font)
                if hasattr(item, "theme_role"):
                    item.setColor(theme.muted if item.theme_role == "muted"
                                  else theme.plot_foreground)
            elif isinstance(item, pg.LabelItem):
                item.setText(item.text, color=theme.plot_foreground, size=plot_text_size())
            elif isinstance(item, (pg.PlotDataItem, pg.PlotCurveItem)):
                _scale_pen(item, theme.line_scale, previous_scale)


def _scale_pen(item: object, scale: float, previous_scale: float) -> None:
    """Set the item's pen width to its unscaled width × scale.

    The unscaled width is remembered on the item the first time; before that, the pen was
    made under the previous theme, so its width is that theme's scale × the unscaled one.
    """
    import pyqtgraph as pg

    pen = item.opts.get("pen")  # type: ignore[attr-defined]
    if pen is None:
        return
    pen = pg.mkPen(pen)
    if pen.style() == pg.QtCore.Qt.PenStyle.NoPen:
        return
    base = getattr(item, "_theme_base_width", None)
    if base is None:
        base = (pen.widthF() or 1.0) / previous_scale
        item._theme_base_width = base  # type: ignore[attr-defined]
    pen.setWidthF(base * scale)
    item.setPen(pen)  # type: ignore[attr-defined]
