"""A chart on screen: a service-built matplotlib Figure in a Qt canvas (loaded on first use), with "Save chart…"."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from PySide6.QtCore import QSettings, Qt
from PySide6.QtWidgets import QFileDialog, QFrame, QHBoxLayout, QLabel, QMessageBox, QPushButton, QVBoxLayout, QWidget

from desktop.services.charts import Chart, save_figure
from desktop.services.errors import ServiceError

FILTERS = "PNG image (*.png);;SVG image (*.svg)"


class ChartWidget(QFrame):
    """Shows one Chart; `set_chart` swaps it. The canvas class is imported when the first chart arrives."""

    def __init__(self, name: str, parent: QWidget | None = None, height: int = 300):
        super().__init__(parent)
        self.setObjectName("card")
        self.name = name  # the suggested file name
        self.chart: Chart | None = None
        self.canvas: Any = None
        layout = QVBoxLayout(self)
        layout.setContentsMargins(8, 8, 8, 6)
        self.placeholder = QLabel("Loading chart…")
        self.placeholder.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.placeholder.setObjectName("pageSubtitle")
        self.placeholder.setMinimumHeight(height)
        layout.addWidget(self.placeholder, 1)
        bar = QHBoxLayout()
        bar.addStretch(1)
        self.save_button = QPushButton("Save chart…")
        self.save_button.setEnabled(False)
        self.save_button.setToolTip("Save this chart as a PNG or SVG image")
        self.save_button.clicked.connect(self.ask_save)
        bar.addWidget(self.save_button)
        layout.addLayout(bar)
        self._height = height

    def set_chart(self, chart: Chart) -> None:
        from matplotlib.backends.backend_qtagg import FigureCanvasQTAgg  # first chart shown: matplotlib loads now

        old = self.canvas
        self.chart = chart
        self.canvas = FigureCanvasQTAgg(chart.figure)
        self.canvas.setMinimumHeight(self._height)
        layout = self.layout()
        assert isinstance(layout, QVBoxLayout)
        if old is not None:
            layout.replaceWidget(old, self.canvas)
            old.setParent(None)
            old.deleteLater()
        else:
            layout.replaceWidget(self.placeholder, self.canvas)
            self.placeholder.hide()
        self.canvas.draw_idle()
        self.save_button.setEnabled(not chart.empty)

    def ask_save(self) -> None:
        if self.chart is None:
            return
        settings = QSettings()
        folder = str(settings.value("files/chart_folder", str(Path.home())))
        path, chosen = QFileDialog.getSaveFileName(self, "Save chart", str(Path(folder) / f"{self.name}.png"), FILTERS)
        if not path:
            return
        target = Path(path)
        if target.suffix.lower() not in (".png", ".svg"):
            target = target.with_suffix(".svg" if "SVG" in chosen else ".png")
        try:
            self.save_to(target)
        except (OSError, ValueError, ServiceError) as exc:
            QMessageBox.warning(self, "Save chart", f"The chart could not be saved: {exc}")
            return
        settings.setValue("files/chart_folder", str(target.parent))

    def save_to(self, path: Path) -> Path:
        assert self.chart is not None
        return save_figure(self.chart.figure, path)
