"""QA round 5 on the Messages page: the mail program is not sending, terms announcements fill their placeholders."""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from pathlib import Path

import pytest
from PySide6.QtCore import Qt
from PySide6.QtGui import QDesktopServices
from PySide6.QtWidgets import QMessageBox
from test_fraud_helpers import add_affiliate, setup_program
from test_messages_page import shown_page

from desktop.db import Database
from desktop.services.errors import ValidationFailed
from desktop.services.messages import (
    create_terms_announcement,
    get_message,
    list_messages,
    mail_links,
    markdown_to_html,
    plan_change_text,
)
from desktop.services.plans import PlanInput, create_plan, current_version_id, freeze_version, update_plan
from desktop.views.messages_page import AnnouncementDialog, MessagesPage

YES, NO = QMessageBox.StandardButton.Yes, QMessageBox.StandardButton.No


@pytest.fixture
def page(qtbot, db: Database, tmp_path: Path) -> MessagesPage:  # type: ignore[no-untyped-def]
    setup_program(db)
    add_affiliate(db, "ANA", "Ana Silva", email="ana@example.com")
    return shown_page(qtbot, db, tmp_path)


@pytest.mark.parametrize("answer", [NO, YES], ids=["not sent yet", "sent"])
def test_the_mail_program_is_not_sending(qtbot, page: MessagesPage, db: Database, monkeypatch, answer) -> None:  # type: ignore[no-untyped-def]
    """The mail program may be closed without sending: like saving a file, the person says whether it went out,
    No being the default."""
    opened: list[str] = []
    asked: list[tuple[str, object]] = []
    monkeypatch.setattr(QDesktopServices, "openUrl", lambda url: opened.append(url.toString()) or True)

    def question(_parent, _title, text, _buttons=None, default=None):  # type: ignore[no-untyped-def]
        asked.append((text, default))
        return answer

    monkeypatch.setattr(QMessageBox, "question", question)
    qtbot.mouseClick(page.newsletter_button, Qt.MouseButton.LeftButton)
    qtbot.mouseClick(page.mail_button, Qt.MouseButton.LeftButton)
    assert len(opened) == 1  # the mail program opened first
    [(text, default)] = asked
    assert "Log the message as sent" in text and "Choose No to keep it a draft" in text and default == NO
    sent = answer == YES
    assert [m.sent_via for m in list_messages(db, sent=True)] == (["mail_client"] if sent else [])
    assert page.lists.tabText(0) == ("Drafts (0)" if sent else "Drafts (1)")
    assert page.subject.isReadOnly() is sent and page.delete_button.isEnabled() is not sent
    assert page.message.text().endswith("It stays a draft.") is not sent


def test_a_terms_announcement_fills_in_the_placeholders(db: Database) -> None:
    setup_program(db)  # cookie_days 30, payouts from 50.00
    add_affiliate(db, "ANA", "Ana Silva", email="ana@example.com")
    summary = "- Cookies last {cookie_days} days.\n- Payouts from {payout_threshold}."
    message = create_terms_announcement(db, "Cookies for {cookie_days} days", summary)
    detail = get_message(db, message)
    assert detail.message.subject == "Acme Outdoor Partners: Cookies for 30 days"
    assert "- Cookies last 30 days.\n- Payouts from 50.00." in detail.body_markdown
    html = markdown_to_html(detail.body_markdown)
    [link] = mail_links(db, message).urls
    assert "{" not in detail.body_markdown and "{" not in html and "%7B" not in link


@pytest.mark.parametrize("field", ["title", "summary"])
def test_a_mistyped_placeholder_in_a_terms_announcement_is_refused(db: Database, field: str) -> None:
    setup_program(db)
    values = {"title": "New terms", "summary": "- Cookies last 30 days."}
    values[field] = "Cookies last {cookie_dayz} days"
    with pytest.raises(ValidationFailed) as problem:
        create_terms_announcement(db, values["title"], values["summary"])
    assert problem.value.errors[field].startswith("Not a placeholder: {cookie_dayz} on line 1.")
    assert list_messages(db) == []


def test_the_announcement_dialog_says_which_placeholder_is_wrong(qtbot, page: MessagesPage, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    def exec_(dialog: AnnouncementDialog) -> int:
        dialog.show()
        qtbot.keyClicks(dialog.title, "Terms, version 2")
        dialog.summary.setPlainText("- Cookies last {Cookie_Days} days.")
        dialog.accept()
        assert dialog.error.text().startswith("Not a placeholder: {Cookie_Days} on line 1.")  # no "summary:"
        dialog.summary.setPlainText("- Cookies last {cookie_days} days.")
        dialog.accept()
        return dialog.result()

    monkeypatch.setattr(AnnouncementDialog, "exec", exec_)
    qtbot.mouseClick(page.announcement_button, Qt.MouseButton.LeftButton)
    assert page.detail is not None and "- Cookies last 30 days." in page.body.toPlainText()


def test_a_plan_change_takes_effect_on_a_day_without_a_leading_zero(db: Database) -> None:
    setup_program(db)
    plan = create_plan(db, PlanInput(name="Standard", sale_rate=Decimal("0.10")))
    freeze_version(db, current_version_id(db, plan))  # used by an approved sheet: the change is a new version
    update_plan(db, plan, PlanInput(name="Standard", sale_rate=Decimal("0.12")))
    draft = plan_change_text(db, plan, 1, 2, effective=date(2026, 12, 7))
    assert "change from 7 December 2026:" in draft.body_markdown
