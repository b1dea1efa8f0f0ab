"""The layers a StyleGAN's styles act on, as the Style dock offers them (any thread)."""

from __future__ import annotations

from dataclasses import dataclass

from PySide6.QtWidgets import QComboBox


@dataclass(frozen=True)
class Layers:
    """The model's style layers: one name per entry of ws, the named ranges (coarse,
    middle, fine → indices) and the names of the layers with a noise input."""

    names: tuple[str, ...]
    ranges: dict[str, tuple[int, ...]]
    noise_names: tuple[str, ...]

    def span(self, indices: tuple[int, ...]) -> str:
        """Return "4×4 – 8×8"-style text for the layers `indices` cover."""
        first, last = self.names[indices[0]], self.names[indices[-1]]
        return first if first == last else f"{first} – {last}"

    def choices(self) -> list[tuple[str, tuple[int, ...]]]:
        """Return (label, indices): the named ranges, every layer, then each layer alone."""
        out = [(f"{name} ({self.span(idx)})", idx) for name, idx in self.ranges.items()]
        out.append((f"all ({self.span(tuple(range(len(self.names))))})",
                    tuple(range(len(self.names)))))
        out += [(f"layer {i}: {n}", (i,)) for i, n in enumerate(self.names)]
        return out


def fill_layer_combo(combo: QComboBox, layers: Layers | None) -> None:
    """Offer `layers`' choices in `combo` (GUI thread), keeping the choice made if offered
    again (else the first: coarse); None empties it."""
    current = combo.currentText()
    combo.blockSignals(True)
    combo.clear()
    for label, idx in layers.choices() if layers is not None else ():
        combo.addItem(label, idx)
    combo.setCurrentIndex(max(combo.findText(current), 0))
    combo.blockSignals(False)


def describe(model: object) -> Layers:
    """Return the Layers of a StyleGAN module (the lane's copy)."""
    from models.stylegan import wspace

    return Layers(tuple(wspace.layer_names(model)),
                  {k: tuple(v) for k, v in wspace.layer_ranges(model).items()},
                  tuple(wspace.noise_layer_names(model)))
