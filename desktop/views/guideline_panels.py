"""The Versions and Acceptance tabs of the guidelines page, with the diff view and form dialog they share with it."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from datetime import date
from html import escape
from typing import Protocol

from PySide6.QtCore import QDate, Qt
from PySide6.QtWidgets import (
    QAbstractItemView,
    QComboBox,
    QDateEdit,
    QDialog,
    QDialogButtonBox,
    QFormLayout,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QListWidget,
    QPushButton,
    QTableWidget,
    QTableWidgetItem,
    QTextBrowser,
    QVBoxLayout,
    QWidget,
)

from desktop.db import Database, DatabaseError
from desktop.services import guidelines as svc
from desktop.services.errors import ServiceError, ValidationFailed
from desktop.views.page_parts import FieldError

LIST_STYLE = "QListWidget::item { padding: 4px; } QListWidget::item:selected { background: #d7ebe5; color: black; }"
DIFF_STYLE = {"delete": ("#fde7e9", "−"), "insert": ("#e6f4ea", "+"), "equal": ("", ""), "gap": ("#f1f3f2", "")}


def diff_html(lines: Sequence[svc.DiffLine]) -> str:
    """A unified diff as an HTML table: removed lines red, added lines green, left-out stretches grey."""
    if not lines or all(line.tag == "equal" for line in lines):
        return "<p>The two versions are the same.</p>"
    rows = []
    for line in lines:
        colour, sign = DIFF_STYLE[line.tag]
        old, new = (str(n) if n is not None else "" for n in (line.old_number, line.new_number))
        style = f' style="background:{colour}"' if colour else ""
        rows.append(
            f"<tr{style}><td style='color:#8a8f8d'>{old}</td><td style='color:#8a8f8d'>{new}</td>"
            f"<td><b>{sign}</b></td><td>{escape(line.text) or '&nbsp;'}</td></tr>"
        )
    return "<table cellspacing=0 cellpadding=2 width='100%'>" + "".join(rows) + "</table>"


class SubmitDialog(QDialog):
    """A small form; `submit()` returns an error to show next to the fields, or None to close."""

    def __init__(self, parent: QWidget, title: str, verb: str, submit: Callable[[], str | None]):
        super().__init__(parent)
        self.setWindowTitle(title)
        self.setMinimumWidth(480)
        self._submit = submit
        self.form = QFormLayout()
        self.error = FieldError()
        self.error.setTextFormat(Qt.TextFormat.PlainText)  # service errors may quote names
        self.buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Ok | QDialogButtonBox.StandardButton.Cancel)
        self.ok_button = self.buttons.button(QDialogButtonBox.StandardButton.Ok)
        self.ok_button.setText(verb)
        self.buttons.accepted.connect(self.accept)
        self.buttons.rejected.connect(self.reject)
        layout = QVBoxLayout(self)
        layout.addLayout(self.form)
        layout.addWidget(self.error)
        layout.addWidget(self.buttons)

    def accept(self) -> None:
        error = self._submit()
        self.error.show_message(error)
        if error is None:
            super().accept()


class ChosenDocument(Protocol):
    """The page, as the tabs see it: the document chosen in its list, read afresh at every use."""

    kind: str | None

    def current(self) -> svc.DocumentSummary | None: ...


class VersionsPanel(QWidget):
    """The published versions of the chosen document; shows one, or what changed between two."""

    def __init__(self, db: Database, page: ChosenDocument, parent: QWidget | None = None):
        super().__init__(parent)
        self.db = db
        self.page = page
        self.versions: tuple[svc.VersionInfo, ...] = ()
        layout = QHBoxLayout(self)
        left = QVBoxLayout()
        self.version_list = QListWidget()
        self.version_list.setWordWrap(True)
        self.version_list.setStyleSheet(LIST_STYLE)
        self.version_list.setMaximumWidth(320)
        self.version_list.currentRowChanged.connect(lambda _r: self.show_version())
        left.addWidget(self.version_list, 1)
        compare = QHBoxLayout()
        self.compare_from, self.compare_to = QComboBox(), QComboBox()
        self.compare_button = QPushButton("Compare")
        self.compare_button.clicked.connect(lambda: self.show_diff())
        for widget in (QLabel("From"), self.compare_from, QLabel("to"), self.compare_to, self.compare_button):
            compare.addWidget(widget)
        left.addLayout(compare)
        self.announce_button = QPushButton("Draft announcement…")  # the page drafts it: it owns the signal
        left.addWidget(self.announce_button)
        layout.addLayout(left)
        self.version_view = QTextBrowser()
        layout.addWidget(self.version_view, 1)

    def load(self) -> None:
        kind = self.page.kind
        assert kind is not None
        self.versions = svc.list_versions(self.db, kind)
        self.version_list.clear()
        self.compare_from.clear()
        self.compare_to.clear()
        doc = self.page.current()
        for info in self.versions:
            accepted = f" · accepted by {info.accepted}" if doc and doc.requires_acceptance else ""
            self.version_list.addItem(f"Version {info.number} · {info.published_at:%d %b %Y}{accepted}\n{info.summary}")
            self.compare_from.addItem(f"Version {info.number}", info.number)
            self.compare_to.addItem(f"Version {info.number}", info.number)
        self.compare_to.addItem("Draft", svc.DRAFT)
        self.compare_from.setCurrentIndex(min(1, self.compare_from.count() - 1))
        self.compare_button.setEnabled(bool(self.versions))
        self.announce_button.setEnabled(bool(self.versions))
        if self.versions:
            self.version_list.setCurrentRow(0)
        else:
            self.version_view.setMarkdown("*Not published yet: publish the draft on the Edit tab.*")

    def selected_version(self) -> svc.VersionInfo | None:
        row = self.version_list.currentRow()
        return self.versions[row] if 0 <= row < len(self.versions) else None

    def show_version(self) -> None:
        info = self.selected_version()
        kind = self.page.kind
        if info is None or kind is None:
            return
        text = svc.get_version(self.db, kind, info.number).markdown
        when = f"{info.published_at:%d %B %Y} by {info.published_by}"
        self.version_view.setMarkdown(f"*Version {info.number}, published {when}.*\n\n{text}")

    def show_diff(self, a: int | None = None, b: int | None = None) -> None:
        kind = self.page.kind
        if kind is None:
            return
        a = a if a is not None else self.compare_from.currentData()
        b = b if b is not None else self.compare_to.currentData()
        if a is None or b is None:
            return
        html = diff_html(svc.diff_versions(self.db, kind, a, b))
        self.version_view.setHtml(f"<h3>Changes from {_version(a)} to {_version(b)}</h3>{html}")


class AcceptancePanel(QWidget):
    """Who has accepted the latest version of the chosen document, who has not, and recording their acceptance."""

    def __init__(
        self, db: Database, page: ChosenDocument, say: Callable[[str, bool], None], parent: QWidget | None = None
    ):
        super().__init__(parent)
        self.db = db
        self.page = page
        self._say = say  # (text, is an error): the page's message line
        self.pending: tuple[svc.PendingAcceptance, ...] = ()
        layout = QVBoxLayout(self)
        self.acceptance_label = QLabel()
        self.acceptance_label.setWordWrap(True)
        self.acceptance_label.setAlignment(Qt.AlignmentFlag.AlignTop | Qt.AlignmentFlag.AlignLeft)
        layout.addWidget(self.acceptance_label)
        self.acceptance_body = QWidget()  # hidden for documents nobody has to accept
        outer, layout = layout, QVBoxLayout(self.acceptance_body)
        layout.setContentsMargins(0, 0, 0, 0)
        outer.addWidget(self.acceptance_body, 1)
        self.pending_table = self._table(("Name", "Code", "Email", "Last accepted"))
        self.pending_table.setSelectionMode(QAbstractItemView.SelectionMode.ExtendedSelection)
        layout.addWidget(self.pending_table, 2)
        bar = QHBoxLayout()
        self.record_button = QPushButton("Record acceptance…")
        self.record_button.clicked.connect(lambda: self.record_acceptance())
        bar.addWidget(self.record_button)
        bar.addStretch(1)
        layout.addLayout(bar)
        layout.addWidget(QLabel("Accepted the latest version"))
        self.accepted_table = self._table(("Name", "Code", "Accepted on", "How"))
        layout.addWidget(self.accepted_table, 1)

    def _table(self, headers: tuple[str, ...]) -> QTableWidget:
        table = QTableWidget(0, len(headers))
        table.setHorizontalHeaderLabels(list(headers))
        table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        table.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        table.verticalHeader().hide()
        table.setAlternatingRowColors(True)
        header = table.horizontalHeader()
        header.setSectionResizeMode(QHeaderView.ResizeMode.ResizeToContents)
        header.setSectionResizeMode(len(headers) - 1, QHeaderView.ResizeMode.Stretch)
        return table

    def load(self) -> None:
        kind = self.page.kind
        assert kind is not None
        doc = self.page.current()
        self.pending = svc.pending_acceptances(self.db, kind) if doc and doc.requires_acceptance else ()
        accepted = svc.list_acceptances(self.db, kind) if doc and doc.latest_version else ()
        if doc is None or not doc.requires_acceptance:
            text = "Affiliates do not need to accept this document; it is information for them."
        elif doc.latest_version is None:
            text = "Publish the document first; then you can record who accepted it."
        else:
            text = (
                f"Version {doc.latest_version}: {len(accepted)} accepted, {len(self.pending)} active affiliates "
                "have not accepted it yet. Select them and record their acceptance."
            )
        self.acceptance_label.setText(text)
        self._fill(
            self.pending_table, [(p.name, p.code, p.email or "", _version(p.last_accepted)) for p in self.pending]
        )
        labels = svc.METHOD_LABELS
        self._fill(
            self.accepted_table, [(a.name, a.code, f"{a.accepted_on:%d %b %Y}", labels[a.method]) for a in accepted]
        )
        self.record_button.setEnabled(bool(self.pending))
        self.acceptance_body.setVisible(bool(doc and doc.requires_acceptance and doc.latest_version))

    def _fill(self, table: QTableWidget, rows: Sequence[tuple[str, ...]]) -> None:
        table.setRowCount(len(rows))
        for r, row in enumerate(rows):
            for c, value in enumerate(row):
                table.setItem(r, c, QTableWidgetItem(value))

    def record_acceptance(self, accepted_on: date | None = None, method: str | None = None) -> int:
        """Record the selected pending affiliates' acceptance of the latest version; returns how many."""
        rows = sorted({index.row() for index in self.pending_table.selectionModel().selectedRows()})
        chosen = [self.pending[row] for row in rows]
        kind = self.page.kind
        versions = svc.list_versions(self.db, kind) if kind else ()
        if not chosen or not versions:
            self._say("Select the affiliates who accepted in the list first.", True)
            return 0
        latest = versions[0]

        def submit(day: date, how: str) -> str | None:
            try:
                for pending in chosen:
                    svc.record_acceptance(self.db, pending.affiliate_id, latest.id, day, how)
            except ValidationFailed as exc:
                return next(iter(exc.errors.values()))
            except (ServiceError, DatabaseError) as exc:
                return str(exc)
            return None

        if accepted_on is not None and method is not None:
            error = submit(accepted_on, method)
        else:
            when = QDateEdit(QDate.currentDate(), calendarPopup=True)
            when.setDisplayFormat("d MMM yyyy")
            when.setDateRange(QDate(latest.published_at.date()), QDate.currentDate())
            how = QComboBox()
            for key, label in svc.METHOD_LABELS.items():
                how.addItem(label, key)
            names = ", ".join(p.name for p in chosen[:5]) + (f" and {len(chosen) - 5} more" if len(chosen) > 5 else "")
            dialog = SubmitDialog(
                self,
                f"Accepted version {latest.number}",
                "Record",
                lambda: submit(when.date().toPython(), how.currentData()),
            )
            who = QLabel(names)
            who.setTextFormat(Qt.TextFormat.PlainText)  # whom the legal record names: exactly as written
            who.setWordWrap(True)
            dialog.form.addRow("Who", who)
            dialog.form.addRow("Accepted on", when)
            dialog.form.addRow("How", how)
            error = None if dialog.exec() == QDialog.DialogCode.Accepted else "cancelled"
        if error is not None:
            if error != "cancelled":
                self._say(error, True)
            return 0
        self._say(f"Recorded the acceptance of version {latest.number} for {len(chosen)} affiliate(s).", False)
        self.load()
        return len(chosen)


def _version(number: int | None) -> str:
    return "never" if number is None else "the draft" if number == svc.DRAFT else f"version {number}"
