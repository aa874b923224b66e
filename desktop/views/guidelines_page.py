"""Guidelines & terms: edit the documents in Markdown with a live preview, publish, compare, print, acceptances."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import replace
from datetime import date
from html import escape
from pathlib import Path

from PySide6.QtCore import QSize, Qt, QTimer, Signal
from PySide6.QtGui import QFont, QGuiApplication, QKeySequence, QShortcut, QTextDocument
from PySide6.QtPrintSupport import QPrintDialog, QPrinter
from PySide6.QtWidgets import (
    QDialog,
    QDialogButtonBox,
    QFileDialog,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QListWidget,
    QListWidgetItem,
    QPlainTextEdit,
    QPushButton,
    QSplitter,
    QTabWidget,
    QTextBrowser,
    QVBoxLayout,
    QWidget,
)

from desktop.db import Database, DatabaseError
from desktop.services import guidelines as svc
from desktop.services.errors import ServiceError, ValidationFailed
from desktop.views.guideline_panels import AcceptancePanel, SubmitDialog, VersionsPanel, diff_html
from desktop.views.page_parts import page_title


def print_font() -> QFont:
    font = QFont(QGuiApplication.font())
    font.setFeature(QFont.Tag("liga"), 0)  # "Affiliate" must stay searchable text in the PDF
    font.setPointSizeF(10.5)
    return font


def print_markdown(printer: QPrinter, heading: str, markdown: str) -> None:
    document = QTextDocument()
    document.setDefaultFont(print_font())
    document.setMarkdown(f"*{heading}*\n\n{markdown}")
    document.print_(printer)


class GuidelinesPage(QWidget):
    title = "Guidelines & terms"
    announcement_drafted = Signal(object)  # an svc.Announcement, as edited, for the Messages page to draft

    def __init__(self, db: Database, parent: QWidget | None = None):
        super().__init__(parent)
        self.db = db
        self.kind: str | None = None
        self.loaded_text = ""
        self.values: dict[str, str] = {}
        self.documents: tuple[svc.DocumentSummary, ...] = ()
        outer = QVBoxLayout(self)
        outer.setContentsMargins(24, 24, 24, 24)
        outer.addWidget(
            page_title(
                "Guidelines & terms",
                "What affiliates agree to and how they represent your brand. Edit in Markdown, publish numbered "
                "versions, and see who has not accepted the latest terms yet.",
            )
        )
        self.message = QLabel()
        self.message.setTextFormat(Qt.TextFormat.PlainText)  # errors and titles as typed, never markup
        self.message.setWordWrap(True)
        outer.addWidget(self.message)
        splitter = QSplitter(Qt.Orientation.Horizontal)
        self.doc_list = QListWidget()
        self.doc_list.setMinimumWidth(220)
        self.doc_list.setStyleSheet("QListWidget::item:selected { background: #d7ebe5; }")
        self.doc_list.currentRowChanged.connect(self._document_chosen)
        splitter.addWidget(self.doc_list)
        self.tabs = QTabWidget()
        self.tabs.addTab(self._edit_tab(), "Edit")
        self.versions_panel = VersionsPanel(db, self)
        self.versions_panel.announce_button.clicked.connect(lambda: self.show_announcement())
        self.tabs.addTab(self.versions_panel, "Versions")
        self.acceptance_panel = AcceptancePanel(db, self, self._say)
        self.tabs.addTab(self.acceptance_panel, "Acceptance")
        self.tabs.currentChanged.connect(lambda _i: self._load_tab())
        splitter.addWidget(self.tabs)
        splitter.setStretchFactor(1, 1)
        splitter.setSizes([240, 900])
        outer.addWidget(splitter, 1)
        # the tabs' widgets, reached from the page as before the tabs had classes of their own
        self.version_list, self.version_view = self.versions_panel.version_list, self.versions_panel.version_view
        self.acceptance_label = self.acceptance_panel.acceptance_label
        self.pending_table = self.acceptance_panel.pending_table
        self.accepted_table = self.acceptance_panel.accepted_table
        self.preview_timer = QTimer(self, singleShot=True, interval=150, timeout=self._update_preview)
        QShortcut(QKeySequence(QKeySequence.StandardKey.Save), self, self.save_draft)

    # building -------------------------------------------------------------------------------------------

    def _edit_tab(self) -> QWidget:
        tab = QWidget()
        layout = QVBoxLayout(tab)
        bar = QHBoxLayout()
        self.save_button = QPushButton("Save draft")
        self.publish_button = QPushButton("Publish…")
        self.publish_button.setObjectName("primary")
        self.print_button = QPushButton("Print…")
        self.pdf_button = QPushButton("Save as PDF…")
        self.state_label = QLabel()
        self.state_label.setObjectName("pageSubtitle")
        for button, slot in (
            (self.save_button, self.save_draft),
            (self.publish_button, lambda: self.publish()),
            (self.print_button, self.print_document),
            (self.pdf_button, lambda: self.save_pdf()),
        ):
            button.clicked.connect(slot)
        for widget in (self.save_button, self.publish_button, self.state_label):
            bar.addWidget(widget)
        bar.addStretch(1)
        bar.addWidget(self.print_button)
        bar.addWidget(self.pdf_button)
        layout.addLayout(bar)
        hint = QLabel(
            "Fields filled in from the program settings: {program_name}, {cookie_days}, {attribution}, "
            "{coupon_rule}, {payout_threshold}, {currency}, {hold_days}, {plans}."
        )
        hint.setObjectName("pageSubtitle")
        hint.setWordWrap(True)
        layout.addWidget(hint)
        self.placeholder_warning = QLabel()  # a mistyped {placeholder} would reach the affiliates as written
        self.placeholder_warning.setTextFormat(Qt.TextFormat.PlainText)
        self.placeholder_warning.setStyleSheet("color: #b3261e;")
        self.placeholder_warning.setWordWrap(True)
        self.placeholder_warning.hide()
        layout.addWidget(self.placeholder_warning)
        split = QSplitter(Qt.Orientation.Horizontal)
        self.editor = QPlainTextEdit()
        self.editor.setFont(QFont("monospace"))
        self.editor.textChanged.connect(self._text_changed)
        self.preview = QTextBrowser()
        self.preview.setOpenExternalLinks(True)
        split.addWidget(self.editor)
        split.addWidget(self.preview)
        layout.addWidget(split, 1)
        return tab

    # loading --------------------------------------------------------------------------------------------

    def _call(self, call: Callable[[], object]) -> object | None:
        try:
            return call()
        except (ServiceError, DatabaseError) as exc:
            self._say(str(exc), error=True)
            return None

    def _say(self, text: str, error: bool = False) -> None:
        self.message.setStyleSheet(f"color: {'#b3261e' if error else '#1f6f5c'};")
        self.message.setText(text)

    def refresh(self) -> None:
        if self.kind is not None and self._dirty():
            self.save_draft()
        svc.ensure_starter_documents(self.db)
        self.values = svc.placeholder_values(self.db)
        self.documents = svc.list_documents(self.db)
        keep = self.kind
        self.doc_list.blockSignals(True)
        self.doc_list.clear()
        for doc in self.documents:
            state = f"version {doc.latest_version}" if doc.latest_version else "not published yet"
            if doc.latest_version and doc.unpublished_changes:
                state += " · unpublished changes"
            label = QLabel(f"<b>{escape(doc.title)}</b><br><span style='color:#5b6b67'>{state}</span>")
            label.setContentsMargins(8, 6, 8, 6)
            label.setAttribute(Qt.WidgetAttribute.WA_TransparentForMouseEvents)
            item = QListWidgetItem()
            item.setSizeHint(label.sizeHint() + QSize(0, 4))
            self.doc_list.addItem(item)
            self.doc_list.setItemWidget(item, label)
        self.doc_list.blockSignals(False)
        kinds = [doc.kind for doc in self.documents]
        self.kind = None
        self.doc_list.setCurrentRow(kinds.index(keep) if keep in kinds else 0)

    def select_document(self, kind: str) -> None:
        self.doc_list.setCurrentRow([doc.kind for doc in self.documents].index(kind))

    def current(self) -> svc.DocumentSummary | None:
        return next((doc for doc in self.documents if doc.kind == self.kind), None)

    def _document_chosen(self, row: int) -> None:
        if self.kind is not None and self._dirty():
            self.save_draft()
        self.kind = self.documents[row].kind if 0 <= row < len(self.documents) else None
        if self.kind is None:
            return
        draft = svc.get_draft(self.db, self.kind)
        self.loaded_text = draft.markdown
        self.editor.blockSignals(True)
        self.editor.setPlainText(draft.markdown)
        self.editor.blockSignals(False)
        self._update_preview()
        self._update_state()
        self._load_tab()

    def _load_tab(self) -> None:
        if self.kind is None:
            return
        if self.tabs.currentIndex() == 1:
            self.versions_panel.load()
        elif self.tabs.currentIndex() == 2:
            self.acceptance_panel.load()

    def _dirty(self) -> bool:
        return self.editor.toPlainText() != self.loaded_text

    def _text_changed(self) -> None:
        self.preview_timer.start()
        self._update_state()

    def _update_preview(self) -> None:
        bar = self.preview.verticalScrollBar()
        share = bar.value() / bar.maximum() if bar.maximum() else 0.0
        self.preview.setMarkdown(svc.fill_placeholders(self.editor.toPlainText(), self.values))
        problem = svc.placeholder_problem(self.editor.toPlainText(), self.values)
        self.placeholder_warning.setText(problem or "")
        self.placeholder_warning.setVisible(problem is not None)
        bar.setValue(int(share * bar.maximum()))

    def _update_state(self) -> None:
        doc = self.current()
        self.save_button.setEnabled(self._dirty())
        if doc is None:
            return
        self.publish_button.setEnabled(doc.latest_version is None or doc.unpublished_changes or self._dirty())
        state = "Unsaved changes" if self._dirty() else "Draft saved"
        if doc.latest_version is None:
            state += " · not published yet"
        elif doc.unpublished_changes or self._dirty():
            state += f" · differs from the published version {doc.latest_version}"
        self.state_label.setText(state)

    # actions --------------------------------------------------------------------------------------------

    def keep_unsaved(self) -> str | None:
        """Before the window closes: the draft is saved, as when another document is chosen; what could not be,
        named."""
        self.save_draft()
        doc = self.current()
        return f"the draft of “{doc.title if doc else self.kind}”" if self.kind is not None and self._dirty() else None

    def save_draft(self) -> None:
        if self.kind is None or not self._dirty():
            return
        text = self.editor.toPlainText()
        try:
            svc.save_draft(self.db, self.kind, text)
        except (ServiceError, DatabaseError) as exc:
            self._say(str(exc), error=True)
            return
        self.loaded_text = text
        self.documents = svc.list_documents(self.db)
        self._update_state()

    def ask_summary(self, number: int) -> str | None:
        """What changed, asked in a dialog with the changes shown (tests answer it without the dialog)."""
        summary = QPlainTextEdit()
        summary.setPlaceholderText("In a sentence or two: what changed? It goes into the announcement.")
        summary.setMaximumHeight(90)
        changes = QTextBrowser()
        doc = self.current()
        if doc is not None and doc.latest_version and self.kind is not None:
            changes.setHtml(diff_html(svc.diff_versions(self.db, self.kind, doc.latest_version, svc.DRAFT)))
        else:
            changes.setMarkdown(svc.fill_placeholders(self.editor.toPlainText(), self.values))
        result: list[str] = []

        def submit() -> str | None:
            text = summary.toPlainText().strip()
            if number > 1 and not text:
                return "Say what changed: affiliates read it in the announcement."
            result.append(text)
            return None

        dialog = SubmitDialog(self, f"Publish version {number}", "Publish", submit)
        dialog.form.addRow("What changed", summary)
        dialog.form.addRow("Changes", changes)
        dialog.resize(720, 520)
        return result[0] if dialog.exec() == QDialog.DialogCode.Accepted and result else None

    def publish(self, summary: str | None = None) -> int | None:
        doc = self.current()
        if doc is None or self.kind is None:
            return None
        self.save_draft()
        kind = self.kind
        summary = summary if summary is not None else self.ask_summary((doc.latest_version or 0) + 1)
        if summary is None:
            return None
        try:
            number = svc.publish(self.db, kind, summary)
        except ValidationFailed as exc:
            self._say(next(iter(exc.errors.values())), error=True)
            return None
        except (ServiceError, DatabaseError) as exc:
            self._say(str(exc), error=True)
            return None
        self.refresh()
        self._say(f"{doc.title}: version {number} published.")
        if number > 1 or doc.requires_acceptance:
            self.show_announcement(number)
        return number

    def show_announcement(self, number: int | None = None, show: bool = True) -> svc.Announcement | None:
        """The announcement of a published version, in a dialog where it can be edited, then drafted on the
        Messages page (announcement_drafted) or copied."""
        if self.kind is None:
            return None
        kind = self.kind
        announcement = self._call(lambda: svc.draft_announcement(self.db, kind, number))
        if not isinstance(announcement, svc.Announcement):
            return None
        if show:
            subject = QLineEdit(announcement.subject)
            body = QPlainTextEdit(announcement.body)
            edited: list[svc.Announcement] = []

            def submit() -> str | None:
                if not subject.text().strip():
                    return "Give the announcement a subject."
                edited.append(replace(announcement, subject=subject.text().strip(), body=body.toPlainText()))
                return None

            def copy() -> None:  # to paste it elsewhere: nothing is drafted
                self._copy(subject, body)
                dialog.done(QDialog.DialogCode.Rejected)

            dialog = SubmitDialog(self, "Announcement", "Draft it on the Messages page", submit)
            dialog.buttons.addButton("Copy and close", QDialogButtonBox.ButtonRole.ActionRole).clicked.connect(copy)
            dialog.accepted.connect(lambda: self.announcement_drafted.emit(edited[-1]))  # once it is closed
            dialog.form.addRow("Subject", subject)
            dialog.form.addRow("Text", body)
            dialog.form.addRow("", QLabel(self._audience(announcement)))
            dialog.resize(640, 480)
            dialog.open()
            self.announcement_dialog = dialog
        return announcement

    @staticmethod
    def _audience(announcement: svc.Announcement) -> str:
        """Who the announcement reaches by e-mail, and how many it cannot."""
        reached, missed = announcement.recipients, announcement.without_email
        text = f"For the {reached} active affiliate{'' if reached == 1 else 's'} with an e-mail address."
        if missed:
            text += (f" {missed} active affiliate{' has' if missed == 1 else 's have'} no e-mail address: "
                     "tell them another way.")  # fmt: skip
        return text

    def _copy(self, subject: QLineEdit, body: QPlainTextEdit) -> None:
        QGuiApplication.clipboard().setText(f"Subject: {subject.text()}\n\n{body.toPlainText()}")

    # versions and acceptance: their tabs do the work ----------------------------------------------------

    def show_diff(self, a: int | None = None, b: int | None = None) -> None:
        self.versions_panel.show_diff(a, b)

    def record_acceptance(self, accepted_on: date | None = None, method: str | None = None) -> int:
        return self.acceptance_panel.record_acceptance(accepted_on, method)

    # printing -------------------------------------------------------------------------------------------

    def printable(self) -> tuple[str, str]:
        """The heading and Markdown of what is on screen: the version shown, else the draft as previewed."""
        assert self.kind is not None
        doc = self.current()
        title = doc.title if doc else self.kind
        info = self.versions_panel.selected_version() if self.tabs.currentIndex() == 1 else None
        program = self.values.get("program_name", "")
        if info is not None:
            text = svc.get_version(self.db, self.kind, info.number).markdown
            return f"{program} · {title} · version {info.number} of {svc.long_date(info.published_at)}", text
        text = svc.fill_placeholders(self.editor.toPlainText(), self.values)
        published = doc is not None and doc.latest_version and not doc.unpublished_changes and not self._dirty()
        state = f"version {doc.latest_version}" if published and doc else "draft, not published"
        return f"{program} · {title} · {state}", text

    def print_document(self) -> None:
        if self.kind is None:
            return
        printer = QPrinter(QPrinter.PrinterMode.HighResolution)
        if QPrintDialog(printer, self).exec() == QDialog.DialogCode.Accepted:
            print_markdown(printer, *self.printable())

    def save_pdf(self, path: str | None = None) -> str | None:
        if self.kind is None:
            return None
        if path is None:
            doc = self.current()
            suggested = str(Path.home() / ((doc.title if doc else self.kind).lower().replace(" ", "-") + ".pdf"))
            path, _ = QFileDialog.getSaveFileName(self, "Save as PDF", suggested, "PDF (*.pdf)")
            if not path:
                return None
        printer = QPrinter(QPrinter.PrinterMode.HighResolution)
        printer.setOutputFormat(QPrinter.OutputFormat.PdfFormat)
        printer.setOutputFileName(path)
        print_markdown(printer, *self.printable())
        self._say(f"Saved {path}.")
        return path
