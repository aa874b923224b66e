"""The Reports page: performance reviews, affiliate statements and the program report; preview, print, PDF, XLSX."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date
from pathlib import Path
from typing import Any

from PySide6.QtCore import Qt
from PySide6.QtWidgets import (
    QButtonGroup,
    QComboBox,
    QDialog,
    QFileDialog,
    QFormLayout,
    QHBoxLayout,
    QLabel,
    QMessageBox,
    QProgressDialog,
    QPushButton,
    QRadioButton,
    QVBoxLayout,
    QWidget,
)

from desktop.db import Database
from desktop.services.errors import ServiceError
from desktop.services.metrics import DateRange, add_months
from desktop.services.reports import (
    PER_AFFILIATE,
    REPORT_KINDS,
    AffiliateChoice,
    export_statement_xlsx,
    list_report_affiliates,
    period_key,
    period_label,
    program_report_data,
    report_file_name,
    review_data,
    statement_data,
)
from desktop.views.page_parts import page_title
from desktop.views.report_batch import BatchResult, ReportBatch, document_for, iter_batch_data
from desktop.views.report_render import (
    page_size_for,
    preview,
    print_to_pdf,
    print_to_printer,
    program_document,
    report_printer,
    statement_document,
)
from desktop.views.tasks import ProgressFn, Task, run_with_progress

MONTHS_BACK = 36
ALL = -1  # the affiliate combo's "All active affiliates"


class ReportsPage(QWidget):
    title = "Reports"

    def __init__(self, db: Database, parent: QWidget | None = None):
        super().__init__(parent)
        self.db = db
        self.task: Task | None = None
        self.batch: ReportBatch | None = None
        self.last_documents: list[Any] = []
        self.last_paths: list[Path] = []
        layout = QVBoxLayout(self)
        layout.setContentsMargins(24, 24, 24, 24)  # as every other page
        layout.addWidget(page_title("Reports", "Performance reviews to hand over, statements to send to affiliates "
                                    "and the program report: preview, print, or save as PDF."))  # fmt: skip
        form = QFormLayout()
        form.setFieldGrowthPolicy(QFormLayout.FieldGrowthPolicy.FieldsStayAtSizeHint)
        self.kind = QComboBox()
        for key, label in REPORT_KINDS.items():
            self.kind.addItem(label, key)
        self.period = QComboBox()
        self.until = QComboBox()  # statements may cover several months
        self.until_label = QLabel("to")
        months = QHBoxLayout()
        months.addWidget(self.period)
        months.addWidget(self.until_label)
        months.addWidget(self.until)
        months.addStretch(1)
        self.affiliate = QComboBox()
        self.affiliate.setMinimumWidth(320)
        self.one_each = QRadioButton("One PDF per affiliate, in a folder")
        self.combined = QRadioButton("One combined PDF")
        self.one_each.setChecked(True)
        self.batch_mode = QButtonGroup(self)
        self.batch_mode.addButton(self.one_each)
        self.batch_mode.addButton(self.combined)
        batch_row = QHBoxLayout()
        batch_row.addWidget(self.one_each)
        batch_row.addWidget(self.combined)
        batch_row.addStretch(1)
        self.batch_box = QWidget()
        self.batch_box.setLayout(batch_row)
        batch_row.setContentsMargins(0, 0, 0, 0)
        form.addRow("Report", self.kind)
        form.addRow("Period", months)
        form.addRow("Affiliate", self.affiliate)
        form.addRow("", self.batch_box)
        layout.addLayout(form)
        buttons = QHBoxLayout()
        self.preview_button = QPushButton("Preview…")
        self.print_button = QPushButton("Print…")
        self.pdf_button = QPushButton("Save PDF…")
        self.xlsx_button = QPushButton("Save XLSX…")
        for button, slot in ((self.preview_button, self.preview), (self.print_button, self.print_reports),
                             (self.pdf_button, self.save_pdf), (self.xlsx_button, self.save_xlsx)):  # fmt: skip
            button.clicked.connect(lambda _checked=False, run=slot: run())
            buttons.addWidget(button)
        buttons.addStretch(1)
        layout.addLayout(buttons)
        self.status = QLabel()
        self.status.setWordWrap(True)
        self.status.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        layout.addWidget(self.status)
        layout.addStretch(1)
        self.kind.currentIndexChanged.connect(self._update)
        self.affiliate.currentIndexChanged.connect(self._update)
        self._fill_periods()
        self.refresh()

    # --- choices ----------------------------------------------------------------------------------------------

    def _fill_periods(self, today: date | None = None) -> None:
        this = (today or date.today()).strftime("%Y-%m")
        for combo in (self.period, self.until):
            combo.clear()
            for back in range(MONTHS_BACK):
                period = add_months(this, -back)
                combo.addItem(period_label(period), period)
            combo.setCurrentIndex(1)  # last month: the one usually reviewed

    def refresh(self) -> None:
        """Reload the affiliates (keeping the choice)."""
        chosen = self.affiliate.currentData()
        self.affiliates = list_report_affiliates(self.db)
        self.affiliate.blockSignals(True)
        self.affiliate.clear()
        self.affiliate.addItem("All active affiliates", ALL)
        for choice in self.affiliates:
            self.affiliate.addItem(choice.label, choice.id)
        index = self.affiliate.findData(chosen) if chosen is not None else -1
        self.affiliate.setCurrentIndex(max(index, 0))
        self.affiliate.blockSignals(False)
        self._update()

    def _update(self) -> None:
        kind = self.report_kind()
        per_affiliate = kind in PER_AFFILIATE
        everyone = per_affiliate and self.affiliate.currentData() == ALL
        self.affiliate.setEnabled(per_affiliate)
        self.until.setVisible(kind == "statement")
        self.until_label.setVisible(kind == "statement")
        self.batch_box.setVisible(everyone)
        self.xlsx_button.setEnabled(kind == "statement" and not everyone)
        self.pdf_button.setText("Save PDFs…" if everyone else "Save PDF…")

    def select(self, kind: str, period: str, affiliate_id: int | None = None, until: str | None = None) -> None:
        """Choose what to report on (also for tests): affiliate None means all active affiliates."""
        self.kind.setCurrentIndex(self.kind.findData(kind))
        self.period.setCurrentIndex(max(self.period.findData(period), 0))
        self.until.setCurrentIndex(max(self.until.findData(until or period), 0))
        self.affiliate.setCurrentIndex(max(self.affiliate.findData(ALL if affiliate_id is None else affiliate_id), 0))
        self._update()

    def report_kind(self) -> str:
        return str(self.kind.currentData())

    def chosen_period(self) -> str | DateRange:
        first = str(self.period.currentData())
        if self.report_kind() != "statement":
            return first
        last = str(self.until.currentData())
        return first if last == first else DateRange.months(min(first, last), max(first, last))

    def chosen_affiliates(self) -> list[AffiliateChoice]:
        wanted = self.affiliate.currentData()
        if wanted == ALL:
            return [a for a in self.affiliates if a.status == "active"]
        return [a for a in self.affiliates if a.id == wanted]

    def _everyone(self) -> bool:
        return self.report_kind() in PER_AFFILIATE and self.affiliate.currentData() == ALL

    # --- gathering the data in the background --------------------------------------------------------------

    def _gather(self, then: Callable[[list[Any]], None]) -> None:
        kind, period, people = self.report_kind(), self.chosen_period(), self.chosen_affiliates()
        if kind in PER_AFFILIATE and not people:
            self._say("There is no active affiliate to report on.")
            return

        def work(progress: ProgressFn) -> list[Any]:
            if kind == "program":
                progress(0, 1, "Gathering the program's figures")
                return [program_report_data(self.db, str(period))]
            if len(people) == 1:
                progress(0, 1, f"Gathering the figures of {people[0].name}")
                one = review_data(self.db, people[0].id, str(period)) if kind == "review" else statement_data(
                    self.db, people[0].id, period)  # fmt: skip
                return [one]
            found = []
            for index, data in enumerate(iter_batch_data(self.db, kind, period, people)):
                progress(index, len(people), f"{people[index].name} ({people[index].code})")
                found.append(data)
            return found

        self.task = run_with_progress(self, "Gathering the figures", work, then, self._error)

    def _documents(self, datas: list[Any]) -> list[Any]:
        kind = self.report_kind()
        if kind == "program":
            documents = [program_document(d) for d in datas]
        elif kind == "statement":
            documents = [statement_document(d) for d in datas]
        else:
            documents = [document_for(kind, d) for d in datas]
        self.last_documents = documents
        return documents

    # --- actions -----------------------------------------------------------------------------------------

    def preview(self) -> None:
        def show(datas: list[Any]) -> None:
            preview(self._documents(datas), self)

        self._gather(show)

    def print_reports(self) -> None:
        from PySide6.QtPrintSupport import QPrintDialog

        def print_them(datas: list[Any]) -> None:
            printer = report_printer()
            if QPrintDialog(printer, self).exec() == QDialog.DialogCode.Accepted:
                pages = print_to_printer(printer, self._documents(datas))
                self._say(f"Sent {pages} page{'s' if pages != 1 else ''} to the printer.")

        self._gather(print_them)

    def _suggested_name(self, suffix: str) -> str:
        text = period_key(self.chosen_period())
        people = self.chosen_affiliates()
        code = people[0].code if self.report_kind() in PER_AFFILIATE and len(people) == 1 else None
        return report_file_name(self.report_kind(), text, code, suffix)

    def save_pdf(self, path: Path | None = None, combined: bool | None = None) -> None:
        """Save the chosen report as PDF; for all active affiliates, a batch (a folder, or one combined file)."""
        if self._everyone():
            self.save_batch(path, self.combined.isChecked() if combined is None else combined)
            return
        if path is None:
            suggested = str(Path.home() / self._suggested_name(".pdf"))
            chosen, _ = QFileDialog.getSaveFileName(self, "Save as PDF", suggested, "PDF (*.pdf)")
            if not chosen:
                return
            path = Path(chosen)
        target = path

        def write(datas: list[Any]) -> None:
            try:
                pages = print_to_pdf(self._documents(datas), target, page_size_for())
            except (OSError, ServiceError) as exc:  # a folder, a database, no such folder: said, not raised
                self._error(exc)
                return
            self.last_paths = [target]
            self._say(f"Saved {target} ({pages} page{'s' if pages != 1 else ''}).")

        self._gather(write)

    def save_batch(self, target: Path | None = None, combined: bool = False) -> ReportBatch | None:
        kind, people = self.report_kind(), self.chosen_affiliates()
        if not people:
            self._say("There is no active affiliate to report on.")
            return None
        if target is None:
            if combined:
                suggested = str(Path.home() / report_file_name(kind, period_key(self.chosen_period()), "all"))
                chosen, _ = QFileDialog.getSaveFileName(self, "Save one combined PDF", suggested, "PDF (*.pdf)")
            else:
                chosen = QFileDialog.getExistingDirectory(self, "Save one PDF per affiliate into", str(Path.home()))
            if not chosen:
                return None
            target = Path(chosen)
        batch = ReportBatch(self.db, kind, self.chosen_period(), people, target, combined=combined,
                            page_size=page_size_for(), parent=self)  # fmt: skip
        dialog = QProgressDialog(f"Printing {len(people)} reports…", "Cancel", 0, len(people), self)
        dialog.setWindowTitle("Printing")
        dialog.setWindowModality(Qt.WindowModality.WindowModal)
        dialog.setMinimumDuration(300)
        dialog.setAutoClose(False)
        dialog.setAutoReset(False)
        dialog.canceled.connect(batch.cancel)

        def progress(done: int, total: int, what: str) -> None:
            dialog.setMaximum(max(total, 1))
            dialog.setValue(done)
            dialog.setLabelText(f"{done} of {total}: {what}")

        def close() -> None:
            dialog.canceled.disconnect(batch.cancel)
            dialog.close()
            dialog.deleteLater()

        def done(result: BatchResult) -> None:
            close()
            self.last_paths = list(result.paths)
            where = str(target) if combined else f"{len(result.paths)} files in {target}"
            self._say(f"Saved {result.documents} reports ({result.pages} pages): {where}.")

        def failed(exc: object) -> None:
            close()
            self._error(exc)

        def cancelled() -> None:
            close()
            self._say("Cancelled: no file was written.")

        batch.progress.connect(progress)
        batch.finished.connect(done)
        batch.failed.connect(failed)
        batch.cancelled.connect(cancelled)
        self.batch = batch
        batch.start()
        return batch

    def save_xlsx(self, path: Path | None = None) -> None:
        people = self.chosen_affiliates()
        if self.report_kind() != "statement" or len(people) != 1:
            return
        if path is None:
            chosen, _ = QFileDialog.getSaveFileName(self, "Save the statement as Excel", str(
                Path.home() / self._suggested_name(".xlsx")), "Excel workbook (*.xlsx)")  # fmt: skip
            if not chosen:
                return
            path = Path(chosen)
        target, period, who = path, self.chosen_period(), people[0]

        def work(progress: ProgressFn) -> Path:
            progress(0, 1, f"Writing the statement of {who.name}")
            return export_statement_xlsx(self.db, who.id, period, target)

        def done(written: Path) -> None:
            self.last_paths = [written]
            self._say(f"Saved {written}.")

        self.task = run_with_progress(self, "Saving the statement", work, done, self._error)

    # --- messages ----------------------------------------------------------------------------------------

    def _say(self, text: str) -> None:
        self.status.setText(text)

    def _error(self, exc: object) -> None:
        self._say(f"Nothing was saved: {exc}")
        if self.isVisible():
            QMessageBox.warning(self, "Reports", str(exc))
