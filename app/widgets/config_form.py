"""A form generated from a config dataclass's FieldSpecs; bad values are refused in place.

Characters that can never make a valid value are rejected as they are typed (the
validator says Invalid); a value that parses but is out of range stays in the box, marked
red with the reason under it, and the form reports itself invalid until it is fixed.
"""

from __future__ import annotations

import math
import re
from typing import Any

from PySide6.QtCore import Qt, Signal
from PySide6.QtGui import QValidator
from PySide6.QtWidgets import (
    QCheckBox,
    QComboBox,
    QFormLayout,
    QLabel,
    QLineEdit,
    QVBoxLayout,
    QWidget,
)

from app.theme import style_text
from models.config import ConfigBase, FieldSpec

_INT_CHARS = re.compile(r"^[+-]?\d*$")
_FLOAT_CHARS = re.compile(r"^[+-]?(\d*\.?\d*)([eE][+-]?\d*)?$")
_SEQ_INT_CHARS = re.compile(r"^[\d,\s]*$")
_SEQ_FLOAT_CHARS = re.compile(r"^[\d.eE+\-,\s]*$")
ERROR_STYLE = "QLineEdit { border: 2px solid #d9534f; }"


def parse_value(spec: FieldSpec, text: str) -> Any:
    """Return `text` parsed as `spec`'s type and checked against its limits.

    Raises ValueError with a message a person can act on.
    """
    text = text.strip()
    if text == "":
        if spec.optional:
            return None
        raise ValueError("a value is required")
    if spec.is_sequence:
        parts = [p for p in re.split(r"[,\s]+", text) if p]
        if not parts:
            raise ValueError("give at least one value, e.g. 64, 32")
        values = tuple(_parse_one(spec, p) for p in parts)
        for v in values:
            _check_range(spec, v)
        return values
    value = _parse_one(spec, text)
    _check_range(spec, value)
    return value


def _parse_one(spec: FieldSpec, text: str) -> Any:
    if spec.type is int:
        try:
            return int(text)
        except ValueError:
            raise ValueError(f"{text!r} is not a whole number") from None
    if spec.type is float:
        try:
            value = float(text)
        except ValueError:
            raise ValueError(f"{text!r} is not a number") from None
        if not math.isfinite(value):
            raise ValueError("must be a finite number")
        return value
    return text


def _check_range(spec: FieldSpec, value: Any) -> None:
    if spec.min is not None and value < spec.min:
        raise ValueError(f"must be at least {_fmt(spec.min)}")
    if spec.max is not None and value > spec.max:
        raise ValueError(f"must be at most {_fmt(spec.max)}")


def _fmt(v: float) -> str:
    return f"{v:g}" if isinstance(v, float) else str(v)


def format_value(spec: FieldSpec, value: Any) -> str:
    """Return the text a line edit shows for `value`."""
    if value is None:
        return ""
    if spec.is_sequence:
        return ", ".join(format_value(_scalar(spec), v) for v in value)
    if isinstance(value, float):
        return f"{value:g}"
    return str(value)


def _scalar(spec: FieldSpec) -> FieldSpec:
    return FieldSpec(spec.name, spec.type, None, spec.help, spec.min, spec.max, spec.choices,
                     spec.optional, False, spec.advanced)


class SpecValidator(QValidator):
    """Refuses keystrokes that cannot lead to a value of the field's type (GUI thread)."""

    def __init__(self, spec: FieldSpec, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.spec = spec

    def validate(self, text: str, pos: int) -> object:
        """Return Invalid (keystroke refused), Intermediate (shown, marked) or Acceptable."""
        spec = self.spec
        pattern = None
        if spec.type is int:
            pattern = _SEQ_INT_CHARS if spec.is_sequence else _INT_CHARS
        elif spec.type is float:
            pattern = _SEQ_FLOAT_CHARS if spec.is_sequence else _FLOAT_CHARS
        if pattern is not None and not pattern.match(text):
            return QValidator.State.Invalid
        try:
            parse_value(spec, text)
        except ValueError:
            return QValidator.State.Intermediate
        return QValidator.State.Acceptable


class FieldEditor(QWidget):
    """One field: its editor and, under it, the reason a value is refused (GUI thread).

    Emits changed() whenever the shown text or choice changes.
    """

    changed = Signal()

    def __init__(self, spec: FieldSpec, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.spec = spec
        self._value: Any = spec.default
        self._error: str | None = None
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.setSpacing(1)
        self.editor: QWidget
        if spec.type is bool and not spec.is_sequence:
            box = QCheckBox()
            box.setChecked(bool(spec.default))
            box.toggled.connect(self._on_toggled)
            self.editor = box
        elif spec.choices and not spec.is_sequence:
            combo = QComboBox()
            for c in spec.choices:
                combo.addItem(str(c), c)
            combo.setCurrentIndex(max(0, combo.findData(spec.default)))
            combo.currentIndexChanged.connect(self._on_choice)
            self.editor = combo
        else:
            edit = QLineEdit(format_value(spec, spec.default))
            edit.setValidator(SpecValidator(spec, edit))
            if spec.optional:
                edit.setPlaceholderText("default")
            edit.textChanged.connect(self._on_text)
            self.editor = edit
        self.editor.setObjectName(f"field_{spec.name}")
        self.editor.setToolTip(spec.help)
        self.error_label = QLabel()
        self.error_label.setObjectName(f"error_{spec.name}")
        style_text(self.error_label, "error")
        self.error_label.setWordWrap(True)
        self.error_label.hide()
        layout.addWidget(self.editor)
        layout.addWidget(self.error_label)

    def value(self) -> Any:
        """Return the last valid value (the default until one is typed)."""
        return self._value

    def error(self) -> str | None:
        """Return why the shown text is refused, or None."""
        return self._error

    def set_value(self, value: Any) -> None:
        """Show `value` (assumed valid)."""
        if isinstance(self.editor, QCheckBox):
            self.editor.setChecked(bool(value))
        elif isinstance(self.editor, QComboBox):
            self.editor.setCurrentIndex(max(0, self.editor.findData(value)))
        elif isinstance(self.editor, QLineEdit):
            self.editor.setText(format_value(self.spec, value))
        self._value = value

    def set_external_error(self, message: str | None) -> None:
        """Mark a value the whole config refuses (e.g. a size that does not halve)."""
        if self._error is None or message is not None:
            self._show_error(message)

    def _on_toggled(self, checked: bool) -> None:
        self._value = bool(checked)
        self.changed.emit()

    def _on_choice(self, index: int) -> None:
        assert isinstance(self.editor, QComboBox)
        self._value = self.editor.itemData(index)
        self.changed.emit()

    def _on_text(self, text: str) -> None:
        try:
            self._value = parse_value(self.spec, text)
            self._error = None
        except ValueError as exc:
            self._error = str(exc)
        self._show_error(self._error)
        self.changed.emit()

    def _show_error(self, message: str | None) -> None:
        self.error_label.setText(message or "")
        self.error_label.setVisible(bool(message))
        if isinstance(self.editor, QLineEdit):
            self.editor.setStyleSheet(ERROR_STYLE if message else "")


class ConfigForm(QWidget):
    """Editors for the fields of one config class; advanced ones in a collapsed section.

    Emits changed() on every edit and validityChanged(bool) when the form turns
    valid or invalid. GUI thread only.
    """

    changed = Signal()
    validityChanged = Signal(bool)

    def __init__(self, config_class: type[ConfigBase], hidden: set[str] | frozenset[str] = (),
                 parent: QWidget | None = None, advanced_title: str = "Advanced") -> None:
        super().__init__(parent)
        from superqt import QCollapsible

        self.config_class = config_class
        self.hidden = set(hidden)
        self.editors: dict[str, FieldEditor] = {}
        self._valid = True
        # Values of hidden fields used when validating (e.g. the dataset's image size).
        self.context: dict[str, Any] = {}
        self.form_error = QLabel()
        style_text(self.form_error, "error")
        self.form_error.setWordWrap(True)
        self.form_error.hide()
        outer = QVBoxLayout(self)
        outer.setContentsMargins(0, 0, 0, 0)
        main = QFormLayout()
        main.setFieldGrowthPolicy(QFormLayout.FieldGrowthPolicy.AllNonFixedFieldsGrow)
        adv_widget = QWidget()
        adv = QFormLayout(adv_widget)
        adv.setFieldGrowthPolicy(QFormLayout.FieldGrowthPolicy.AllNonFixedFieldsGrow)
        adv.setContentsMargins(0, 0, 0, 0)
        for spec in config_class.field_specs():
            if spec.name in self.hidden:
                continue
            ed = FieldEditor(spec, self)
            ed.changed.connect(self._on_changed)
            self.editors[spec.name] = ed
            label = QLabel(spec.name.replace("_", " "))
            label.setToolTip(spec.help)
            # Top-aligned so it stays beside the box when an error line opens under it;
            # the margin lines its text up with the box's text.
            label.setAlignment(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignTop)
            label.setContentsMargins(0, 4, 0, 0)
            (adv if spec.advanced else main).addRow(label, ed)
        outer.addLayout(main)
        if adv.rowCount():
            # superqt's default collapsed arrow points up; a right arrow reads as "more here".
            self.advanced = QCollapsible(advanced_title, self, collapsedIcon="▶")
            self.advanced.addWidget(adv_widget)
            self.advanced.collapse(animate=False)
            outer.addWidget(self.advanced)
        outer.addWidget(self.form_error)

    def values(self) -> dict[str, Any]:
        """Return the current valid value of every shown field."""
        return {name: ed.value() for name, ed in self.editors.items()}

    def errors(self) -> dict[str, str]:
        """Return the refused fields and why."""
        return {n: e for n, ed in self.editors.items() if (e := ed.error()) is not None}

    def is_valid(self) -> bool:
        """Return True when every field holds a valid value and the config as a whole is."""
        return self._valid

    def config(self, **extra: Any) -> ConfigBase:
        """Return the config built from the form (plus `extra` fields); ValueError if invalid."""
        errors = self.errors()
        if errors:
            name, why = next(iter(errors.items()))
            raise ValueError(f"{name.replace('_', ' ')}: {why}")
        cfg = self.config_class(**{**self.context, **self.values(), **extra})
        cfg.validate()
        return cfg

    def set_config(self, config: ConfigBase) -> None:
        """Show the values of `config`."""
        for name, ed in self.editors.items():
            if hasattr(config, name):
                ed.set_value(getattr(config, name))
        self._on_changed()

    def set_values(self, values: dict[str, Any]) -> None:
        """Show the given values for fields this form has (others are ignored)."""
        for name, value in values.items():
            if name in self.editors:
                self.editors[name].set_value(value)
        self._on_changed()

    def set_context(self, **values: Any) -> None:
        """Set hidden fields' values used for validation and config() (None = default)."""
        self.context = {k: v for k, v in values.items()
                        if v is not None and k in {s.name for s in self.config_class.field_specs()}}
        self._on_changed()

    def _on_changed(self) -> None:
        message = None
        if not self.errors():
            try:
                self.config_class(**{**self.context, **self.values()}).validate()
            except (ValueError, TypeError) as exc:
                message = str(exc)
        for ed in self.editors.values():
            ed.set_external_error(None)
        shown = False
        if message:
            # Mark the field the message is about: the one it starts with, else the first
            # shown field it mentions (a hidden field such as image_size cannot be edited).
            target = next((n for n in self.editors if message.startswith(n)), None) or \
                next((n for n in self.editors if n in message), None)
            if target is not None:
                self.editors[target].set_external_error(message)
                shown = True
        self.form_error.setText("" if shown or not message else message)
        self.form_error.setVisible(bool(message) and not shown)
        valid = not self.errors() and message is None
        if valid != self._valid:
            self._valid = valid
            self.validityChanged.emit(valid)
        self.changed.emit()
