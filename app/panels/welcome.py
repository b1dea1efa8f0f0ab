"""The welcome view shown while nothing is open: open a bundled demo, or train a VAE.

GUI thread only. Emits demoChosen(Path) with a demo's checkpoint folder and
trainVaeChosen(); the main window acts on them (panels never call each other).
"""

from __future__ import annotations

from pathlib import Path

from PySide6.QtCore import Qt, Signal, Slot
from PySide6.QtGui import QPixmap
from PySide6.QtWidgets import (
    QFrame,
    QGridLayout,
    QHBoxLayout,
    QLabel,
    QPushButton,
    QScrollArea,
    QVBoxLayout,
    QWidget,
)

from app.theme import coloured
from models.demos import Demo, list_demos

# Measured for the default VAE form (10 epochs, batch 64) on the bundled digits, 2-core CPU.
VAE_EPOCHS = 10
VAE_FALLBACK_SECONDS = 20.0


def vae_estimate_seconds(demos: list[Demo], epochs: int = VAE_EPOCHS) -> float:
    """Return the expected seconds to train the default VAE, from the 2-D VAE demo's timing
    on this kind of machine (per epoch), or a measured fallback without it."""
    for demo in demos:
        if demo.family == "vae" and demo.epochs > 0 and demo.train_seconds > 0:
            return demo.train_seconds / demo.epochs * epochs
    return VAE_FALLBACK_SECONDS


def describe_seconds(seconds: float) -> str:
    """Return a rounded human duration ("about 20 seconds", "about 3 minutes")."""
    if seconds < 90:
        return f"about {max(5, round(seconds / 5) * 5):.0f} seconds"
    return f"about {round(seconds / 60):.0f} minutes"


class DemoCard(QFrame):
    """One demo: its last preview grid, title, description and an Open button."""

    def __init__(self, demo: Demo, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.demo = demo
        self.setObjectName(f"demo_{demo.name}")
        self.setFrameShape(QFrame.Shape.StyledPanel)
        layout = QHBoxLayout(self)
        thumb = QLabel()
        preview = demo.path / "preview.png"
        pix = QPixmap(str(preview)) if preview.is_file() else QPixmap()
        if not pix.isNull():
            thumb.setPixmap(pix.scaled(112, 112, Qt.AspectRatioMode.KeepAspectRatio,
                                       Qt.TransformationMode.FastTransformation))
        thumb.setFixedSize(116, 116)
        layout.addWidget(thumb)
        text = QVBoxLayout()
        title = QLabel(f"<b>{demo.title}</b>")
        title.setStyleSheet("font-size: 13pt;")
        text.addWidget(title)
        about = QLabel(f"{demo.description}<br>" + coloured(
            f"{demo.family}, trained for {demo.epochs} epochs "
            f"({describe_seconds(demo.train_seconds)} on a laptop CPU)", "muted"))
        about.setWordWrap(True)
        text.addWidget(about)
        self.button = QPushButton("Open")
        self.button.setObjectName(f"open_demo_{demo.name}")
        self.button.setToolTip(f"Open the {demo.title} demo: no training needed")
        text.addWidget(self.button, alignment=Qt.AlignmentFlag.AlignLeft)
        layout.addLayout(text, 1)


class WelcomeView(QScrollArea):
    """Start page: the demos to open in one click, and a first training run to start."""

    demoChosen = Signal(object)
    trainVaeChosen = Signal()

    def __init__(self, demos: list[Demo] | None = None, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("welcome_view")
        self.setWidgetResizable(True)
        self.setFrameShape(QFrame.Shape.NoFrame)
        self.demos = list_demos() if demos is None else demos
        body = QWidget()
        outer = QVBoxLayout(body)
        outer.setContentsMargins(40, 28, 40, 28)
        outer.setSpacing(14)
        head = QLabel("<span style='font-size:22pt'><b>Latent Lab</b></span><br>"
                      "<span style='font-size:12pt'>See inside generative models: train one, "
                      "map its latent space, morph between images, step through "
                      "diffusion.</span>")
        head.setWordWrap(True)
        outer.addWidget(head)

        train_box = QFrame()
        train_box.setFrameShape(QFrame.Shape.StyledPanel)
        row = QHBoxLayout(train_box)
        expected = describe_seconds(vae_estimate_seconds(self.demos))
        label = QLabel(f"<b style='font-size:13pt'>Train a VAE on digits</b><br>"
                       f"A variational autoencoder with a 2-D latent space learns 4,500 "
                       f"handwritten digits in {VAE_EPOCHS} epochs: {expected} here. Watch "
                       f"the loss fall and the samples sharpen.")
        label.setWordWrap(True)
        row.addWidget(label, 1)
        self.train_button = QPushButton("Train a VAE on digits")
        self.train_button.setObjectName("welcome_train_vae")
        self.train_button.setMinimumHeight(40)
        self.train_button.setEnabled(False)
        self.train_button.setToolTip("Enabled once PyTorch has loaded")
        self.train_button.clicked.connect(self.trainVaeChosen)
        row.addWidget(self.train_button)
        outer.addWidget(train_box)

        heading = QLabel("<b style='font-size:13pt'>Open a demo</b> — trained models, "
                         "pictures within seconds, offline")
        outer.addWidget(heading)
        grid = QGridLayout()
        grid.setSpacing(10)
        self.cards: list[DemoCard] = []
        for i, demo in enumerate(self.demos):
            card = DemoCard(demo)
            card.button.clicked.connect(self._on_card_clicked)
            grid.addWidget(card, i // 2, i % 2)
            self.cards.append(card)
        if not self.demos:
            grid.addWidget(QLabel("No demo models are installed with this copy "
                                  "(see scripts/train_demo_models.py)."), 0, 0)
        outer.addLayout(grid)
        outer.addStretch(1)
        self.setWidget(body)

    def set_ready(self, torch_ready: bool, busy: bool) -> None:
        """Enable the demo buttons while no job runs (a demo's pictures open from files
        before torch), and the Train button once torch has loaded too."""
        self.train_button.setEnabled(torch_ready and not busy)
        for card in self.cards:
            card.button.setEnabled(not busy)

    @Slot()
    def _on_card_clicked(self) -> None:
        for card in self.cards:
            if card.button is self.sender():
                self.demoChosen.emit(Path(card.demo.path))
