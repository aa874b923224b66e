"""QA round 5 on the recruiting page: names, niches and errors people typed are shown as written, never as markup."""

from __future__ import annotations

import pytest
from PySide6.QtCore import Qt
from PySide6.QtGui import QTextDocument
from test_recruiting_page import shown_page

from desktop.db import Database
from desktop.models import Affiliate
from desktop.services.program_settings import ProgramSettings, save_program
from desktop.views.recruiting_page import RecruitingPage
from desktop.views.recruiting_parts import ROW_ROLE

NAME = "<b>Bold</b> <i>x</i>"


@pytest.fixture
def page(qtbot, db: Database) -> RecruitingPage:  # type: ignore[no-untyped-def]
    save_program(db, ProgramSettings(timezone="UTC", target_niches="hiking"))
    with db.write() as session:
        session.add(Affiliate(code="EVIL", name=NAME, status="applied", niches="<img src='x.png'>; hiking"))
    return shown_page(qtbot, db)


def test_a_candidate_named_with_markup_is_shown_as_written(page: RecruitingPage) -> None:
    table = page.tables["applied"]
    index = table.model().index(0, 0)
    assert index.data(ROW_ROLE).name == NAME
    table.setCurrentIndex(index)
    assert page.name_label.text() == f"{NAME}  (EVIL)"
    assert page.facts_label.text().endswith("niches: <img src='x.png'>, hiking")
    for label in (page.name_label, page.facts_label, page.message, *page.fit_reasons, page.action_error):
        assert label.textFormat() == Qt.TextFormat.PlainText


def test_the_candidate_tooltip_shows_the_name_as_written(page: RecruitingPage) -> None:
    tip = page.tables["applied"].model().index(0, 0).data(Qt.ItemDataRole.ToolTipRole)
    shown = QTextDocument()
    shown.setHtml(tip)  # a tooltip with a tag in it is rich text
    assert shown.toPlainText().splitlines()[0] == f"{NAME} (EVIL)"
