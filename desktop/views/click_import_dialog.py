"""Importing clicks (a log, or daily counts): see what the file holds and every problem first, then import."""

from __future__ import annotations

from html import escape
from pathlib import Path
from typing import Any

from PySide6.QtWidgets import QHBoxLayout, QLabel, QWidget

from desktop.db import Database
from desktop.services.click_import import ClickImportResult, import_clicks
from desktop.services.errors import BadInput
from desktop.views.import_parts import ImportDialog, dates_combo
from desktop.views.page_parts import table_of
from desktop.views.tasks import run_with_progress

SHAPES = {"clicks": "a click log, one row per click", "daily": "daily click counts per affiliate"}


class ClickImportDialog(ImportDialog):
    """Reads the file as a dry run when opened; Import writes it. Both run off the GUI thread and can be cancelled."""

    def __init__(self, db: Database, path: Path, parent: QWidget | None = None):
        super().__init__(parent)
        self.db = db
        self.path = path
        self.preview: ClickImportResult | None = None
        self.problems: list[Any] = []
        self.result: ClickImportResult | None = None
        self.setWindowTitle("Import clicks")
        self.resize(820, 520)
        self.file_label = QLabel(str(path))
        self.dates = dates_combo()
        top = QHBoxLayout()
        top.addWidget(self.file_label, 1)
        top.addWidget(QLabel("Dates are written"))
        top.addWidget(self.dates)
        self._build(top, self.run_import)
        self.dates.currentIndexChanged.connect(self.run_preview)
        self.run_preview()

    def run_preview(self) -> None:
        self.summary.setText("Reading the file…")
        self.problems = []
        db, path, dates = self.db, self.path, self.dates.currentData()
        self.import_button.setEnabled(False)
        self.task = run_with_progress(
            self,
            "Reading the clicks…",
            lambda progress: import_clicks(db, path, dry_run=True, progress=progress, date_order=dates),
            self.show_preview,
            self._failed,
        )
        self.task.cancelled.connect(lambda: self.summary.setText("Reading cancelled: nothing was changed."))

    def show_preview(self, preview: ClickImportResult) -> None:
        self.preview = preview
        lines = preview.lines()[:-1]  # without "Dry run: nothing was changed."
        self.summary.setText(
            f"<b>Read as {SHAPES[preview.shape]}.</b> " + " ".join(escape(line) for line in lines)
            + "<br>Nothing is saved until you click <b>Import</b>."
        )  # fmt: skip
        self.tabs.clear()
        self.tabs.addTab(table_of(("Column in the file", "Read as"), list(preview.columns)), "Recognised columns")
        self.import_button.setEnabled(preview.rows > 0)

    def _failed(self, exc: Exception) -> None:
        self.tabs.clear()
        if isinstance(exc, BadInput):
            self.problems = list(exc.problems)
            self.summary.setText(
                f"<b style='color:#b3261e'>{len(self.problems):,} problem(s): fix the file and try again.</b> "
                "Nothing is imported while any row is wrong."
            )
            self.add_problems_tab(self.problems)
        else:
            self.summary.setText(f"<b style='color:#b3261e'>Cannot read this file.</b> {escape(str(exc))}")

    def run_import(self) -> None:
        db, path, dates = self.db, self.path, self.dates.currentData()
        self.import_button.setEnabled(False)

        def done(result: ClickImportResult) -> None:
            self.result = result
            self.accept()

        def failed(exc: Exception) -> None:
            self._failed(exc)
            self.summary.setText(f"<b style='color:#b3261e'>Nothing was imported.</b> {self.summary.text()}")

        def cancelled() -> None:
            self.summary.setText("Import cancelled: nothing was changed.")
            self.import_button.setEnabled(True)

        self.task = run_with_progress(
            self,
            "Importing clicks…",
            lambda progress: import_clicks(db, path, progress=progress, date_order=dates),
            done,
            failed,
        )
        self.task.cancelled.connect(cancelled)
