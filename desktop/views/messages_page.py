"""Messages: newsletter and announcement drafts, a Markdown editor with preview, recipients, sending, the sent log."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date
from pathlib import Path
from typing import Any, TypeVar

from PySide6.QtCore import QSettings, Qt, QUrl
from PySide6.QtGui import QDesktopServices
from PySide6.QtWidgets import (
    QAbstractItemView,
    QComboBox,
    QDialog,
    QDialogButtonBox,
    QFileDialog,
    QFormLayout,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QLineEdit,
    QListWidget,
    QListWidgetItem,
    QMessageBox,
    QPlainTextEdit,
    QPushButton,
    QRadioButton,
    QSplitter,
    QTableWidget,
    QTableWidgetItem,
    QTabWidget,
    QTextBrowser,
    QVBoxLayout,
    QWidget,
)

from desktop.db import Database, DatabaseError
from desktop.services.errors import ServiceError, ValidationFailed
from desktop.services.fraud_rules import period_label, shift_period
from desktop.services.guidelines import Announcement
from desktop.services.messages import (
    MessageDetail,
    MessageSummary,
    Recipient,
    check_sendable,
    create_announcement,
    create_newsletter,
    create_plan_announcement,
    create_terms_announcement,
    delete_draft,
    get_message,
    left_out_of_newsletter,
    list_messages,
    mail_links,
    markdown_to_html,
    recipient_choices,
    record_sent,
    save_eml,
    save_html,
    set_recipients,
    update_draft,
)
from desktop.services.plans import get_plan, list_plans
from desktop.views.page_parts import page_title

T = TypeVar("T")
VIA = {"mail_client": "mail client", "eml": ".eml file", "html": "HTML file"}
RECIPIENT_ROLE = Qt.ItemDataRole.UserRole + 1


def _label(text: str = "", *, name: str = "", style: str = "") -> QLabel:
    """A word-wrapping label of plain text (it shows names and subjects people typed); `name` picks a style from
    the style sheet (pageSubtitle)."""
    label = QLabel(text)
    label.setTextFormat(Qt.TextFormat.PlainText)
    label.setWordWrap(True)
    if name:
        label.setObjectName(name)
    if style:
        label.setStyleSheet(style)
    return label


def _table(headers: tuple[str, ...], stretch: int) -> QTableWidget:
    table = QTableWidget(0, len(headers))
    table.setHorizontalHeaderLabels(headers)
    table.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
    table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
    table.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
    table.verticalHeader().hide()
    for col in range(len(headers)):
        mode = QHeaderView.ResizeMode.Stretch if col == stretch else QHeaderView.ResizeMode.ResizeToContents
        table.horizontalHeader().setSectionResizeMode(col, mode)
    return table


def _fill(table: QTableWidget, rows: list[tuple[str, ...]]) -> None:
    table.blockSignals(True)
    table.setRowCount(len(rows))
    for r, row in enumerate(rows):
        for c, text in enumerate(row):
            table.setItem(r, c, QTableWidgetItem(text))
    table.blockSignals(False)


def _affiliates(count: int) -> str:
    return f"{count:,} active affiliate" + ("" if count == 1 else "s")


class AnnouncementDialog(QDialog):
    """An announcement drafted from a change: a plan's new version, or a new version of the terms."""

    def __init__(self, db: Database, parent: QWidget | None = None):
        super().__init__(parent)
        self.db = db
        self.message_id: int | None = None
        self.setWindowTitle("New announcement")
        self.setMinimumWidth(460)
        form = QFormLayout(self)
        self.plan, self.old_version, self.new_version = QComboBox(), QComboBox(), QComboBox()
        self.title, self.summary = QLineEdit(), QPlainTextEdit()
        self.title.setPlaceholderText("Terms and conditions, version 3")
        self.plan_change, self.terms = QRadioButton("A commission plan changed"), QRadioButton("New terms")
        for plan in list_plans(db):
            self.plan.addItem(plan.name, plan.id)
        self.plan.currentIndexChanged.connect(lambda _i: self._versions())
        (self.plan_change if self.plan.count() else self.terms).setChecked(True)
        self.plan_change.setEnabled(self.plan.count() > 0)
        self.summary.setPlaceholderText("What changes, in a few lines (Markdown: - for a list)")
        self.summary.setMaximumHeight(90)
        self.error = _label(style="color: #b3261e;")
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Ok | QDialogButtonBox.StandardButton.Cancel)
        buttons.button(QDialogButtonBox.StandardButton.Ok).setText("Draft it")
        buttons.accepted.connect(self.accept)
        buttons.rejected.connect(self.reject)
        for label, widget in (("", self.plan_change), ("Plan", self.plan), ("From", self.old_version),
                              ("To", self.new_version), ("", self.terms), ("Title", self.title),
                              ("Summary", self.summary), ("", self.error), ("", buttons)):  # fmt: skip
            form.addRow(label, widget)
        self._versions()
        self.plan_change.toggled.connect(self._mode)
        self._mode()

    def _mode(self) -> None:
        for widget in (self.plan, self.old_version, self.new_version):
            widget.setEnabled(self.plan_change.isChecked())
        for other in (self.title, self.summary):
            other.setEnabled(self.terms.isChecked())

    def _versions(self) -> None:
        versions = [v.version for v in get_plan(self.db, self.plan.currentData()).versions] if self.plan.count() else []
        for box in (self.old_version, self.new_version):
            box.clear()
            for number in versions:
                box.addItem(f"Version {number}", number)
        self.old_version.setCurrentIndex(max(0, len(versions) - 2))
        self.new_version.setCurrentIndex(len(versions) - 1)

    def accept(self) -> None:
        try:
            if self.plan_change.isChecked():
                self.message_id = create_plan_announcement(self.db, self.plan.currentData(),
                                                           self.old_version.currentData(),
                                                           self.new_version.currentData())  # fmt: skip
            else:
                self.message_id = create_terms_announcement(self.db, self.title.text(), self.summary.toPlainText())
        except ValidationFailed as exc:  # the messages, without the fields' internal names
            required = {"title": "Give the title.", "summary": "Write what changes."}
            self.error.setText(" ".join(required[field] if text == "Required." else text
                                        for field, text in exc.errors.items()))  # fmt: skip
            return
        except (ServiceError, DatabaseError) as exc:
            self.error.setText(str(exc))
            return
        super().accept()


class MessagesPage(QWidget):
    title = "Messages"

    def __init__(self, db: Database, parent: QWidget | None = None, settings: QSettings | None = None):
        super().__init__(parent)
        self.db, self.settings = db, settings or QSettings()
        self.detail: MessageDetail | None = None
        self.drafts: list[MessageSummary] = []
        self.sent: list[MessageSummary] = []
        outer = QVBoxLayout(self)
        outer.setContentsMargins(24, 24, 24, 24)
        outer.addWidget(page_title("Messages", "Newsletters with shout-outs and announcements of program changes, "
                                   "drafted from your data. Send them through your mail program with the partners in "
                                   "BCC, or save them as .eml or HTML; the sent log shows what went to whom."))
        top = QHBoxLayout()
        self.month = QComboBox()
        last = shift_period(f"{date.today():%Y-%m}", -1)
        for back in range(12):
            self.month.addItem(period_label(shift_period(last, -back)), shift_period(last, -back))
        self.newsletter_button = QPushButton("New newsletter")
        self.newsletter_button.setToolTip("A draft with shout-outs for the month's top performers and target achievers")
        self.announcement_button = QPushButton("New announcement…")
        self.message = _label()
        for widget in (self.month, self.newsletter_button, self.announcement_button):
            top.addWidget(widget)
        top.addWidget(self.message, 1)
        outer.addLayout(top)
        self.lists = QTabWidget()
        self.draft_table = _table(("Subject", "Kind", "Created"), 0)
        self.sent_table = _table(("Sent", "Subject", "Via", "To"), 1)
        self.lists.addTab(self.draft_table, "Drafts")
        self.lists.addTab(self.sent_table, "Sent log")
        splitter = QSplitter(Qt.Orientation.Horizontal)
        splitter.addWidget(self.lists)
        splitter.addWidget(self._editor())
        splitter.setSizes([430, 770])
        outer.addWidget(splitter, 1)
        self.newsletter_button.clicked.connect(self.new_newsletter)
        self.announcement_button.clicked.connect(self.new_announcement)
        self.draft_table.itemSelectionChanged.connect(lambda: self._picked(self.draft_table, self.drafts))
        self.sent_table.itemSelectionChanged.connect(lambda: self._picked(self.sent_table, self.sent))

    def _editor(self) -> QWidget:
        panel = QWidget()
        box = QVBoxLayout(panel)
        box.setContentsMargins(8, 0, 0, 0)
        self.state = _label(name="pageSubtitle")
        self.subject, self.body, self.preview = QLineEdit(), QPlainTextEdit(), QTextBrowser()
        self.subject.setPlaceholderText("Subject")
        self.body.setPlaceholderText("Write in Markdown: # heading, **bold**, - lists, [link](https://…)")
        self.preview.setOpenExternalLinks(True)
        self.tabs = QTabWidget()
        self.tabs.addTab(self.body, "Write")
        self.tabs.addTab(self.preview, "Preview")
        self.tabs.currentChanged.connect(lambda _i: self._preview())
        self.recipients = QListWidget()
        self.recipients.setMaximumHeight(150)
        self.recipients_label = QLabel()
        people = QHBoxLayout()
        people.addWidget(self.recipients_label, 1)
        self.all_button, self.none_button = QPushButton("All"), QPushButton("None")
        actions = QHBoxLayout()
        self.save_button, self.delete_button = QPushButton("Save draft"), QPushButton("Delete draft")
        self.mail_button = QPushButton("Open in mail client")
        self.mail_button.setObjectName("primary")
        self.eml_button, self.html_button = QPushButton("Save .eml…"), QPushButton("Save HTML…")
        for layout, buttons in ((people, (self.all_button, self.none_button)),
                                (actions, (self.save_button, self.delete_button))):  # fmt: skip
            for button in buttons:
                layout.addWidget(button)
        actions.addStretch(1)
        for button in (self.eml_button, self.html_button, self.mail_button):
            actions.addWidget(button)
        for widget in (self.state, self.subject):
            box.addWidget(widget)
        box.addWidget(self.tabs, 1)
        box.addLayout(people)
        box.addWidget(self.recipients)
        box.addLayout(actions)
        self.save_button.clicked.connect(self.save_draft)
        self.delete_button.clicked.connect(self.delete)
        self.all_button.clicked.connect(lambda: self._tick_all(Qt.CheckState.Checked))
        self.none_button.clicked.connect(lambda: self._tick_all(Qt.CheckState.Unchecked))
        self.mail_button.clicked.connect(self.open_in_mail_client)
        self.eml_button.clicked.connect(lambda: self.save_file("eml"))
        self.html_button.clicked.connect(lambda: self.save_file("html"))
        self.subject.textChanged.connect(lambda _t: self._changed())
        self.body.textChanged.connect(self._changed)
        self.recipients.itemChanged.connect(lambda _i: self._changed())
        return panel

    # loading --------------------------------------------------------------------------------------------------

    def _call(self, call: Callable[[], T]) -> T | None:
        try:
            return call()
        except ValidationFailed as exc:  # the messages, without the fields' internal names
            self._say(" ".join(exc.errors.values()), error=True)
            return None
        except (ServiceError, DatabaseError) as exc:
            self._say(str(exc), error=True)
            return None

    def _done(self, call: Callable[[], object]) -> bool:
        """_call for a step that returns nothing: whether it went through (a problem is said on the page)."""
        def run() -> bool:
            call()
            return True

        return self._call(run) is not None

    def _say(self, text: str, *, error: bool = False) -> None:
        self.message.setStyleSheet(f"color: {'#b3261e' if error else '#1f6f5c'};")
        self.message.setText(text)

    def refresh(self) -> None:
        """Reload the lists; a draft being edited is saved first (coming back to the page, or another action,
        threw its edits away)."""
        if not self._store_edits():
            return
        keep = self.detail.message.id if self.detail else None
        self.drafts = self._call(lambda: list_messages(self.db, sent=False)) or []
        self.sent = self._call(lambda: list_messages(self.db, sent=True)) or []
        _fill(self.draft_table, [(m.subject, m.kind.capitalize(), f"{m.created_at:%Y-%m-%d}") for m in self.drafts])
        _fill(self.sent_table, [(f"{m.sent_at:%Y-%m-%d %H:%M}", m.subject, VIA.get(m.sent_via or "", ""),
                                 f"{m.recipients:,}") for m in self.sent])  # fmt: skip
        self.lists.setTabText(0, f"Drafts ({len(self.drafts)})")
        self.lists.setTabText(1, f"Sent log ({len(self.sent)})")
        if keep is None or not self.select_message(keep):
            self._show(None)

    def select_message(self, message_id: int) -> bool:
        for tab, (table, rows) in enumerate(((self.draft_table, self.drafts), (self.sent_table, self.sent))):
            found = next((i for i, m in enumerate(rows) if m.id == message_id), None)
            if found is not None:
                self.lists.setCurrentIndex(tab)
                table.blockSignals(True)
                table.selectRow(found)
                table.blockSignals(False)
                self._show(self._call(lambda: get_message(self.db, message_id)))
                return True
        return False

    def _picked(self, table: QTableWidget, rows: list[MessageSummary]) -> None:
        if selected := table.selectionModel().selectedRows():
            chosen = rows[selected[0].row()].id
            if self.detail is not None and chosen == self.detail.message.id:
                return
            if not self._store_edits():  # the draft could not be saved: it stays on screen with the reason
                return
            self._show(self._call(lambda: get_message(self.db, chosen)))

    def _show(self, detail: MessageDetail | None) -> None:
        self.detail = detail
        sent = detail is not None and detail.message.sent_at is not None
        for widget in (self.subject, self.body, self.recipients):
            widget.blockSignals(True)
        self.subject.setText(detail.message.subject if detail else "")
        self.body.setPlainText(detail.body_markdown if detail else "")
        self._fill_recipients(detail, sent)
        for widget in (self.subject, self.body, self.recipients):
            widget.blockSignals(False)
        self.subject.setReadOnly(sent)
        self.body.setReadOnly(sent)
        for button in (self.eml_button, self.html_button, self.mail_button):
            button.setEnabled(detail is not None)
        for button in (self.delete_button, self.all_button, self.none_button):
            button.setEnabled(detail is not None and not sent)
        if detail is None:
            self.state.setText("Select a draft, or start a newsletter or an announcement.")
        elif sent:
            m = detail.message
            self.state.setText(f"Sent {m.sent_at:%d %b %Y at %H:%M} via {VIA.get(m.sent_via or '', m.sent_via)} to "
                               "the people below; it stays as it went out.")  # fmt: skip
        else:
            self.state.setText(f"Draft {detail.message.kind}, created {detail.message.created_at:%d %b %Y}. "
                               "Tick who gets it below.")  # fmt: skip
        if sent:
            self.tabs.setCurrentWidget(self.preview)  # it can no longer change: show it as it went out
        self._changed()
        self._preview()

    def _fill_recipients(self, detail: MessageDetail | None, sent: bool) -> None:
        """A draft offers every active affiliate with an address (ticked: its recipients); a sent one its log."""
        self.recipients.clear()
        chosen = {r.email.lower() for r in detail.recipients} if detail else set()
        offered = list(detail.recipients) if detail else []
        if detail and not sent:
            choices = self._call(lambda: recipient_choices(self.db)) or ()
            offered += [r for r in choices if r.email.lower() not in chosen]
            offered.sort(key=lambda r: (r.name.casefold(), r.email))
        for r in offered:
            item = QListWidgetItem(f"{r.name} <{r.email}>" if r.name else r.email)
            item.setData(RECIPIENT_ROLE, r)
            if not sent:
                item.setCheckState(Qt.CheckState.Checked if r.email.lower() in chosen else Qt.CheckState.Unchecked)
            self.recipients.addItem(item)

    def chosen_recipients(self) -> tuple[Recipient, ...]:
        items = (self.recipients.item(i) for i in range(self.recipients.count()))
        return tuple(item.data(RECIPIENT_ROLE) for item in items if item.checkState() == Qt.CheckState.Checked)

    def _tick_all(self, state: Qt.CheckState) -> None:
        for index in range(self.recipients.count()):
            self.recipients.item(index).setCheckState(state)

    def _dirty(self) -> bool:
        d = self.detail
        if d is None or d.message.sent_at is not None:
            return False
        texts = (self.subject.text(), self.body.toPlainText()) != (d.message.subject, d.body_markdown)
        return texts or {r.email for r in self.chosen_recipients()} != {r.email for r in d.recipients}

    def _changed(self) -> None:
        self.save_button.setEnabled(self._dirty())
        count = len(self.chosen_recipients()) if self.detail and not self.detail.message.sent_at else (
            len(self.detail.recipients) if self.detail else 0)  # fmt: skip
        self.recipients_label.setText(f"<b>Recipients</b> (in BCC): {count:,}")

    def _preview(self) -> None:
        if self.tabs.currentWidget() is self.preview:
            self.preview.setHtml(markdown_to_html(self.body.toPlainText()))  # the very HTML the e-mail carries

    # actions --------------------------------------------------------------------------------------------------

    def _opened(self, message_id: int | None) -> None:
        if message_id is not None:
            self.refresh()
            self.select_message(message_id)
            self._say("Draft ready: edit it, check the recipients, then send it.")

    def new_newsletter(self) -> None:
        period = self.month.currentData()
        drafted = [m for m in list_messages(self.db, sent=False) if m.kind == "newsletter" and m.period == period]
        if drafted:  # a second click made a second, identical draft
            buttons = QMessageBox.StandardButton
            answer = QMessageBox.question(
                self, "New newsletter", f"There is a draft newsletter for {period_label(period)} already. Open it? "
                "Choose No to start another one.", buttons.Yes | buttons.No | buttons.Cancel, buttons.Yes,
            )  # fmt: skip
            if answer == buttons.Cancel:
                return
            if answer == buttons.Yes:
                self.refresh()
                self.select_message(drafted[0].id)
                self._say("Your draft for this month: edit it, check the recipients, then send it.")
                return
        made = self._call(lambda: create_newsletter(self.db, period))
        self._opened(made)
        left = made is not None and self._call(lambda: left_out_of_newsletter(self.db, period))
        if left:  # the owner must know whom the shout-outs skip, and why (the newsletter never says)
            self._say(f"Draft ready. No shout-out for {'; '.join(left)}: review "
                      "them on the Fraud page if they should be named, then start the newsletter again.")  # fmt: skip

    def new_announcement(self) -> None:
        dialog = AnnouncementDialog(self.db, self)
        if dialog.exec() == QDialog.DialogCode.Accepted:
            self._opened(dialog.message_id)

    def take_announcement(self, announcement: Announcement) -> int | None:
        """An announcement drafted on the guidelines page, as a draft here for every active affiliate with an
        address; the draft made of the very same text before is opened instead of a second one."""
        if not self._store_edits():
            return None
        for m in self._call(lambda: list_messages(self.db, sent=False)) or []:
            if m.kind == "announcement" and m.subject == announcement.subject.strip():
                same = self._call(lambda m=m: get_message(self.db, m.id))
                if same is not None and same.body_markdown == announcement.body:
                    self.refresh()
                    self.select_message(m.id)
                    self._say("This announcement is among your drafts already: check the recipients, then send it.")
                    return m.id
        made = self._call(lambda: create_announcement(self.db, announcement.subject, announcement.body))
        self._opened(made)
        if made is not None and announcement.without_email:
            self._say(f"Draft ready. {_affiliates(announcement.without_email)} without an e-mail address "
                      "cannot get it: tell them another way.")  # fmt: skip
        return made

    def save_draft(self) -> bool:
        if self.detail is None or not self._dirty():
            return True
        if not self._store_edits():
            return False
        self.refresh()
        self._say("Draft saved.")
        return True

    def keep_unsaved(self) -> str | None:
        """Before the window closes: the draft is saved; what could not be, named."""
        if self._store_edits():
            return None
        return f"the draft “{self.detail.message.subject if self.detail else ''}” (see the Messages page)"

    def _store_edits(self) -> bool:
        """Save the draft on screen if it was edited, without reloading: whether nothing is left unsaved."""
        if self.detail is None or not self._dirty():
            return True
        message_id, subject, body = self.detail.message.id, self.subject.text(), self.body.toPlainText()
        people = self.chosen_recipients()
        if not self._done(lambda: update_draft(self.db, message_id, subject, body)):
            return False
        if not self._done(lambda: set_recipients(self.db, message_id, people)):
            return False
        self.detail = self._call(lambda: get_message(self.db, message_id))
        return self.detail is not None

    def delete(self) -> None:
        if self.detail is None:
            return
        message_id, subject = self.detail.message.id, self.detail.message.subject
        answer = QMessageBox.question(self, "Delete draft", f"Delete the draft “{subject}”?")
        if answer == QMessageBox.StandardButton.Yes:
            self._call(lambda: delete_draft(self.db, message_id))
            self.detail = None
            self.refresh()

    def open_in_mail_client(self) -> None:
        if self.detail is None or not self.save_draft():
            return
        message_id = self.detail.message.id
        links = self._call(lambda: mail_links(self.db, message_id))
        if links is None:
            return
        if not links.fits:
            QMessageBox.information(self, "Too long for a mail link", links.reason)
            self.save_file("eml")
            return
        many = len(links.urls) > 1
        if many and QMessageBox.question(self, "Several messages", f"{links.reason} Go on?") != (
                QMessageBox.StandardButton.Yes):  # fmt: skip
            return
        opened = 0
        for url in links.urls:
            if not QDesktopServices.openUrl(QUrl(url)):
                break
            opened += 1
        if opened < len(links.urls):  # no mail program answers mailto: links on this computer
            what = "No mail program opened" if not opened else f"Only {opened} of {len(links.urls)} messages opened"
            QMessageBox.warning(self, "No mail program", f"{what}: this computer has none set up for e-mail "
                                "links. The message stays a draft; save it as .eml and open that file in your "
                                "mail program instead.")  # fmt: skip
            return
        # Opening the mail program is not sending (it may be closed without): the person says whether it went out.
        answer = QMessageBox.question(
            self, "Opened in your mail program", "Opened in your mail program with the recipients in BCC: send it "
            "from there.\n\nLog the message as sent to its recipients? Answer once it went out; it then moves to the "
            "sent log and can no longer be changed. Choose No to keep it a draft.",
            QMessageBox.StandardButton.Yes | QMessageBox.StandardButton.No, QMessageBox.StandardButton.No,
        )  # fmt: skip
        sent = answer == QMessageBox.StandardButton.Yes
        if sent and not self._done(lambda: record_sent(self.db, message_id, "mail_client")):
            return
        self.refresh()
        self._say("Opened in your mail program and logged as sent." if sent else
                  "Opened in your mail program with the recipients in BCC; send it from there. It stays a draft.")

    def save_file(self, kind: str) -> None:
        if self.detail is None or not self.save_draft():
            return
        message_id = self.detail.message.id
        if self._call(lambda: check_sendable(self.db, message_id)) is None:  # before asking where to save it
            return
        folder = str(self.settings.value("messages/last_folder", "") or Path.home())
        name = "".join(ch if ch.isalnum() or ch in " -_" else "_" for ch in self.detail.message.subject)[:80]
        pattern = "E-mail (*.eml)" if kind == "eml" else "Web page (*.html)"
        path, _ = QFileDialog.getSaveFileName(self, "Save the message", str(Path(folder) / f"{name}.{kind}"), pattern)
        if not path:
            return
        save: Any = save_eml if kind == "eml" else save_html
        if self._call(lambda: save(self.db, message_id, path, mark_sent=False)) is None:
            return
        self.settings.setValue("messages/last_folder", str(Path(path).parent))
        # Saving a file is not sending it (it may be to read it over): the person says whether it went out.
        answer = QMessageBox.question(
            self, "Saved", f"Saved to {path}.\n\nLog the message as sent to its recipients? It then moves to the "
            "sent log and can no longer be changed. Choose No to keep it a draft.",
            QMessageBox.StandardButton.Yes | QMessageBox.StandardButton.No, QMessageBox.StandardButton.No,
        )  # fmt: skip
        sent = answer == QMessageBox.StandardButton.Yes
        if sent and not self._done(lambda: record_sent(self.db, message_id, kind)):
            return
        self.refresh()
        tail = " Open it to send it from your mail program." if kind == "eml" else ""
        self._say(f"Saved to {path}." + (tail if sent else " It stays a draft."))
