"""QA round 5 on the guidelines: the announcement of new terms reaches the Messages page, says truthfully where the
text is and whom it reaches; names in the acceptance dialog are shown as written."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date, datetime

import pytest
from PySide6.QtCore import QItemSelectionModel, Qt
from PySide6.QtWidgets import QDialog, QLabel
from test_views_main_window import shown_window

from desktop.db import Database
from desktop.models import Affiliate
from desktop.services import guidelines as g
from desktop.services.messages import get_message, list_messages, recipient_choices
from desktop.services.program_settings import ProgramSettings, save_program
from desktop.views.app import make_application
from desktop.views.guideline_panels import SubmitDialog
from desktop.views.guidelines_page import GuidelinesPage
from desktop.views.main_window import MainWindow
from desktop.views.messages_page import MessagesPage

PEOPLE = (  # code, name, status, e-mail
    ("ANN", "Ann Partner", "active", "ann@example.com"),
    ("BOB", "<b>Bold</b> <i>x</i>", "active", "bob@example.com"),
    ("CID", "Cid Nomail", "active", None),
    ("DAN", "Dan Paused", "paused", "dan@example.com"),
)


@pytest.fixture
def program(db: Database) -> Database:
    save_program(db, ProgramSettings(name="Acme Outdoor Partners", timezone="UTC", cookie_days=30))
    g.ensure_starter_documents(db)
    with db.write() as session:
        for code, name, status, email in PEOPLE:
            session.add(Affiliate(code=code, name=name, status=status, email=email))
    return db


def publish_two_versions(db: Database) -> None:
    g.publish(db, "terms", "", published_at=datetime(2026, 1, 5, 9, 0))
    text = g.get_draft(db, "terms").markdown
    g.save_draft(db, "terms", text.replace("within 14 days", "within 7 days"))
    g.publish(db, "terms", "Material must come down within 7 days.", published_at=datetime(2026, 12, 7, 9, 0))


def test_the_announcement_carries_the_text_it_asks_to_accept(program: Database) -> None:
    publish_two_versions(program)
    note = g.draft_announcement(program, "terms")
    assert "attached" not in note.body  # nothing is attached to it
    assert "Please read the full text below and confirm" in note.body
    assert note.body.endswith(g.get_version(program, "terms", 2).markdown.strip())
    assert "6.3 When the partnership ends, you remove our links, codes and material from your channels within 7 days" \
        in note.body  # fmt: skip
    g.publish(program, "brand", "")
    brand = g.draft_announcement(program, "brand")
    assert "attached" not in brand.body and "full text below" in brand.body


def test_the_announcement_counts_only_affiliates_it_can_be_sent_to(program: Database) -> None:
    publish_two_versions(program)
    note = g.draft_announcement(program, "terms")
    assert note.recipients == len(recipient_choices(program)) == 2  # Ann and Bob; Cid has no address
    assert note.without_email == 1


def test_the_announcement_date_has_no_leading_zero(program: Database) -> None:
    publish_two_versions(program)
    assert "in effect from 7 December 2026." in g.draft_announcement(program, "terms").body
    assert g.long_date(date(2026, 12, 7)) == "7 December 2026"


@pytest.fixture
def page(qtbot, program: Database) -> GuidelinesPage:  # type: ignore[no-untyped-def]
    make_application()
    widget = GuidelinesPage(program)
    qtbot.addWidget(widget)
    widget.resize(1200, 800)
    widget.show()
    qtbot.waitExposed(widget)
    widget.refresh()
    widget.select_document("terms")
    return widget


def test_the_acceptance_dialog_names_people_as_written(page: GuidelinesPage, db: Database, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    g.publish(db, "terms", "", published_at=datetime(2026, 1, 5, 9, 0))
    page.refresh()
    page.tabs.setCurrentIndex(2)
    names = [page.pending_table.item(row, 0).text() for row in range(page.pending_table.rowCount())]
    page.pending_table.selectionModel().select(
        page.pending_table.model().index(names.index("<b>Bold</b> <i>x</i>"), 0),
        QItemSelectionModel.SelectionFlag.Select | QItemSelectionModel.SelectionFlag.Rows,
    )
    shown: list[QLabel] = []

    def exec_(dialog: SubmitDialog) -> int:
        shown.append(dialog.form.itemAt(0, dialog.form.ItemRole.FieldRole).widget())  # type: ignore[arg-type]
        return QDialog.DialogCode.Rejected

    monkeypatch.setattr(SubmitDialog, "exec", exec_)
    assert page.record_acceptance() == 0
    [who] = shown
    assert who.text() == "<b>Bold</b> <i>x</i>" and who.textFormat() == Qt.TextFormat.PlainText
    page.message.setText("<b>Bold</b> <i>x</i>: a name in an error")
    assert page.message.textFormat() == Qt.TextFormat.PlainText


def test_the_announcement_dialog_says_whom_it_reaches(page: GuidelinesPage, db: Database) -> None:
    publish_two_versions(db)
    page.refresh()
    page.show_announcement()
    texts = [label.text() for label in page.announcement_dialog.findChildren(QLabel)]
    assert "For the 2 active affiliates with an e-mail address. 1 active affiliate has no e-mail address: tell " \
        "them another way." in texts  # fmt: skip
    assert page.announcement_dialog.ok_button.text() == "Draft it on the Messages page"
    page.announcement_dialog.close()


@pytest.fixture
def window(qtbot, program: Database, qsettings) -> Iterator[MainWindow]:  # type: ignore[no-untyped-def]
    yield from shown_window(qtbot, program, qsettings)


def test_new_terms_are_announced_from_the_messages_page(qtbot, window: MainWindow, db: Database) -> None:  # type: ignore[no-untyped-def]
    window.show_page("guidelines")
    guidelines = window.pages["guidelines"]
    assert isinstance(guidelines, GuidelinesPage)
    guidelines.select_document("terms")
    assert guidelines.publish(summary="") == 1
    dialog = guidelines.announcement_dialog
    dialog.findChildren(type(guidelines.editor))[0].appendPlainText("PS: thank you!")  # edits go along
    qtbot.mouseClick(dialog.ok_button, Qt.MouseButton.LeftButton)
    assert window.current_page_key() == "messages"
    messages = window.pages["messages"]
    assert isinstance(messages, MessagesPage)
    [draft] = list_messages(db, sent=False)
    assert draft.kind == "announcement" and draft.subject.endswith("(version 1)")
    assert messages.detail is not None and messages.detail.message.id == draft.id
    detail = get_message(db, draft.id)
    assert detail.body_markdown.endswith("PS: thank you!") and "attached" not in detail.body_markdown
    assert sorted(r.email for r in detail.recipients) == ["ann@example.com", "bob@example.com"]
    assert "1 active affiliate without an e-mail address" in messages.message.text()
    window.show_page("guidelines")  # drafting the same text again opens the draft instead of a second one
    guidelines.show_announcement()
    guidelines.announcement_dialog.findChildren(type(guidelines.editor))[0].appendPlainText("PS: thank you!")
    qtbot.mouseClick(guidelines.announcement_dialog.ok_button, Qt.MouseButton.LeftButton)
    assert [m.id for m in list_messages(db, sent=False)] == [draft.id]
    assert window.current_page_key() == "messages" and messages.detail.message.id == draft.id
