"""The recruiting page driven like a person would: pick a candidate, screen, approve, reject, onboard."""

from __future__ import annotations

from collections.abc import Callable
from decimal import Decimal

import pytest
from PySide6.QtCore import QPoint, Qt
from PySide6.QtWidgets import QCheckBox, QDialog
from sqlalchemy import select

from desktop.db import Database
from desktop.models import Affiliate, Onboarding, SocialProfile, StatusChange
from desktop.services.program_settings import ProgramSettings, save_program
from desktop.services.recruiting import list_onboarding
from desktop.views.app import make_application
from desktop.views.recruiting_page import ROW_ROLE, STAGES, ReasonDialog, RecruitingPage


@pytest.fixture
def people(db: Database) -> dict[str, int]:
    save_program(db, ProgramSettings(timezone="UTC", target_niches="hiking; camping; trail running; climbing"))
    rows = [
        ("JANE", "Jane Hiker", "applied", "hiking; camping", 42_000, "3.10"),
        ("TOM", "Tom Runner", "applied", "running", 8_500, "2.40"),
        ("BOB", "Bob Bots", "prospect", "gear reviews", 150_000, "22.00"),
        ("OLGA", "Olga Partner", "active", "hiking", 1_000, "2.00"),
    ]
    ids: dict[str, int] = {}
    with db.write() as session:
        for code, name, status, niches, followers, rate in rows:
            affiliate = Affiliate(code=code, name=name, status=status, niches=niches, total_followers=followers)
            affiliate.socials = [
                SocialProfile(platform="instagram", followers=followers, engagement_rate=Decimal(rate))
            ]
            session.add(affiliate)
            session.flush()
            ids[code] = affiliate.id
    return ids


def shown_page(qtbot, db: Database) -> RecruitingPage:  # type: ignore[no-untyped-def]
    """The page on `db`, shown at a laptop's size and loaded."""
    make_application()
    widget = RecruitingPage(db)
    qtbot.addWidget(widget)
    widget.resize(1250, 860)
    widget.show()
    qtbot.waitExposed(widget)
    widget.refresh()
    return widget


@pytest.fixture
def page(qtbot, db: Database, people: dict[str, int]) -> RecruitingPage:  # type: ignore[no-untyped-def]
    return shown_page(qtbot, db)


def names_in(page: RecruitingPage, stage: str) -> list[str]:
    table = page.tables[stage]
    return [table.model().index(row, 0).data() for row in range(table.model().rowCount())]


def click_row(qtbot, page: RecruitingPage, stage: str, name: str) -> None:  # type: ignore[no-untyped-def]
    page.tabs.setCurrentIndex(STAGES.index(stage))
    table = page.tables[stage]
    row = names_in(page, stage).index(name)
    rect = table.visualRect(table.model().index(row, 0))
    qtbot.mouseClick(table.viewport(), Qt.MouseButton.LeftButton, pos=rect.center())


def tick(qtbot, box: QCheckBox) -> None:  # type: ignore[no-untyped-def]
    qtbot.mouseClick(box, Qt.MouseButton.LeftButton, pos=QPoint(6, box.height() // 2))


def drive_dialog(monkeypatch: pytest.MonkeyPatch, qtbot, steps: Callable[[ReasonDialog], None]) -> list[str]:  # type: ignore[no-untyped-def]
    """Replace the modal exec() with a person typing into the real dialog; returns the titles seen."""
    seen: list[str] = []

    def exec_(dialog: ReasonDialog) -> int:
        dialog.show()
        seen.append(dialog.windowTitle())
        steps(dialog)
        result = dialog.result()
        dialog.close()
        return result

    monkeypatch.setattr(ReasonDialog, "exec", exec_)
    return seen


def status_of(db: Database, affiliate_id: int) -> str:
    with db.read() as session:
        affiliate = session.get(Affiliate, affiliate_id)
        assert affiliate is not None
        return affiliate.status


def test_tabs_count_candidates_best_fit_first(page: RecruitingPage) -> None:
    assert [page.tabs.tabText(i) for i in range(3)] == ["Prospects (1)", "Applied (2)", "In screening (0)"]
    assert names_in(page, "applied") == ["Jane Hiker", "Tom Runner"]
    assert page.placeholder.isVisible() and not page.detail.isVisible()
    assert not page.niches_hint.isVisible()


def test_selecting_a_candidate_explains_the_fit_score(qtbot, page: RecruitingPage) -> None:  # type: ignore[no-untyped-def]
    click_row(qtbot, page, "prospect", "Bob Bots")
    assert page.detail.isVisible()
    assert "Bob Bots" in page.name_label.text()
    assert page.fit_total.text() == "40 of 100"
    assert "check for bought engagement" in page.fit_reasons[2].text()
    assert page.fit_reasons[0].text().startswith("Covers none of your 4 target niches")
    assert not page.approve_button.isEnabled()
    assert "review the website" in page.missing_label.text()


def test_screen_and_approve_a_candidate(qtbot, page: RecruitingPage, db: Database, people, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    jane = people["JANE"]
    click_row(qtbot, page, "applied", "Jane Hiker")
    for box in page.checks.values():
        tick(qtbot, box)
    assert not page.approve_button.isEnabled()  # still no risk rating
    page.risk.setCurrentIndex(page.risk.findData("low"))
    assert page.approve_button.isEnabled()
    assert page.unsaved.isVisible()

    def steps(dialog: ReasonDialog) -> None:
        qtbot.mouseClick(dialog.ok_button, Qt.MouseButton.LeftButton)  # no reason yet
        assert dialog.error.isVisible() and "reason" in dialog.error.text()
        assert dialog.isVisible()
        qtbot.keyClicks(dialog.reason, "Great hiking audience")
        qtbot.mouseClick(dialog.ok_button, Qt.MouseButton.LeftButton)

    titles = drive_dialog(monkeypatch, qtbot, steps)
    qtbot.mouseClick(page.approve_button, Qt.MouseButton.LeftButton)
    assert titles == ["Approve Jane Hiker"]
    assert status_of(db, jane) == "active"
    with db.read() as session:
        history = session.scalars(select(StatusChange).where(StatusChange.affiliate_id == jane)).all()
        assert [(h.to_status, h.reason) for h in history] == [
            ("screening", "Screening started"),
            ("active", "Great hiking audience"),
        ]
        assert session.scalars(select(Onboarding).where(Onboarding.affiliate_id == jane)).one()
    assert "Jane Hiker" not in names_in(page, "applied") + names_in(page, "screening")
    assert page.tabs.tabText(1) == "Applied (1)"
    assert "active affiliate" in page.message.text()
    assert jane in page.onboarding_rows
    assert not page.detail.isVisible()


def test_high_risk_approval_asks_why(qtbot, page: RecruitingPage, people, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    click_row(qtbot, page, "applied", "Tom Runner")
    for box in page.checks.values():
        tick(qtbot, box)
    page.risk.setCurrentIndex(page.risk.findData("high"))
    prompts: list[str] = []

    def steps(dialog: ReasonDialog) -> None:
        prompts.append(dialog.prompt.text())
        qtbot.mouseClick(dialog.cancel_button, Qt.MouseButton.LeftButton)

    drive_dialog(monkeypatch, qtbot, steps)
    qtbot.mouseClick(page.approve_button, Qt.MouseButton.LeftButton)
    assert "risk high" in prompts[0]
    assert status_of(page.db, people["TOM"]) == "applied"  # cancelled: nothing changed


def test_reject_needs_a_reason(qtbot, page: RecruitingPage, db: Database, people, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    click_row(qtbot, page, "prospect", "Bob Bots")

    def steps(dialog: ReasonDialog) -> None:
        dialog.reason.setText("   ")
        qtbot.keyClick(dialog.reason, Qt.Key.Key_Return)
        assert dialog.error.isVisible()
        qtbot.keyClicks(dialog.reason, "Bought followers")
        qtbot.keyClick(dialog.reason, Qt.Key.Key_Return)
        assert dialog.result() == QDialog.DialogCode.Accepted

    drive_dialog(monkeypatch, qtbot, steps)
    qtbot.mouseClick(page.reject_button, Qt.MouseButton.LeftButton)
    assert status_of(db, people["BOB"]) == "rejected"
    assert names_in(page, "prospect") == []
    assert "rejected" in page.message.text()


def test_save_screening_moves_to_the_screening_tab(qtbot, page: RecruitingPage, db: Database, people) -> None:  # type: ignore[no-untyped-def]
    click_row(qtbot, page, "applied", "Tom Runner")
    assert not page.save_button.isEnabled()
    tick(qtbot, page.checks["website_reviewed"])
    qtbot.keyClicks(page.notes, "Blog looks honest")
    qtbot.mouseClick(page.save_button, Qt.MouseButton.LeftButton)
    assert status_of(db, people["TOM"]) == "screening"
    assert page.tabs.currentIndex() == STAGES.index("screening")
    assert page.current is not None and page.current.id == people["TOM"]
    current = page.tables["screening"].currentIndex()
    assert current.data(ROW_ROLE).screening_done == 1
    assert page.notes.toPlainText() == "Blog looks honest"
    assert not page.unsaved.isVisible()


def test_escape_reverts_unsaved_ticks(qtbot, page: RecruitingPage) -> None:  # type: ignore[no-untyped-def]
    click_row(qtbot, page, "applied", "Jane Hiker")
    tick(qtbot, page.checks["backlinks_checked"])
    assert page.checks["backlinks_checked"].isChecked()
    qtbot.keyClick(page.notes, Qt.Key.Key_Escape)
    assert not page.checks["backlinks_checked"].isChecked()
    assert not page.save_button.isEnabled()


def test_move_to_another_stage(qtbot, page: RecruitingPage, db: Database, people) -> None:  # type: ignore[no-untyped-def]
    click_row(qtbot, page, "prospect", "Bob Bots")
    labels = [action.text() for action in page.move_menu.actions()]
    assert labels == ["Applied", "In screening"]
    page.move_menu.actions()[0].trigger()
    assert status_of(db, people["BOB"]) == "applied"
    assert page.tabs.currentIndex() == STAGES.index("applied")
    assert "Bob Bots" in names_in(page, "applied")


def test_service_errors_are_shown_next_to_the_buttons(qtbot, page: RecruitingPage, db: Database, people) -> None:  # type: ignore[no-untyped-def]
    click_row(qtbot, page, "applied", "Jane Hiker")
    with db.write() as session:  # someone else approved her in the meantime
        affiliate = session.get(Affiliate, people["JANE"])
        assert affiliate is not None
        affiliate.status = "active"
    tick(qtbot, page.checks["website_reviewed"])
    qtbot.mouseClick(page.save_button, Qt.MouseButton.LeftButton)
    assert page.action_error.isVisible()
    assert "no longer a candidate" in page.action_error.text()


def test_onboarding_steps_are_ticked_off(qtbot, page: RecruitingPage, db: Database, people) -> None:  # type: ignore[no-untyped-def]
    from desktop.services.recruiting import ScreeningInput, decide, save_screening

    jane = people["JANE"]
    save_screening(db, jane, ScreeningInput(True, True, True, True, "low"))
    decide(db, jane, "approved", "Fits")
    page.refresh()
    boxes = page.onboarding_rows[jane]
    tick(qtbot, boxes[0])
    tick(qtbot, boxes[1])
    with db.read() as session:
        row = session.scalars(select(Onboarding).where(Onboarding.affiliate_id == jane)).one()
        assert (row.goals_communicated, row.terms_accepted, row.asset_kit_sent, row.completed_at) == (
            True,
            True,
            False,
            None,
        )
    tick(qtbot, page.onboarding_rows[jane][2])
    assert list_onboarding(db) == ()
    assert jane not in page.onboarding_rows
    assert "complete" in page.message.text()


def test_an_empty_pipeline_says_where_candidates_come_from(qtbot, db: Database) -> None:  # type: ignore[no-untyped-def]
    make_application()
    page = RecruitingPage(db)
    qtbot.addWidget(page)
    page.show()
    page.refresh()
    assert "No candidates yet" in page.placeholder.text()
    assert page.niches_hint.isVisible()
    assert "Nobody is waiting for onboarding" in page.onboarding_grid.itemAt(0).widget().text()  # type: ignore[union-attr]


def test_screening_edits_are_saved_when_moving_on(qtbot, page: RecruitingPage, db: Database, people) -> None:  # type: ignore[no-untyped-def]
    from desktop.services.recruiting import get_screening

    click_row(qtbot, page, "applied", "Tom Runner")
    tick(qtbot, page.checks["website_reviewed"])
    qtbot.keyClicks(page.notes, "Blog looks honest")
    click_row(qtbot, page, "applied", "Jane Hiker")  # another candidate
    saved = get_screening(db, people["TOM"]).checklist
    assert saved.website_reviewed and saved.notes == "Blog looks honest"
    tick(qtbot, page.checks["backlinks_checked"])
    page.refresh()  # leaving the page and coming back, or an onboarding tick
    assert page.checks["backlinks_checked"].isChecked() and not page.unsaved.isVisible()
    assert get_screening(db, people["JANE"]).checklist.backlinks_checked
    assert page.keep_unsaved() is None


def test_moving_a_candidate_keeps_the_ticks(qtbot, page: RecruitingPage, db: Database, people) -> None:  # type: ignore[no-untyped-def]
    from desktop.services.recruiting import get_screening

    click_row(qtbot, page, "prospect", "Bob Bots")
    tick(qtbot, page.checks["website_reviewed"])
    page.move_menu.actions()[0].trigger()  # Applied
    assert status_of(db, people["BOB"]) == "applied"
    assert get_screening(db, people["BOB"]).checklist.website_reviewed
