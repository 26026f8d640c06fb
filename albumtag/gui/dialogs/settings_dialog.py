"""Settings: where the library is, which device runs the models, and grouping thresholds."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

from PySide6.QtWidgets import (
    QComboBox,
    QDialog,
    QDialogButtonBox,
    QDoubleSpinBox,
    QFileDialog,
    QFormLayout,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QPushButton,
    QSpinBox,
    QVBoxLayout,
    QWidget,
)

from albumtag.app.settings import EngineSettings
from albumtag.recognize.grouping import GroupingParams
from albumtag.runtime.providers import Device

DEVICE_LABELS = {Device.AUTO: "Automatic (GPU when available)", Device.CPU: "CPU only", Device.CUDA: "GPU (CUDA)"}


class SettingsDialog(QDialog):
    def __init__(self, settings: EngineSettings, library_path: Path, active_device: str,
                 parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setWindowTitle("Settings")
        self.library_edit = QLineEdit(str(library_path))
        browse = QPushButton("Change…")
        browse.clicked.connect(self._choose_library)
        library_row = QHBoxLayout()
        library_row.addWidget(self.library_edit, 1)
        library_row.addWidget(browse)
        self.device_combo = QComboBox()
        for device, label in DEVICE_LABELS.items():
            self.device_combo.addItem(label, device)
        self.device_combo.setCurrentIndex(list(DEVICE_LABELS).index(settings.device))
        self.radius = self._spin(settings.grouping.cluster_radius, 0.2, 0.8, 0.01,
                                 "Faces closer than this are linked into one group (lower: stricter)")
        self.seed_quality = self._spin(settings.grouping.seed_quality, 0.0, 1.0, 0.05,
                                       "Faces of lower quality never start a group")
        self.min_group = QSpinBox()
        self.min_group.setRange(1, 20)
        self.min_group.setValue(settings.grouping.min_group)
        self.min_group.setToolTip("People seen fewer times stay out of Unnamed (still searchable)")
        form = QFormLayout()
        form.addRow("Library file:", library_row)
        form.addRow("Compute device:", self.device_combo)
        form.addRow("", QLabel(f"In use now: {active_device}"))
        form.addRow("Grouping distance:", self.radius)
        form.addRow("Minimum face quality to start a group:", self.seed_quality)
        form.addRow("Faces needed for an unnamed group:", self.min_group)
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Ok | QDialogButtonBox.StandardButton.Cancel
                                   | QDialogButtonBox.StandardButton.RestoreDefaults)
        buttons.accepted.connect(self.accept)
        buttons.rejected.connect(self.reject)
        buttons.button(QDialogButtonBox.StandardButton.RestoreDefaults).clicked.connect(self._defaults)
        layout = QVBoxLayout(self)
        layout.addLayout(form)
        layout.addWidget(QLabel("A new library location takes effect the next time AlbumTag starts."))
        layout.addWidget(buttons)

    @staticmethod
    def _spin(value: float, low: float, high: float, step: float, tip: str) -> QDoubleSpinBox:
        spin = QDoubleSpinBox()
        spin.setRange(low, high)
        spin.setSingleStep(step)
        spin.setDecimals(2)
        spin.setValue(value)
        spin.setToolTip(tip)
        return spin

    def _choose_library(self) -> None:
        path, _ = QFileDialog.getSaveFileName(self, "Library file", self.library_edit.text(),
                                              "AlbumTag library (*.albumtag)",
                                              options=QFileDialog.Option.DontConfirmOverwrite)
        if path:
            self.library_edit.setText(path)

    def _defaults(self) -> None:
        defaults = GroupingParams()
        self.device_combo.setCurrentIndex(0)
        self.radius.setValue(defaults.cluster_radius)
        self.seed_quality.setValue(defaults.seed_quality)
        self.min_group.setValue(defaults.min_group)

    def engine_settings(self, current: EngineSettings) -> EngineSettings:
        grouping = replace(current.grouping, cluster_radius=self.radius.value(),
                           seed_quality=self.seed_quality.value(), min_group=self.min_group.value())
        return EngineSettings(device=Device(self.device_combo.currentData()), grouping=grouping)

    def library_path(self) -> Path:
        return Path(self.library_edit.text()).expanduser()
