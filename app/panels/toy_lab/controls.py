"""The Toy lab's controls: data, family and its options, seed, play / pause / one step /
reset, view options (GUI thread). Widgets only: the panel decides what they do."""

from __future__ import annotations

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import (
    QCheckBox,
    QComboBox,
    QDoubleSpinBox,
    QFormLayout,
    QHBoxLayout,
    QPushButton,
    QSpinBox,
    QVBoxLayout,
    QWidget,
)

from app.panels.toy_lab.options import OptionValue, ViewOption
from app.panels.toy_lab.views import FAMILY_VIEWS, family_options
from app.panels.toy_lab.views import flow as flow_view
from app.theme import style_text
from app.widgets.elided_label import ElidedLabel
from app.widgets.labeled_slider import LabeledDoubleSlider
from models.toy.data import TOY_SETS

FAMILIES = ("gan", "vae", "diffusion", "score", "flow", "ebm")
GAN_LOSSES = {"ns": "non-saturating", "lsgan": "least squares", "wgan": "WGAN (clipping)",
              "wgan-gp": "WGAN-GP"}
DRAW = "draw your own"
MAX_LAYERS = 6  # hidden layers of the families' MLPs the Layers control offers


def option_widget(option: ViewOption) -> QWidget:
    """Return the widget of a view option, set to its default."""
    if option.kind == "check":
        box = QCheckBox(option.label)
        box.setChecked(bool(option.default))
        widget: QWidget = box
    elif option.kind == "slider":
        slider = LabeledDoubleSlider(Qt.Orientation.Horizontal)
        slider.setDecimals(option.decimals)
        slider.setRange(option.minimum, option.maximum)
        slider.setSingleStep(option.step)
        slider.setValue(float(option.default))
        widget = slider
    elif option.kind == "choice":
        combo = QComboBox()
        for key, label in option.choices:
            combo.addItem(label, key)
        combo.setCurrentIndex(max(0, combo.findData(option.default)))
        widget = combo
    else:
        raise ValueError(f"unknown option kind {option.kind!r}")
    widget.setToolTip(option.tooltip)
    return widget


def widget_value(option: ViewOption, widget: QWidget) -> OptionValue:
    """Return the value a view option's widget shows."""
    if option.kind == "check":
        return widget.isChecked()
    if option.kind == "slider":
        return float(widget.value())
    return str(widget.currentData())


class ToyControls(QWidget):
    """The form beside the plot. Emits settingsChanged() when the data, the family, an
    option or the seed changes (the run then restarts from the seed), viewChanged() for
    the family's view options (views/*.py OPTIONS: no restart), and the buttons' clicked
    signals are public."""

    settingsChanged = Signal()
    viewChanged = Signal()

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.dataset = QComboBox()
        self.dataset.addItems([*TOY_SETS, DRAW])
        self.brush = QDoubleSpinBox(minimum=0.05, maximum=1.0, singleStep=0.05, value=0.2)
        self.brush.setToolTip("Brush radius of the drawing, in data units")
        self.clear_drawing = QPushButton("Clear")
        self.import_csv = QPushButton("CSV…")
        self.import_csv.setToolTip("Import a two-column CSV file of points")
        self.error = ElidedLabel("")
        style_text(self.error, "error")  # follows the theme (readable when dark)
        self.family = QComboBox()
        self.family.addItems(FAMILIES)
        self.loss = QComboBox()
        for key, label in GAN_LOSSES.items():
            self.loss.addItem(label, key)
        self.lr = QDoubleSpinBox(decimals=4, minimum=0.0, maximum=0.1, singleStep=0.0005)
        self.lr.setSpecialValueText("default")
        self.hidden = QSpinBox(minimum=7, maximum=512, singleStep=8)
        self.hidden.setSpecialValueText("default")  # the minimum, 7, means the default
        self.hidden.setToolTip("Units in each hidden layer of the networks (a new run)")
        self.layers = QSpinBox(minimum=0, maximum=MAX_LAYERS)
        self.layers.setSpecialValueText("default")  # the minimum, 0, means the default
        self.layers.setToolTip(
            "Hidden layers of every network: G and D, the VAE's encoder and decoder, the "
            "denoiser, the score and energy networks, each coupling's network (default "
            "3; 2 in the flow's couplings). A new run")
        self.couplings = QSpinBox(minimum=1, maximum=flow_view.COUPLINGS_MAX,
                                  value=flow_view.DEFAULT_COUPLINGS)
        self.couplings.setToolTip("Coupling layers of the flow (a new run)")
        self.noise_dim = QSpinBox(minimum=1, maximum=16, value=2)
        self.spectral = QCheckBox("Spectral norm on D")
        self.spectral.setToolTip("Normalise each of D's layers by its largest singular "
                                 "value (a new run)")
        self.batch = QSpinBox(minimum=15, maximum=4096, singleStep=16)
        self.batch.setSpecialValueText("default")
        self.seed = QSpinBox(minimum=0, maximum=999_999)
        self.play = QPushButton("Play")
        self.play.setCheckable(True)
        self.step = QPushButton("Step")
        self.step.setToolTip("Train exactly one step")
        self.reset = QPushButton("Reset")
        self.reset.setToolTip("A new model from the seed")
        # one widget per option key (diffusion and score share "field_t")
        self.view_options: dict[str, tuple[ViewOption, QWidget]] = {}
        for module in FAMILY_VIEWS.values():
            for option in module.OPTIONS:
                if option.key not in self.view_options:
                    self.view_options[option.key] = (option, option_widget(option))

        form = QFormLayout()
        form.setFieldGrowthPolicy(QFormLayout.FieldGrowthPolicy.AllNonFixedFieldsGrow)
        data_row = QHBoxLayout()
        data_row.addWidget(self.dataset, 1)
        data_row.addWidget(self.import_csv)
        form.addRow("Data", data_row)
        self.draw_row = QHBoxLayout()
        self.draw_row.addWidget(self.brush, 1)
        self.draw_row.addWidget(self.clear_drawing)
        form.addRow("Brush", self.draw_row)
        form.addRow(self.error)
        form.addRow("Family", self.family)
        form.addRow("GAN loss", self.loss)
        form.addRow("Learn rate", self.lr)
        form.addRow("Hidden", self.hidden)
        form.addRow("Layers", self.layers)
        form.addRow("Couplings", self.couplings)
        form.addRow("Noise dim", self.noise_dim)
        form.addRow(self.spectral)
        form.addRow("Batch", self.batch)
        form.addRow("Seed", self.seed)
        for option, widget in self.view_options.values():
            if option.kind == "check":
                form.addRow(widget)
            else:
                form.addRow(option.label, widget)
        self.form = form
        buttons = QHBoxLayout()
        for b in (self.play, self.step, self.reset):
            buttons.addWidget(b)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addLayout(buttons)
        layout.addLayout(form)
        layout.addStretch(1)

        for combo in (self.dataset, self.family, self.loss):
            combo.currentIndexChanged.connect(self.settingsChanged)
        self.couplings.valueChanged.connect(self._layer_slider_range)
        for spin in (self.lr, self.hidden, self.layers, self.couplings, self.noise_dim,
                     self.batch, self.seed):
            spin.valueChanged.connect(self.settingsChanged)
        self.spectral.toggled.connect(self.settingsChanged)
        self.family.currentIndexChanged.connect(self._family_rows)
        self.dataset.currentIndexChanged.connect(self._family_rows)
        for option, widget in self.view_options.values():
            signal = {"check": "toggled", "slider": "valueChanged",
                      "choice": "currentIndexChanged"}[option.kind]
            getattr(widget, signal).connect(self.viewChanged)
        self._family_rows()
        self._layer_slider_range()

    def _layer_slider_range(self) -> None:
        """End the flow's Layer slider at the couplings chosen (its end: data space)."""
        self.option("flow_layer").setRange(0.0, float(self.couplings.value()))

    def _family_rows(self) -> None:
        """Show the options of the family chosen (and the brush while drawing)."""
        family = self.family.currentText()
        gan = family == "gan"
        for widget, shown in ((self.loss, gan), (self.noise_dim, gan), (self.spectral, gan),
                              (self.couplings, family == "flow"),
                              (self.draw_row, self.drawing)):
            self.form.setRowVisible(widget, shown)
        mine = {o.key for o in family_options(family)}
        for key, (_option, widget) in self.view_options.items():
            self.form.setRowVisible(widget, key in mine)

    def option(self, key: str) -> QWidget:
        """Return the widget of the view option `key`."""
        return self.view_options[key][1]

    def option_values(self) -> dict[str, OptionValue]:
        """Return the chosen family's view options by key."""
        return {o.key: widget_value(o, self.view_options[o.key][1])
                for o in family_options(self.family.currentText())}

    def show_imported(self, name: str) -> None:
        """Add (or rename) the imported file's entry and select it."""
        text = f"file: {name}"
        index = self.dataset.findData("imported")
        if index < 0:
            self.dataset.addItem(text, "imported")
            index = self.dataset.count() - 1
        else:
            self.dataset.setItemText(index, text)
        if self.dataset.currentIndex() == index:
            self.settingsChanged.emit()  # another file under the same entry
        self.dataset.setCurrentIndex(index)

    @property
    def imported(self) -> bool:
        """Return True when the data are an imported file's points."""
        return self.dataset.currentData() == "imported"

    @property
    def drawing(self) -> bool:
        """Return True when the data are the user's drawing."""
        return self.dataset.currentText() == DRAW

    def settings(self) -> dict[str, object]:
        """Return the family config's settings the user chose (defaults left out)."""
        family = self.family.currentText()
        out: dict[str, object] = {}
        if self.lr.value() > 0:
            out["lr"] = self.lr.value()
            if family == "gan":
                out["d_lr"] = self.lr.value()
        if self.hidden.value() != self.hidden.minimum():
            out["hidden"] = self.hidden.value()
            if family == "gan":
                out["d_hidden"] = self.hidden.value()
        if self.layers.value() != self.layers.minimum():
            out["layers"] = self.layers.value()
            if family == "gan":
                out["d_layers"] = self.layers.value()
        if family == "flow" and self.couplings.value() != flow_view.DEFAULT_COUPLINGS:
            out["couplings"] = self.couplings.value()
        if self.batch.value() != self.batch.minimum():
            out["batch"] = self.batch.value()
        if family == "gan":
            out["loss"] = self.loss.currentData()
            out["noise_dim"] = self.noise_dim.value()
            if self.spectral.isChecked():
                out["spectral_norm"] = True
        return out
