"""Importing a shop's orders export: choose the file, see what it holds and every problem, then import."""

from __future__ import annotations

from html import escape
from pathlib import Path
from typing import Any

from PySide6.QtCore import QSettings
from PySide6.QtWidgets import (
    QComboBox,
    QFileDialog,
    QHBoxLayout,
    QLabel,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from desktop.db import Database
from desktop.money import format_money
from desktop.services.conversion_import import (
    ConversionPreview,
    ConversionSummary,
    import_conversions,
    preview_conversions,
)
from desktop.services.conversion_mappings import get_saved_mapping, list_mappings
from desktop.services.conversion_presets import FIELDS, PRESET_LABELS, PRESETS
from desktop.services.conversion_values import DATE_ORDERS, both_readings
from desktop.services.fraud_rules import plural
from desktop.views.import_parts import ImportDialog, dates_combo
from desktop.views.page_parts import table_of
from desktop.views.tasks import run_with_progress


def _plain(text: str) -> str:
    """Text shown in a rich-text label as it is (quotes can stay: they are not markup there)."""
    return escape(text, quote=False)


class ConversionImportDialog(ImportDialog):
    def __init__(self, db: Database, path: Path | None = None, parent: QWidget | None = None):
        super().__init__(parent)
        self.db = db
        self.path: Path | None = None
        self.preview: ConversionPreview | None = None
        self.result: Any = None
        self.mapping: dict[str, str] | None = None
        self.date_order: str | None = None  # the mapping's
        self.setWindowTitle("Import orders")
        self.resize(900, 620)

        top = QVBoxLayout()
        file_row, shape_row = QHBoxLayout(), QHBoxLayout()
        self.file_label = QLabel("No file chosen.")
        self.choose_button = QPushButton("Choose file…")
        self.format = QComboBox()
        self.format.addItem("Detect the format", ("detect", None))
        for preset in PRESETS:
            self.format.addItem(f"{preset.capitalize()} export", ("preset", preset))
        for saved in list_mappings(db):
            self.format.addItem(f"Saved mapping: {saved.name}", ("mapping", saved.name))
        self.map_button = QPushButton("Map columns…")
        self.dates = dates_combo()
        file_row.addWidget(self.file_label, 1)
        file_row.addWidget(self.choose_button)
        shape_row.addWidget(QLabel("Format"))
        shape_row.addWidget(self.format)
        shape_row.addWidget(self.map_button)
        shape_row.addSpacing(16)
        shape_row.addWidget(QLabel("Dates are written"))
        shape_row.addWidget(self.dates)
        shape_row.addStretch(1)
        top.addLayout(file_row)
        top.addLayout(shape_row)

        self._build(top, self.run_import)
        self.choose_button.clicked.connect(self.choose_file)
        self.format.currentIndexChanged.connect(self._format_changed)
        self.dates.currentIndexChanged.connect(self._dates_changed)
        self.map_button.clicked.connect(self.edit_mapping)
        if path is not None:
            self.set_path(path)

    def choose_file(self) -> None:
        settings = QSettings()
        folder = str(settings.value("files/import_folder", str(Path.home())))
        chosen, _ = QFileDialog.getOpenFileName(self, "Import orders", folder, "Shop exports (*.csv *.xlsx)")
        if chosen:
            settings.setValue("files/import_folder", str(Path(chosen).parent))
            self.set_path(Path(chosen))

    def set_path(self, path: Path) -> None:
        self.path = path
        self.file_label.setText(str(path))
        self.run_preview()

    def _format_changed(self) -> None:
        kind, value = self.format.currentData()
        saved = get_saved_mapping(self.db, value) if kind == "mapping" else None
        self.mapping = saved.as_dict() if saved else None
        self.date_order = saved.date_order if saved else None
        if self.path is not None:
            self.run_preview()

    def _dates_changed(self) -> None:
        if self.path is not None:
            self.run_preview()

    def _options(self) -> dict[str, Any]:
        """What the import is told: the format, and how dates are written when the user said (here, or in the
        mapping); else the file's dates show it."""
        kind, value = self.format.currentData()
        options: dict[str, Any] = {"date_order": self.dates.currentData()}
        if self.mapping is not None:
            options["mapping"] = self.mapping
            options["date_order"] = options["date_order"] or self.date_order
        elif kind == "preset":
            options["preset"] = value
        return options

    def edit_mapping(self) -> None:
        if self.path is None:
            return
        from desktop.views.column_mapping_dialog import ColumnMappingDialog

        mapping, date_order = self.mapping, self.date_order
        found = self.preview.summary if self.preview is not None else None
        if mapping is None and found is not None and found.preset == "mapping":  # a saved mapping fitted the file
            mapping = {field: column for column, field in found.columns}
            date_order = found.date_order
        dialog = ColumnMappingDialog(self.db, self.path, mapping, self, date_order)
        if dialog.exec():
            self.mapping = dialog.mapping()
            self.date_order = dialog.date_order()
            if dialog.saved_name:
                self.format.addItem(f"Saved mapping: {dialog.saved_name}", ("mapping", dialog.saved_name))
            self.run_preview()

    # preview and import -------------------------------------------------------------------------------

    def run_preview(self) -> None:
        assert self.path is not None
        self.import_button.setEnabled(False)
        self.summary.setText("Reading the file…")
        db, path, options = self.db, self.path, self._options()
        self.task = run_with_progress(
            self,
            "Reading the file…",
            lambda progress: preview_conversions(db, path, progress=progress, **options),
            self.show_preview,
            self._failed,
        )

    def _failed(self, exc: Exception) -> None:
        self.summary.setText(f"<b style='color:#b3261e'>Cannot read this file.</b> {_plain(str(exc))}")
        self.tabs.clear()

    def show_preview(self, preview: ConversionPreview) -> None:
        self.preview = preview
        s = preview.summary
        self.map_button.setDefault(s.preset == "unknown")
        whole_file = [p for p in preview.problems if p.line is None and p.column is None]
        if s.rows == 0 and whole_file:  # empty, only a header, or not a table at all: mapping cannot help
            self.map_button.setDefault(False)
            self.summary.setText(f"<b style='color:#b3261e'>{_plain(str(whole_file[0]))}</b>")
            self.tabs.clear()
            self.add_problems_tab(preview.problems)
            self.import_button.setEnabled(False)
            return
        if s.preset == "unknown" and not s.columns:  # no preset fits the header, and no saved mapping either
            self.summary.setText(
                "<b>These columns are not a Shopify, WooCommerce, Stripe or generic orders file.</b> Tell Affiliate "
                "Desk which column holds what with <b>Map columns…</b> (save the mapping, and next month's file "
                "is read with it by itself), or choose the format above if you know it."
            )
            self.tabs.clear()
            self.add_problems_tab(preview.problems)
            self.import_button.setEnabled(False)
            return
        if s.dates_unclear:  # nothing else can be said before the dates are
            readings = both_readings(s.dates_unclear)
            self.summary.setText(
                f"<b>How does this file write its dates?</b> '{escape(s.dates_unclear)}' could be {readings}, and "
                "no date in the file shows which. Choose under <b>Dates are written</b> above; the whole file is "
                "read that way."
            )
            self.tabs.clear()
            self.add_problems_tab(preview.problems)
            self.dates.setFocus()
            self.import_button.setEnabled(False)
            return
        attribution = ", ".join(f"{n:,} {kind}" for kind, n in s.by_attribution) or "none"
        days = f"{s.first_day} to {s.last_day}" if s.first_day else "no dates"
        dates = ""
        if s.date_order != "ymd":
            why = f" ({s.date_reason})" if s.date_reason else ""
            dates = f" Dates: {DATE_ORDERS[s.date_order].split(' (')[0]}{_plain(why)}."
        text = (
            f"<b>{plural(s.orders, 'order')}</b> in {plural(s.rows, 'row')} ({days}), "
            f"{_plain(format_money(s.amount, s.currency))} in total. "
            f"<b>{s.new:,} new, {s.updated:,} updated, {s.unchanged:,} unchanged.</b><br>"
            f"Read as: {_plain(_read_as(s))}. {_plain(s.amounts_note)}{dates}<br>"
            f"Attribution: {attribution}."
        )
        if s.future_note:
            text += f"<br><b style='color:#9a6700'>{_plain(s.future_note)}</b>"
        if s.unknown_coupons:
            text += " Coupons that belong to no affiliate: " + ", ".join(
                f"{_plain(code)} ({n})" for code, n in s.unknown_coupons[:8]
            )
        if preview.problem_count:
            text += (
                f"<br><b style='color:#b3261e'>{preview.problem_count:,} problem(s): fix the file (or the "
                "column mapping) and try again. Nothing is imported while any row is wrong.</b>"
            )
        self.summary.setText(text)
        self.tabs.clear()
        if preview.problems:
            self.add_problems_tab(preview.problems, preview.problem_count)
        columns = [(column, readable_meaning(meaning)) for column, meaning in s.columns]
        self.tabs.addTab(table_of(("Column in the file", "Read as"), columns), "Recognised columns")
        self.tabs.addTab(
            table_of(
                ("Line", "Order", "Date", "Status", "Amount", "Affiliate", "Attribution", "Change"),
                [
                    (
                        o.line,
                        o.order_id,
                        f"{o.occurred_at:%Y-%m-%d %H:%M}",
                        o.status,
                        f"{o.amount:,.2f}",
                        o.affiliate_code or "—",
                        o.attribution_detail,
                        o.change,
                    )
                    for o in preview.sample
                ],
            ),
            "First orders",
        )
        self.import_button.setEnabled(preview.ok and s.orders > 0)

    def run_import(self) -> None:
        assert self.path is not None
        db, path, options = self.db, self.path, self._options()
        self.import_button.setEnabled(False)

        def done(result: Any) -> None:
            self.result = result
            self.accept()

        def failed(exc: Exception) -> None:
            self.summary.setText(f"<b style='color:#b3261e'>Nothing was imported.</b> {_plain(str(exc))}")
            self.import_button.setEnabled(True)

        def cancelled() -> None:
            self.summary.setText("Import cancelled: nothing was changed.")
            self.import_button.setEnabled(True)

        self.task = run_with_progress(
            self,
            "Importing orders…",
            lambda progress: import_conversions(db, path, progress=progress, **options),
            done,
            failed,
        )
        self.task.cancelled.connect(cancelled)


def _read_as(summary: ConversionSummary) -> str:
    """How the file is read: the preset and why (its reason names it), or a saved mapping that fitted; columns
    mapped in the window listed in the words of the Recognised columns tab."""
    label = PRESET_LABELS["mapping"]
    if summary.preset == "mapping" and summary.preset_reason.startswith(label):
        mapped = "; ".join(f"'{column}' as {readable_meaning(meaning)}" for column, meaning in summary.columns)
        return f"{label}: {mapped}"
    return summary.preset_reason or summary.preset


def readable_meaning(meaning: str) -> str:
    """What a column is read as, in words: "customer_email" -> "Customer email", "affiliate_code (a tag …)" ->
    "Affiliate (referral) code (a tag …)"; the shops' own notes ("line discount") as they are."""
    field, _, rest = meaning.partition(" ")
    if field not in FIELDS:
        return meaning
    label = FIELDS[field].split(" (required")[0].split(" (default")[0]
    return f"{label} {rest}" if rest else label
