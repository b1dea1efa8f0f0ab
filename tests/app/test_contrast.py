"""Text contrast, computed from the palettes: WCAG 2 contrast ratios in every theme.

The rule: text ≥ 4.5:1 against the background it is drawn on (WCAG AA, normal text) —
window, base, button, tooltip and highlight text, secondary (muted, placeholder) and error
text, plot axes and titles. Disabled text ≥ 3:1: WCAG exempts inactive controls, but a
greyed-out control must still be readable. Marks that explain a plot (the style legend's
grey) ≥ 3:1 (WCAG 1.4.11, graphical objects).
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import pytest

from app.theme import THEMES, Theme

APP = Path(__file__).resolve().parents[2] / "app"
TEXT, GRAPHIC, DISABLED = 4.5, 3.0, 3.0

# Hard-coded text colours in files where the window's palette is not the background (the
# message bar paints its own pale red or green behind dark text), with that background.
OWN_BACKGROUND = {"#58151c": "#f8d7da", "#0a3622": "#d1e7dd"}


def luminance(colour: str) -> float:
    """Return the WCAG relative luminance of a #rgb or #rrggbb colour."""
    h = colour.lstrip("#")
    if len(h) == 3:
        h = "".join(c * 2 for c in h)
    channels = [int(h[i:i + 2], 16) / 255 for i in (0, 2, 4)]
    lin = [c / 12.92 if c <= 0.04045 else ((c + 0.055) / 1.055) ** 2.4 for c in channels]
    return 0.2126 * lin[0] + 0.7152 * lin[1] + 0.0722 * lin[2]


def contrast(a: str, b: str) -> float:
    """Return the WCAG contrast ratio of two colours (1 … 21)."""
    hi, lo = sorted((luminance(a), luminance(b)), reverse=True)
    return (hi + 0.05) / (lo + 0.05)


def test_contrast_ratio_matches_wcag_examples() -> None:
    assert contrast("#000000", "#ffffff") == pytest.approx(21.0)
    assert contrast("#777777", "#ffffff") == pytest.approx(4.48, abs=0.01)
    assert contrast("#767676", "#ffffff") == pytest.approx(4.54, abs=0.01)


def _pairs(theme: Theme, qapp: Any) -> list[tuple[str, str, str, float]]:
    """Return (what, foreground, background, minimum ratio) for every text of `theme`."""
    from PySide6.QtGui import QPalette

    from app.theme import build_palette

    pal, r = build_palette(theme), QPalette.ColorRole
    active, disabled = QPalette.ColorGroup.Active, QPalette.ColorGroup.Disabled

    def c(role: QPalette.ColorRole, group: QPalette.ColorGroup = active) -> str:
        return pal.color(group, role).name()

    pairs = [(f"{fg.name} on {bg.name}", c(fg), c(bg), TEXT) for fg, bg in (
        (r.WindowText, r.Window), (r.Text, r.Base), (r.Text, r.AlternateBase),
        (r.ButtonText, r.Button), (r.ToolTipText, r.ToolTipBase),
        (r.HighlightedText, r.Highlight), (r.PlaceholderText, r.Base),
        (r.PlaceholderText, r.Window), (r.PlaceholderText, r.Button))]
    pairs += [(f"disabled {fg.name} on {bg.name}", c(fg, disabled), c(bg), DISABLED)
              for fg, bg in ((r.WindowText, r.Window), (r.Text, r.Base),
                             (r.ButtonText, r.Button))]
    pairs += [("plot text", theme.plot_foreground, theme.plot_background, TEXT),
              ("muted plot text", theme.muted, theme.plot_background, TEXT),
              ("error on window", theme.error, theme.window, TEXT),
              ("error on base", theme.error, theme.base, TEXT)]
    from app.panels.training.style import LEGEND_PEN

    pairs.append(("style legend marks", LEGEND_PEN, theme.plot_background, GRAPHIC))
    return pairs


@pytest.mark.parametrize("name", list(THEMES))
def test_every_text_of_every_theme_has_enough_contrast(name: str, qapp: Any) -> None:
    theme = THEMES[name]
    low = [f"{what}: {fg} on {bg} = {contrast(fg, bg):.2f} < {need}"
           for what, fg, bg, need in _pairs(theme, qapp) if contrast(fg, bg) < need]
    assert not low, f"{name}: " + "; ".join(low)


def test_pyqtgraph_starts_with_readable_axes(qapp: Any) -> None:
    import pyqtgraph as pg

    from app.main import configure_pyqtgraph

    configure_pyqtgraph()
    fg, bg = pg.mkColor(pg.getConfigOption("foreground")), pg.mkColor(
        pg.getConfigOption("background"))
    assert contrast(fg.name(), bg.name()) >= TEXT


TEXT_COLOUR = re.compile(r"""color\s*[:=]\s*["']?(#[0-9a-fA-F]{6}|#[0-9a-fA-F]{3})\b""")


def test_no_hard_coded_text_colour_is_unreadable_in_either_theme() -> None:
    """Every literal text colour in app/ (style sheets, rich text, pyqtgraph labels) reads
    at 4.5:1 on the light and the dark window, or on its own background."""
    backgrounds = [THEMES[n].window for n in ("light", "dark")] + \
        [THEMES[n].plot_background for n in ("light", "dark")]
    low = []
    for path in sorted(APP.rglob("*.py")):
        rel = path.relative_to(APP).as_posix()
        for m in TEXT_COLOUR.finditer(path.read_text(encoding="utf-8")):
            colour = m.group(1).lower()
            for bg in [OWN_BACKGROUND[colour]] if colour in OWN_BACKGROUND else backgrounds:
                if contrast(colour, bg) < TEXT:
                    low.append(f"{rel}: {colour} on {bg} = {contrast(colour, bg):.2f}")
    assert not low, "\n".join(low)


def test_muted_and_error_text_follow_the_theme(qtbot: Any) -> None:
    from PySide6.QtWidgets import QLabel, QWidget

    from app.theme import apply_theme, style_text

    root = QWidget()
    qtbot.addWidget(root)
    note, error = QLabel("a note", root), QLabel("an error", root)
    style_text(note, "muted")
    style_text(error, "error")
    try:
        apply_theme("dark", root)
        assert THEMES["dark"].muted in note.styleSheet()
        assert THEMES["dark"].error in error.styleSheet()
    finally:
        apply_theme("light", root)
    assert THEMES["light"].muted in note.styleSheet()
