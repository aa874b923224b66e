"""The Messages page driven like a person: draft a newsletter, edit it, pick recipients, send or save it."""

from __future__ import annotations

from email import policy
from email.parser import BytesParser
from pathlib import Path
from urllib.parse import parse_qs, urlsplit

import pytest
from PySide6.QtCore import QSettings, Qt
from PySide6.QtGui import QDesktopServices
from PySide6.QtWidgets import QFileDialog, QMessageBox
from test_fraud_helpers import OCT, add_affiliate, add_orders, order, setup_program

from desktop.db import Database
from desktop.services.messages import get_message, list_messages
from desktop.views.app import make_application
from desktop.views.messages_page import AnnouncementDialog, MessagesPage


def shown_page(qtbot, db: Database, tmp_path: Path) -> MessagesPage:  # type: ignore[no-untyped-def]
    """The page on `db`, shown at a laptop's size and loaded (its settings in tmp_path)."""
    make_application()
    widget = MessagesPage(db, settings=QSettings(str(tmp_path / "settings.ini"), QSettings.Format.IniFormat))
    qtbot.addWidget(widget)
    widget.resize(1250, 820)
    widget.show()
    qtbot.waitExposed(widget)
    widget.refresh()
    return widget


@pytest.fixture
def page(qtbot, db: Database, tmp_path: Path) -> MessagesPage:  # type: ignore[no-untyped-def]
    setup_program(db)
    ana = add_affiliate(db, "ANA", "Ana Silva", email="ana@example.com")
    add_affiliate(db, "BEN", "Ben Kim", email="ben@example.com")
    add_orders(db, [order("A1", ana, OCT, "600.00")])
    widget = shown_page(qtbot, db, tmp_path)
    widget.month.setCurrentIndex(widget.month.findData("2026-10"))
    return widget


def test_draft_edit_and_choose_recipients(qtbot, page: MessagesPage, db: Database) -> None:  # type: ignore[no-untyped-def]
    assert not page.mail_button.isEnabled()
    qtbot.mouseClick(page.newsletter_button, Qt.MouseButton.LeftButton)
    assert page.lists.tabText(0) == "Drafts (1)" and page.detail is not None
    assert "1. **Ana Silva**" in page.body.toPlainText()
    assert page.recipients.count() == 2 and page.recipients_label.text().endswith("2")
    page.tabs.setCurrentWidget(page.preview)
    assert "Top performers" in page.preview.toPlainText() and "Ana Silva" in page.preview.toPlainText()
    page.tabs.setCurrentWidget(page.body)
    page.body.moveCursor(page.body.textCursor().MoveOperation.End)
    qtbot.keyClicks(page.body, "PS: new tents in November!")
    page.recipients.item(1).setCheckState(Qt.CheckState.Unchecked)  # not Ben this time
    assert page.save_button.isEnabled()
    qtbot.mouseClick(page.save_button, Qt.MouseButton.LeftButton)
    saved = get_message(db, page.detail.message.id)
    assert saved.body_markdown.endswith("PS: new tents in November!")
    assert [r.email for r in saved.recipients] == ["ana@example.com"]
    assert page.message.text() == "Draft saved." and not page.save_button.isEnabled()


def test_open_in_mail_client_puts_recipients_in_bcc(qtbot, page: MessagesPage, db: Database, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    opened: list[str] = []
    monkeypatch.setattr(QDesktopServices, "openUrl", lambda url: opened.append(url.toString()) or True)
    monkeypatch.setattr(QMessageBox, "question", lambda *_args: QMessageBox.StandardButton.Yes)  # it went out
    qtbot.mouseClick(page.newsletter_button, Qt.MouseButton.LeftButton)
    qtbot.mouseClick(page.mail_button, Qt.MouseButton.LeftButton)
    [url] = opened
    assert parse_qs(urlsplit(url).query)["bcc"] == ["ana@example.com,ben@example.com"]
    [sent] = list_messages(db, sent=True)
    assert sent.sent_via == "mail_client" and page.lists.tabText(1) == "Sent log (1)"
    assert page.subject.isReadOnly() and not page.delete_button.isEnabled()
    assert page.tabs.currentWidget() is page.preview


@pytest.mark.parametrize("log_it", [True, False], ids=["logged as sent", "kept a draft"])
def test_save_as_eml(qtbot, page: MessagesPage, db: Database, monkeypatch, tmp_path: Path, log_it: bool) -> None:  # type: ignore[no-untyped-def]
    """Saving the file asks whether the message went out: only then is it logged as sent and no longer editable."""
    target = tmp_path / "out" / "newsletter.eml"
    target.parent.mkdir()
    asked: list[str] = []
    monkeypatch.setattr(QFileDialog, "getSaveFileName", lambda *_args: (str(target), ""))
    answer = QMessageBox.StandardButton.Yes if log_it else QMessageBox.StandardButton.No
    monkeypatch.setattr(QMessageBox, "question", lambda _parent, _title, text, *_args: asked.append(text) or answer)
    qtbot.mouseClick(page.newsletter_button, Qt.MouseButton.LeftButton)
    qtbot.mouseClick(page.eml_button, Qt.MouseButton.LeftButton)
    mail = BytesParser(policy=policy.default).parsebytes(target.read_bytes())
    assert [a.addr_spec for a in mail["Bcc"].addresses] == ["ana@example.com", "ben@example.com"]
    assert page.message.text().startswith(f"Saved to {target}.")
    assert page.settings.value("messages/last_folder") == str(target.parent)
    [question] = asked
    assert "Log the message as sent" in question and "Choose No to keep it a draft" in question
    assert [m.sent_via for m in list_messages(db, sent=True)] == (["eml"] if log_it else [])
    assert page.subject.isReadOnly() is log_it and page.delete_button.isEnabled() is not log_it
    assert page.message.text().endswith("It stays a draft.") is not log_it


def test_without_a_mail_program_the_message_stays_a_draft(qtbot, page: MessagesPage, db: Database, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    warned: list[str] = []
    monkeypatch.setattr(QDesktopServices, "openUrl", lambda _url: False)  # nothing answers mailto: links
    monkeypatch.setattr(QMessageBox, "warning", lambda _parent, _title, text, *_args: warned.append(text))
    qtbot.mouseClick(page.newsletter_button, Qt.MouseButton.LeftButton)
    qtbot.mouseClick(page.mail_button, Qt.MouseButton.LeftButton)
    [warning] = warned
    assert warning.startswith("No mail program opened") and "save it as .eml" in warning
    assert list_messages(db, sent=True) == [] and page.lists.tabText(0) == "Drafts (1)"
    assert not page.subject.isReadOnly()


def test_an_announcement_of_new_terms(qtbot, page: MessagesPage, db: Database, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    def exec_(dialog: AnnouncementDialog) -> int:
        dialog.show()
        assert dialog.terms.isChecked()  # no plans in this program: only new terms can be announced
        dialog.accept()
        assert "Give the title." in dialog.error.text()
        qtbot.keyClicks(dialog.title, "Terms, version 2")
        dialog.summary.setPlainText("- No more coupon sites.")
        dialog.accept()
        return dialog.result()

    monkeypatch.setattr(AnnouncementDialog, "exec", exec_)
    qtbot.mouseClick(page.announcement_button, Qt.MouseButton.LeftButton)
    assert page.detail is not None and page.subject.text() == "Acme Outdoor Partners: Terms, version 2"
    assert "- No more coupon sites." in page.body.toPlainText()
    assert page.lists.tabText(0) == "Drafts (1)"


def test_no_recipients_is_said_before_asking_where_to_save(qtbot, page: MessagesPage, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    asked: list[object] = []
    monkeypatch.setattr(QFileDialog, "getSaveFileName", lambda *args: asked.append(args) or ("", ""))
    qtbot.mouseClick(page.newsletter_button, Qt.MouseButton.LeftButton)
    for row in range(page.recipients.count()):
        page.recipients.item(row).setCheckState(Qt.CheckState.Unchecked)
    qtbot.mouseClick(page.eml_button, Qt.MouseButton.LeftButton)
    assert asked == [] and page.message.text() == "Choose at least one recipient first."


def test_a_missing_subject_is_said_without_the_fields_name(qtbot, page: MessagesPage) -> None:  # type: ignore[no-untyped-def]
    qtbot.mouseClick(page.newsletter_button, Qt.MouseButton.LeftButton)
    page.subject.clear()
    qtbot.mouseClick(page.save_button, Qt.MouseButton.LeftButton)
    assert page.message.text() == "Give the message a subject."


def test_a_second_newsletter_for_the_month_opens_the_draft_unless_asked(qtbot, page: MessagesPage, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    answers = [QMessageBox.StandardButton.Yes, QMessageBox.StandardButton.No]
    asked: list[str] = []
    monkeypatch.setattr(QMessageBox, "question", lambda _p, _t, text, *_a: asked.append(text) or answers.pop(0))
    qtbot.mouseClick(page.newsletter_button, Qt.MouseButton.LeftButton)
    first = page.detail.message.id
    qtbot.mouseClick(page.newsletter_button, Qt.MouseButton.LeftButton)  # Yes: open the one there is
    assert asked == ["There is a draft newsletter for October 2026 already. Open it? Choose No to start another one."]
    assert page.lists.tabText(0) == "Drafts (1)" and page.detail.message.id == first
    qtbot.mouseClick(page.newsletter_button, Qt.MouseButton.LeftButton)  # No: another one, as asked
    assert page.lists.tabText(0) == "Drafts (2)" and page.detail.message.id != first


def test_draft_edits_are_kept_when_moving_on(qtbot, page: MessagesPage, db: Database, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    monkeypatch.setattr(QMessageBox, "question", lambda *_a: QMessageBox.StandardButton.No)  # a second newsletter
    qtbot.mouseClick(page.newsletter_button, Qt.MouseButton.LeftButton)
    qtbot.mouseClick(page.newsletter_button, Qt.MouseButton.LeftButton)
    assert page.lists.tabText(0) == "Drafts (2)"
    first = page.drafts[0].id
    page.select_message(first)
    page.subject.selectAll()
    qtbot.keyClicks(page.subject, "October: thank you!")
    rect = page.draft_table.visualRect(page.draft_table.model().index(1, 0))  # the other draft, by a click
    qtbot.mouseClick(page.draft_table.viewport(), Qt.MouseButton.LeftButton, pos=rect.center())
    assert page.detail is not None and page.detail.message.id != first
    assert get_message(db, first).message.subject == "October: thank you!"
    page.body.moveCursor(page.body.textCursor().MoveOperation.End)
    qtbot.keyClicks(page.body, " See you soon")
    page.refresh()  # leaving the page and coming back
    assert page.body.toPlainText().endswith("See you soon")
    assert get_message(db, page.detail.message.id).body_markdown.endswith("See you soon")
    assert not page.save_button.isEnabled()


def test_the_owner_is_told_whom_the_newsletter_leaves_out(qtbot, page: MessagesPage, db: Database) -> None:  # type: ignore[no-untyped-def]
    from sqlalchemy import insert, select

    from desktop.models import Affiliate, FraudFlag

    with db.write() as session:
        ana = session.scalar(select(Affiliate.id).where(Affiliate.code == "ANA"))
        session.execute(insert(FraudFlag), [{"rule": "self_referral", "fingerprint": "x", "affiliate_id": ana,
                                             "period": "2026-10", "severity": "high", "evidence": "x",
                                             "state": "open", "raised_at": OCT}])  # fmt: skip
    qtbot.mouseClick(page.newsletter_button, Qt.MouseButton.LeftButton)
    assert "Ana Silva" not in page.body.toPlainText()
    assert "No shout-out for Ana Silva (a fraud flag not reviewed yet)" in page.message.text()
