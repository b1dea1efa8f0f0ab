"""The modes' inputs in the Pipeline dock: img2img's and inpainting's init image and
strength (shown as the step the run starts from), the mask brush, ControlNet's folder,
conditioning image and scale, and the tiny decoder (GUI thread; a mixin of
PipelinePanel)."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np
from PySide6.QtCore import Slot
from PySide6.QtWidgets import QFileDialog

from app.panels.pipeline.jobs import LANE, TinyDecoderLoaded, tiny_decoder_events
from app.panels.pipeline.mode_inputs import as_float, check_size, read_input_image, start_step
from app.panels.pipeline.record import TINY, VAE
from models.pipelines.events import PipelineStarted
from models.pipelines.index import CONTROLNET, IMG2IMG, INPAINT

if TYPE_CHECKING:
    from app.panels.pipeline.panel import PipelinePanel as _Base
else:
    _Base = object

IMAGE_FILTER = "Images (*.png *.jpg *.jpeg *.webp *.bmp);;All files (*)"
INPUT_TAB = 3


class Inputs(_Base):
    """The image a mode starts from, the mask, ControlNet and the tiny decoder."""

    image: np.ndarray | None = None  # uint8 H×W×3: init image or conditioning image

    def _connect_inputs(self) -> None:
        f = self.form
        f.mode.currentIndexChanged.connect(self._on_mode_changed)
        f.image_button.clicked.connect(self._choose_image)
        f.control_button.clicked.connect(self._choose_controlnet)
        f.tiny_button.clicked.connect(self._choose_tiny)
        f.strength.valueChanged.connect(self._update_strength)
        f.steps.valueChanged.connect(self._update_strength)
        f.control_scale.valueChanged.connect(
            lambda v: f.control_scale_label.setText(f"{v / 100:.2f}"))
        self._set_tiny_available(False)

    def mode_fields(self, mode: str) -> dict[str, Any]:
        """Return the TextRequest fields of `mode`'s inputs; ValueError (one line) when an
        input it needs is missing."""
        if mode not in (IMG2IMG, INPAINT, CONTROLNET):
            return {}
        if self.image is None:
            what = "a conditioning image" if mode == CONTROLNET else "an input image"
            raise ValueError(f"{self.form.mode.currentText()} needs {what}: choose one "
                             "with Image…")
        fields: dict[str, Any] = {"image": as_float(self.image)}
        if mode == CONTROLNET:
            if self.controlnet is None:
                raise ValueError("ControlNet mode needs a ControlNet folder: choose one "
                                 "with ControlNet folder…")
            fields["control_scale"] = self.form.control_scale.value() / 100.0
            return fields
        fields["strength"] = self.form.strength.value() / 100.0
        if mode == INPAINT:
            mask = self.views.mask.mask()
            if not mask.any():
                raise ValueError("Inpainting needs a mask: paint the area to repaint on "
                                 "the Input tab")
            fields["mask"] = mask
        return fields

    @Slot()
    def _on_mode_changed(self, *_: object) -> None:
        mode = self.form.current_mode() or ""
        f = self.form
        image_mode = mode in (IMG2IMG, INPAINT, CONTROLNET)
        f.inputs.setVisible(image_mode)
        f.inputs.setTitle("Conditioning image" if mode == CONTROLNET else "Input image")
        for field in (f.strength, f.strength_label):
            f.set_row_visible(field, mode in (IMG2IMG, INPAINT))
        for field in (f.control_scale, f.control_scale_label):
            f.set_row_visible(field, mode == CONTROLNET)
        f.control_button.setVisible(mode == CONTROLNET)
        f.control_label.setVisible(mode == CONTROLNET)
        if mode == INPAINT and f.strength.value() == 80:
            f.strength.setValue(100)  # diffusers' inpainting default
        self.views.mask_box.setVisible(mode == INPAINT)
        self.views.input_pane.setVisible(mode in (IMG2IMG, CONTROLNET))
        self.views.noised_pane.setVisible(mode in (IMG2IMG, INPAINT))
        self.views.input_pane.set_title("Conditioning image" if mode == CONTROLNET
                                        else "Input image")
        self.views.tabs.setTabVisible(INPUT_TAB, image_mode)
        self._update_strength()

    @Slot()
    def _update_strength(self, *_: object) -> None:
        f = self.form
        steps, strength = f.steps.value(), f.strength.value() / 100.0
        first = start_step(steps, strength)
        f.strength_label.setText(f"{strength:.2f}: starts at step {first + 1} of {steps}")

    def _say_start(self, started: PipelineStarted) -> None:
        """After a run of img2img or inpainting started: the step it really starts from
        (PNDM's schedule has one step more than asked for)."""
        meta = started.meta
        if meta.get("mode") in (IMG2IMG, INPAINT) and meta.get("strength") is not None:
            self.form.strength_label.setText(
                f"{meta['strength']:.2f}: the run started at step "
                f"{int(meta.get('start_index', 0)) + 1} of {started.num_steps}")

    def set_input_image(self, path: Path | str) -> bool:
        """Use the image file at `path` as the mode's input; a file that is not an image or
        has the wrong size is one line in the message bar, and the image shown stays."""
        try:
            image = read_input_image(path)
        except ValueError as exc:
            self.session.report_error(str(exc))
            return False
        self.image = image
        self.form.image_label.set_full_text(Path(path).name)
        self.views.input_pane.set_image(image)
        self.views.mask.set_image(image)
        side = self.info.image_side if self.info is not None else None
        note = check_size(image, side, "image") if side else None
        if note:
            self.session.message.emit("info", note)
        return True

    @Slot()
    def _choose_image(self) -> None:
        path, _ = QFileDialog.getOpenFileName(self, "Choose an image", "", IMAGE_FILTER)
        if path:
            self.set_input_image(path)
            self.views.tabs.setCurrentIndex(INPUT_TAB)

    @Slot()
    def _choose_controlnet(self) -> None:
        folder = QFileDialog.getExistingDirectory(self, "Choose a ControlNet folder")
        if folder and self.folder is not None:
            self.open_folder(self.folder, CONTROLNET, Path(folder))

    # --- the tiny decoder -------------------------------------------------------------------
    @Slot()
    def _choose_tiny(self) -> None:
        folder = QFileDialog.getExistingDirectory(self, "Choose a tiny decoder folder "
                                                  "(AutoencoderTiny: TAESD, TAESDXL)")
        if folder:
            self.load_tiny_decoder(Path(folder))

    def load_tiny_decoder(self, folder: Path) -> None:
        """Load the AutoencoderTiny in `folder` on the lane (refusals: one line)."""
        if self.info is None:
            self.session.report_error("Open a pipeline before its tiny decoder")
            return
        opened = self.info.opened
        self.session.jobs.submit(LANE, lambda job: tiny_decoder_events(folder, opened),
                                 channel="pipeline-tiny", on_event=self._on_tiny_loaded,
                                 on_error=lambda msg, _tb="": self.session.report_error(msg))

    def _on_tiny_loaded(self, event: TinyDecoderLoaded) -> None:
        self.tiny = event.decoder
        self._set_tiny_available(True)
        self.form.decoder.setCurrentIndex(self.form.decoder.findData(TINY))
        self.views.status.set_full_text(f"Tiny decoder {event.folder.name} loaded: the next "
                                        "run previews every step through it.")

    def _set_tiny_available(self, available: bool) -> None:
        box = self.form.decoder
        item = box.model().item(box.findData(TINY))  # type: ignore[attr-defined]
        item.setEnabled(available)
        item.setToolTip("" if available else "Load a tiny decoder folder first")
        if not available and box.currentData() == TINY:
            box.setCurrentIndex(box.findData(VAE))
