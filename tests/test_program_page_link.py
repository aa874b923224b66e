"""The Program page's referral link field, typed like a person would: checked next to the field, saved, not dirty."""

from __future__ import annotations

from dataclasses import replace

from PySide6.QtCore import Qt

from desktop.db import Database
from desktop.services.program_settings import ProgramSettings, get_program, save_program
from desktop.views.app import make_application
from desktop.views.program_page import ProgramPage


def test_the_shops_referral_link_is_checked_and_saved(qtbot, db: Database) -> None:  # type: ignore[no-untyped-def]
    make_application()
    save_program(db, ProgramSettings(name="Acme", timezone="UTC"))
    page = ProgramPage(db)
    qtbot.addWidget(page)
    page.show()
    qtbot.waitExposed(page)
    page.load()
    assert page.referral_link.text() == "" and not page.is_dirty()
    qtbot.keyClicks(page.referral_link, "https://acme.example/")
    error = page.errors["referral_link_template"]
    assert error.isVisible() and error.text().startswith("Put {code} where the affiliate's code goes")
    assert not page.save_button.isEnabled() and page.is_dirty()
    qtbot.keyClicks(page.referral_link, "?ref={code} ")
    assert not error.isVisible() and page.save_button.isEnabled()
    qtbot.keyClick(page.referral_link, Qt.Key.Key_Return)  # Enter saves
    assert get_program(db).referral_link_template == "https://acme.example/?ref={code}"
    assert not page.is_dirty()  # saved trimmed: the space left in the field is no change

    save_program(db, replace(get_program(db), referral_link_template="https://shop.example/r/{code}"))
    page.refresh()  # nothing unsaved: the stored link is shown
    assert page.referral_link.text() == "https://shop.example/r/{code}" and not page.is_dirty()
    page.referral_link.clear()
    qtbot.keyClicks(page.referral_link, "x")
    assert page.is_dirty()
    page.refresh()  # coming back to the page keeps the change not saved yet
    assert page.referral_link.text() == "x" and "not saved yet" in page.status.text()
