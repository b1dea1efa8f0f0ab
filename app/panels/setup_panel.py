"""The side panel: model family, dataset and hyperparameters, generated from the configs."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from PySide6.QtCore import Qt, Signal, Slot
from PySide6.QtWidgets import (
    QComboBox,
    QFileDialog,
    QFormLayout,
    QGroupBox,
    QLabel,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from app.panels.base import Panel
from app.session import JobState, Session
from app.session.training_job import resumable_run
from app.widgets.config_form import ConfigForm
from models.config import DataConfig, ModelConfig, TrainConfig
from models.cores import default_threads
from models.opened import SOURCE_TRAINING, OpenedModel
from models.registry import FAMILIES, config_class

# Model fields the dataset decides (the trainer fits them), as on the command line.
DATA_SHAPED = frozenset({"image_size", "channels", "num_classes"})
# Dataset names offered in the picker, with the image shape each one has.
DATASETS: dict[str, tuple[int, int]] = {
    "mnist5k": (28, 1), "digits": (28, 1), "mnist": (28, 1), "fashion-mnist": (28, 1),
    "cifar10": (32, 3),
}
DATASET_LABELS = {
    "mnist5k": "MNIST 5k (bundled)", "digits": "Digits 8×8 (bundled)", "mnist": "MNIST",
    "fashion-mnist": "Fashion-MNIST", "cifar10": "CIFAR-10",
}
FOLDER_ITEM = "Image folder…"
CONTINUE_TIP = ("Resume the run of the checkpoint shown, in its own folder: open a run "
                "folder or a run's checkpoint (demos and saved copies have no run to go on)")
DEFAULT_FAMILY = "vae"  # learns in under a minute on a laptop CPU and has a latent map


def _combo(name: str) -> QComboBox:
    """Return a combo box that may be narrower than its longest item (the panel is narrow)."""
    combo = QComboBox()
    combo.setObjectName(name)
    combo.setSizeAdjustPolicy(QComboBox.SizeAdjustPolicy.AdjustToMinimumContentsLengthWithIcon)
    combo.setMinimumContentsLength(14)
    return combo


class ModelSetupPanel(Panel):
    """Family picker, dataset picker and the generated forms (GUI thread).

    Emits validityChanged(bool) when the whole setup becomes valid or invalid.
    """

    validityChanged = Signal(bool)

    def __init__(self, session: Session, parent: QWidget | None = None) -> None:
        super().__init__(session, parent)
        self._valid = True
        layout = QVBoxLayout(self)
        layout.setContentsMargins(6, 6, 6, 6)

        box = QGroupBox("Model")
        top = QFormLayout(box)
        self.family = _combo("family")
        for name, spec in FAMILIES.items():
            # The closed box shows the short name (the dock is narrow: the whole line was
            # cut); the list and the line below it say what the family is.
            self.family.addItem(name, name)
            self.family.setItemData(self.family.count() - 1, spec.description,
                                    Qt.ItemDataRole.ToolTipRole)
        self.family.setCurrentIndex(max(0, self.family.findData(DEFAULT_FAMILY)))
        top.addRow("family", self.family)
        self.family_description = QLabel()
        self.family_description.setObjectName("family_description")
        self.family_description.setWordWrap(True)
        top.addRow(self.family_description)
        self.model_holder = QVBoxLayout()
        top.addRow(self.model_holder)
        layout.addWidget(box)
        self.model_form: ConfigForm | None = None

        box = QGroupBox("Data")
        data_layout = QFormLayout(box)
        self.dataset = _combo("dataset")
        for name, label in DATASET_LABELS.items():
            self.dataset.addItem(label, name)
        self.dataset.addItem(FOLDER_ITEM, None)
        data_layout.addRow("dataset", self.dataset)
        self.data_form = ConfigForm(DataConfig, hidden={"dataset"}, advanced_title="Data options")
        data_layout.addRow(self.data_form)
        layout.addWidget(box)

        box = QGroupBox("Training")
        train_layout = QVBoxLayout(box)
        # The device is chosen in the toolbar, where only devices present are offered.
        self.train_form = ConfigForm(TrainConfig, hidden={"device"})
        self.train_form.set_values({"threads": default_threads()})
        # A family that trains in phases says what "epochs" counts and the whole length.
        self.phase_note = QLabel()
        self.phase_note.setObjectName("phase_note")
        self.phase_note.setWordWrap(True)
        train_layout.addWidget(self.phase_note)
        train_layout.addWidget(self.train_form)
        self.continue_button = QPushButton("Continue the run shown")
        self.continue_button.setObjectName("continue_run")
        self.continue_button.setToolTip(CONTINUE_TIP)
        self.continue_button.setEnabled(False)
        train_layout.addWidget(self.continue_button)
        layout.addWidget(box)
        layout.addStretch(1)

        self.family.currentIndexChanged.connect(self._on_family)
        self.dataset.activated.connect(self._on_dataset_activated)
        self.dataset.currentIndexChanged.connect(self._update_context)
        self.data_form.changed.connect(self._update_context)
        self.train_form.changed.connect(self._check_validity)
        self.train_form.changed.connect(self._update_phase_note)
        self.continue_button.clicked.connect(self._continue_run)
        session.stateChanged.connect(self._on_state)
        self._on_family()

    # --- what the window asks for -------------------------------------------------------
    def current_family(self) -> str:
        """Return the selected family name."""
        return str(self.family.currentData())

    def current_dataset(self) -> str:
        """Return the selected dataset name (folder:PATH for a folder)."""
        return str(self.dataset.currentData() or "mnist5k")

    def job_configs(self) -> tuple[str, ModelConfig, TrainConfig, DataConfig]:
        """Return (family, model, train, data) configs; ValueError naming a bad field."""
        assert self.model_form is not None
        data = self.data_form.config(dataset=self.current_dataset())
        model = self.model_form.config()
        train = self.train_form.config()
        return self.current_family(), model, train, data  # type: ignore[return-value]

    def is_valid(self) -> bool:
        """Return True when every form is valid."""
        return self._valid

    def use_defaults(self, family: str, dataset: str, model: dict[str, Any],
                     train: dict[str, Any]) -> None:
        """Reset every form to its config's defaults, then show the given values: a
        preset (the welcome view's quick start) owes nothing to what was open before."""
        self.set_family(family)
        self.set_dataset(dataset)
        assert self.model_form is not None
        self.model_form.set_config(config_class(family)())
        self.model_form.set_values(model)
        self.data_form.set_config(DataConfig(dataset=dataset))
        self.train_form.set_config(TrainConfig())
        self.train_form.set_values({"threads": default_threads(), **train})

    def set_family(self, name: str) -> None:
        """Select family `name`."""
        self.family.setCurrentIndex(self.family.findData(name))

    def set_dataset(self, name: str) -> None:
        """Select dataset `name`, adding a folder:PATH entry if needed."""
        index = self.dataset.findData(name)
        if index < 0:
            label = f"folder: {Path(name[7:]).name}" if name.startswith("folder:") else name
            self.dataset.insertItem(self.dataset.count() - 1, label, name)
            index = self.dataset.findData(name)
        self.dataset.setCurrentIndex(index)

    # --- slots -------------------------------------------------------------------------
    @Slot()
    def _on_family(self) -> None:
        self.family_description.setText(FAMILIES[self.current_family()].description)
        old = self.model_form.values() if self.model_form is not None else {}
        if self.model_form is not None:
            self.model_holder.removeWidget(self.model_form)
            self.model_form.deleteLater()
        form = ConfigForm(config_class(self.current_family()), hidden=DATA_SHAPED)
        # Carry over values of fields the new family shares (latent_dim, beta, …).
        shared = {k: v for k, v in old.items() if k in form.editors}
        form.set_values(shared)
        form.changed.connect(self._check_validity)
        form.changed.connect(self._update_phase_note)
        self.model_holder.addWidget(form)
        self.model_form = form
        self._update_context()
        self._update_phase_note()

    @Slot()
    def _update_phase_note(self) -> None:
        """Say, for a family trained in phases (latent diffusion), what each counts."""
        model = self.model_form.values() if self.model_form is not None else {}
        first = model.get("epochs_ae")
        if first is None:
            self.phase_note.hide()
            return
        second = self.train_form.values().get("epochs") or 0
        if model.get("first_stage"):
            text = (f"The autoencoder comes from the first stage named above: only phase 2 "
                    f"trains, the UNet for {second} epochs.")
        else:
            text = (f"Two phases: the autoencoder for {first} epochs (epochs ae), then the "
                    f"UNet on its latents for {second} (epochs): {first + second} in all.")
        self.phase_note.setText(text)
        self.phase_note.show()

    @Slot()
    def _continue_run(self) -> None:
        try:
            self.session.continue_training(self.train_form.config())
        except (ValueError, RuntimeError) as exc:
            self.session.report_error(f"Cannot continue the run: {exc}")

    def _update_continue(self) -> None:
        """Offer to continue the run shown when its checkpoint holds a training state."""
        s = self.session
        run = resumable_run(s.checkpoint)
        ok = run is not None and not s.state.busy and s.models.current is not None
        self.continue_button.setEnabled(ok)
        # The run's name goes in the tooltip: on the button it widened the narrow dock.
        self.continue_button.setToolTip(
            f"Resume {run} from its checkpoint {Path(s.checkpoint or '').name}, up to the "
            "epochs above (a run in phases goes on into the next phase)"
            if ok and run is not None else CONTINUE_TIP)

    @Slot(int)
    def _on_dataset_activated(self, index: int) -> None:
        if self.dataset.itemData(index) is not None:
            return
        folder = QFileDialog.getExistingDirectory(self, "Train on the images in a folder")
        if folder:
            self.set_dataset(f"folder:{folder}")
        else:
            self.dataset.setCurrentIndex(0)

    @Slot()
    def _update_context(self) -> None:
        if self.model_form is None:
            return
        name = self.current_dataset()
        size, channels = DATASETS.get(name, (32, 3))
        data = self.data_form.values()
        self.model_form.set_context(image_size=data.get("image_size") or size,
                                    channels=data.get("channels") or channels)
        self._check_validity()

    @Slot()
    def _check_validity(self) -> None:
        forms = [self.data_form, self.train_form]
        if self.model_form is not None:
            forms.append(self.model_form)
        valid = all(f.is_valid() for f in forms)
        if valid != self._valid:
            self._valid = valid
            self.validityChanged.emit(valid)

    @Slot(object)
    def _on_state(self, state: JobState) -> None:
        # Edits cannot reach a running job; disabling the forms says so plainly.
        self.setEnabled(not state.busy)
        self._update_continue()

    # --- the model shown --------------------------------------------------------------------
    def ready_now(self) -> bool:
        """Return True: the forms follow an opened checkpoint even while hidden."""
        return True

    def clear(self) -> None:
        """Keep the forms: they describe the next job, not the model shown."""
        self._update_continue()

    def update_model(self, model: OpenedModel) -> None:
        """Newer weights of the run being trained: the forms already describe it."""
        self.model = model
        self._update_continue()

    def show_model(self, model: OpenedModel) -> None:
        """Fill the forms from an opened checkpoint, so Train repeats or varies it."""
        self._update_continue()
        if model.source == SOURCE_TRAINING:
            return  # the forms already hold what is being trained
        self.show_configs(model.family, model.model_config, model.train, model.data)

    def show_configs(self, family: str, model: ModelConfig, train: TrainConfig | None,
                     data: DataConfig | None) -> None:
        """Fill the forms with a checkpoint's configs (from its model, or read from its
        config.json before the model has loaded)."""
        self.set_family(family)
        assert self.model_form is not None
        self.model_form.set_config(model)
        if train is not None:
            self.train_form.set_config(train)
        if data is not None:
            self.data_form.set_config(data)
            self.set_dataset(data.dataset)
