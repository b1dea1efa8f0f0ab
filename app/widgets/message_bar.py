"""An in-window message strip for errors and notices (no modal dialogs to block a demo)."""

from __future__ import annotations

from PySide6.QtCore import Qt, Signal, Slot
from PySide6.QtWidgets import QFrame, QHBoxLayout, QLabel, QSizePolicy, QToolButton, QWidget

STYLES = {
    "error": "QFrame#message_bar { background: #f8d7da; border: 1px solid #d9534f; }"
             " QLabel { color: #58151c; }",
    "info": "QFrame#message_bar { background: #d1e7dd; border: 1px solid #5cb85c; }"
            " QLabel { color: #0a3622; }",
}


class MessageBar(QFrame):
    """Shows one message with a close button; hidden when there is none (GUI thread).

    Emits dismissed() when the message is closed.
    """

    dismissed = Signal()

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("message_bar")
        layout = QHBoxLayout(self)
        layout.setContentsMargins(8, 4, 4, 4)
        self.label = QLabel()
        self.label.setObjectName("message_text")
        # One line: a wrapped label inside a toolbar asks for far more height than it needs.
        self.label.setWordWrap(False)
        self.setSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Fixed)
        self.label.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        close = QToolButton()
        close.setText("✕")
        close.setAutoRaise(True)
        close.setToolTip("Dismiss")
        close.clicked.connect(self.dismiss)
        layout.addWidget(self.label, 1)
        layout.addWidget(close)
        self.level = ""

    def text(self) -> str:
        """Return the message shown ('' when hidden)."""
        return self.label.text() if self.level else ""

    @Slot(str, str)
    def show_message(self, level: str, text: str) -> None:
        """Show `text` styled for `level` ("error" or "info")."""
        self.level = level
        self.setStyleSheet(STYLES.get(level, STYLES["info"]))
        self.label.setText(text)
        self.label.setToolTip(text)

    @Slot()
    def dismiss(self) -> None:
        """Hide the message."""
        self.level = ""
        self.dismissed.emit()
