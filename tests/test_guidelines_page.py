"""The guidelines page driven like a person would: edit with a live preview, publish, compare, accept, print."""

from __future__ import annotations

import subprocess
from datetime import date, datetime
from pathlib import Path

import pytest
from PySide6.QtCore import QItemSelectionModel, Qt

from desktop.db import Database
from desktop.models import Affiliate
from desktop.services import guidelines as g
from desktop.services.program_settings import ProgramSettings, save_program
from desktop.views.app import make_application
from desktop.views.guidelines_page import GuidelinesPage, diff_html


@pytest.fixture
def page(qtbot, db: Database) -> GuidelinesPage:  # type: ignore[no-untyped-def]
    make_application()
    save_program(db, ProgramSettings(name="Acme Outdoor Partners", timezone="UTC", cookie_days=30))
    with db.write() as session:
        for code, status in (("ANN", "active"), ("BOB", "active"), ("CID", "paused")):
            session.add(Affiliate(code=code, name=f"{code.title()} Partner", status=status))
    widget = GuidelinesPage(db)
    qtbot.addWidget(widget)
    widget.resize(1200, 800)
    widget.show()
    qtbot.waitExposed(widget)
    widget.refresh()
    return widget


def test_starter_documents_are_listed_and_previewed_filled_in(page: GuidelinesPage) -> None:
    assert page.doc_list.count() == 5
    page.select_document("commission_terms")
    assert "{cookie_days}" in page.editor.toPlainText()
    preview = page.preview.toPlainText()
    assert "Acme Outdoor Partners" in preview and "30 days" in preview and "{cookie_days}" not in preview
    assert "not published yet" in page.state_label.text()


def test_typing_updates_the_preview_and_the_draft_is_saved(qtbot, page: GuidelinesPage, db: Database) -> None:  # type: ignore[no-untyped-def]
    page.select_document("brand")
    page.editor.selectAll()
    qtbot.keyClicks(page.editor, "# Our brand")
    qtbot.keyClick(page.editor, Qt.Key.Key_Return)
    qtbot.keyClick(page.editor, Qt.Key.Key_Return)
    qtbot.keyClicks(page.editor, "We are {program_name}.")
    qtbot.waitUntil(lambda: "We are Acme Outdoor Partners." in page.preview.toPlainText())
    assert page.save_button.isEnabled() and "Unsaved changes" in page.state_label.text()
    assert page.placeholder_warning.isHidden()
    qtbot.keyClicks(page.editor, " {Program_Nme}")  # a typo is pointed out while typing
    qtbot.waitUntil(lambda: page.placeholder_warning.isVisible())
    assert page.placeholder_warning.text().startswith("Not a placeholder: {Program_Nme} on line 3.")
    for _ in " {Program_Nme}":
        qtbot.keyClick(page.editor, Qt.Key.Key_Backspace)
    qtbot.waitUntil(lambda: page.placeholder_warning.isHidden())
    qtbot.keyClick(page.editor, Qt.Key.Key_S, Qt.KeyboardModifier.ControlModifier)
    assert g.get_draft(db, "brand").markdown == "# Our brand\n\nWe are {program_name}."
    assert not page.save_button.isEnabled()
    page.editor.appendPlainText("More.")
    page.select_document("terms")  # switching documents keeps the edit
    assert g.get_draft(db, "brand").markdown.endswith("More.")


def test_publish_compare_and_announce(
    qtbot, page: GuidelinesPage, db: Database, monkeypatch: pytest.MonkeyPatch
) -> None:  # type: ignore[no-untyped-def]
    page.select_document("terms")
    announced: list[g.Announcement] = []
    page.announcement_drafted.connect(announced.append)
    assert page.publish(summary="") == 1
    assert "version 1 published" in page.message.text()
    assert page.announcement_dialog.isVisible()  # terms need acceptance: the announcement is offered at once
    qtbot.mouseClick(page.announcement_dialog.ok_button, Qt.MouseButton.LeftButton)  # drafted on the Messages page
    assert [a.number for a in announced] == [1] and not page.announcement_dialog.isVisible()
    page.editor.setPlainText(page.editor.toPlainText().replace("within 14 days", "within 7 days"))
    asked: list[int] = []
    monkeypatch.setattr(page, "ask_summary", lambda number: asked.append(number) or "Seven days now.")
    assert page.publish() == 2 and asked == [2]
    assert "Seven days now." in page.announcement_dialog.findChildren(type(page.editor))[0].toPlainText()
    page.announcement_dialog.close()
    assert len(announced) == 1  # closed without drafting it
    page.tabs.setCurrentIndex(1)
    assert page.version_list.count() == 2 and "Version 2" in page.version_list.item(0).text()
    assert "within 7 days" in page.version_view.toPlainText()
    page.show_diff(1, 2)
    html = page.version_view.toHtml()
    assert "#fde7e9" in html and "#e6f4ea" in html and "14 days" in html and "7 days" in html
    assert "Changes from version 1 to version 2" in page.version_view.toPlainText()
    assert page.publish(summary="nothing") is None and "Nothing changed" in page.message.text()


def test_record_acceptance_for_the_selected_pending_affiliates(page: GuidelinesPage, db: Database) -> None:
    page.select_document("terms")
    g.publish(db, "terms", "", published_at=datetime(2026, 1, 5, 9, 0))
    page.refresh()
    page.tabs.setCurrentIndex(2)
    assert page.pending_table.rowCount() == 2  # the paused partner is not asked
    assert "0 accepted, 2 active affiliates" in page.acceptance_label.text()
    assert page.record_acceptance(date(2026, 1, 6), "signed") == 0  # nothing selected yet
    model = page.pending_table.model()
    page.pending_table.selectionModel().select(
        model.index(0, 0), QItemSelectionModel.SelectionFlag.Select | QItemSelectionModel.SelectionFlag.Rows
    )
    assert page.record_acceptance(date(2026, 1, 4), "signed") == 0  # before the publication
    assert "published on 05 Jan 2026" in page.message.text()
    assert page.record_acceptance(date(2026, 1, 6), "signed") == 1
    assert page.pending_table.rowCount() == 1 and page.accepted_table.rowCount() == 1
    assert page.accepted_table.item(0, 0).text() == "Ann Partner" and page.accepted_table.item(0, 3).text() == "Signed"
    page.select_document("brand")
    assert "do not need to accept" in page.acceptance_label.text()


def test_a_guideline_prints_to_a_pdf_with_real_text(page: GuidelinesPage, db: Database, tmp_path: Path) -> None:
    page.select_document("terms")
    g.publish(db, "terms", "")
    page.refresh()
    target = tmp_path / "terms.pdf"
    assert page.save_pdf(str(target)) == str(target)
    assert target.read_bytes().startswith(b"%PDF")
    text = subprocess.run(["pdftotext", str(target), "-"], capture_output=True, text=True, check=True).stdout
    assert "Affiliate terms and conditions" in text  # "ffi" not fused into one glyph: the word can be found
    assert "Acme Outdoor Partners · Terms and conditions · version 1" in text
    assert "Joining the program" in text and "{program_name}" not in text
    page.tabs.setCurrentIndex(1)
    heading, _ = page.printable()
    assert heading.startswith("Acme Outdoor Partners · Terms and conditions · version 1 of ")


def test_diff_html_escapes_text() -> None:
    html = diff_html(g.diff_text("<b>old</b>", "<script>new</script>"))
    assert "&lt;script&gt;" in html and "<script>" not in html
    assert diff_html(()) == "<p>The two versions are the same.</p>"
