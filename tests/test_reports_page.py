"""The Reports page driven like a person would: choose a report, a month and an affiliate, then save or preview."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from PySide6.QtWidgets import QMessageBox
from test_report_helpers import build_world, pdf_text

from desktop.db import Database
from desktop.views import reports_page as page_module
from desktop.views.reports_page import ALL, ReportsPage

WAIT = 120_000


@pytest.fixture
def world(db: Database) -> dict[str, int]:
    return build_world(db)


@pytest.fixture
def page(qtbot, db: Database, world: dict[str, int]) -> ReportsPage:  # type: ignore[no-untyped-def]
    widget = ReportsPage(db)
    qtbot.addWidget(widget)
    return widget


def test_the_choices_follow_the_report_kind(page: ReportsPage, world: dict[str, int]) -> None:
    assert page.title == "Reports"
    labels = [page.affiliate.itemText(i) for i in range(page.affiliate.count())]
    assert labels == ["All active affiliates", "Ada Moss (ADA) · paused", "Jane Griffin (JANE)", "Tom Baker (TOM)"]
    page.select("statement", "2026-10", world["JANE"])
    assert page.xlsx_button.isEnabled() and not page.until.isHidden()
    page.select("review", "2026-10", None)
    assert not page.xlsx_button.isEnabled() and not page.batch_box.isHidden()
    assert [a.code for a in page.chosen_affiliates()] == ["JANE", "TOM"]  # all *active* affiliates
    page.select("program", "2026-10")
    assert not page.affiliate.isEnabled() and page.batch_box.isHidden()
    page.select("statement", "2026-09", world["JANE"], until="2026-10")
    period = page.chosen_period()
    assert not isinstance(period, str) and period.label == "Sep – Oct 2026"


def test_save_one_review_as_pdf(qtbot, page: ReportsPage, world: dict[str, int], tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    path = tmp_path / "jane.pdf"
    page.select("review", "2026-10", world["JANE"])
    page.save_pdf(path)
    qtbot.waitUntil(lambda: path.exists() and "Saved" in page.status.text(), timeout=WAIT)
    assert "Jane Griffin (JANE)" in pdf_text(path) and "Performance review" in pdf_text(path)


def test_a_pdf_aimed_at_a_missing_folder_or_a_database_says_so(  # type: ignore[no-untyped-def]
    qtbot, page: ReportsPage, world: dict[str, int], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import sqlite3

    warned: list[str] = []
    monkeypatch.setattr(QMessageBox, "warning", lambda parent, title, text: warned.append(text))
    database = tmp_path / "shop.sqlite3"
    sqlite3.connect(database).execute("CREATE TABLE t (x)").connection.close()
    page.select("review", "2026-10", world["JANE"])
    for target, said in ((tmp_path / "gone" / "jane.pdf", "does not exist"), (database, "is a database")):
        page.save_pdf(target)
        qtbot.waitUntil(lambda said=said: said in page.status.text(), timeout=WAIT)
        assert page.status.text().startswith("Nothing was saved")
    assert not (tmp_path / "gone").exists() and database.read_bytes().startswith(b"SQLite format 3")


def test_save_a_statement_as_xlsx_and_the_program_report(qtbot, page: ReportsPage, world: dict[str, int],  # type: ignore[no-untyped-def]
                                                          tmp_path: Path) -> None:  # fmt: skip
    workbook = tmp_path / "jane.xlsx"
    page.select("statement", "2026-10", world["JANE"])
    page.save_xlsx(workbook)
    qtbot.waitUntil(lambda: workbook.exists() and "Saved" in page.status.text(), timeout=WAIT)
    report = tmp_path / "program.pdf"
    page.select("program", "2026-10")
    page.save_pdf(report)
    qtbot.waitUntil(lambda: report.exists() and "Saved" in page.status.text(), timeout=WAIT)
    assert "Program report" in pdf_text(report)


def test_all_active_affiliates_as_a_batch_and_cancelled(qtbot, page: ReportsPage, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    folder = tmp_path / "reviews"
    page.select("review", "2026-10", None)
    assert page.affiliate.currentData() == ALL and page.pdf_button.text() == "Save PDFs…"
    batch = page.save_pdf(folder, combined=False) or page.batch
    assert batch is not None
    with qtbot.waitSignal(batch.finished, timeout=WAIT):
        pass
    assert sorted(p.name for p in folder.iterdir()) == ["review-2026-10-JANE.pdf", "review-2026-10-TOM.pdf"]
    assert "Saved 2 reports" in page.status.text()

    combined = tmp_path / "all.pdf"
    batch = page.save_batch(combined, combined=True)
    assert batch is not None
    with qtbot.waitSignal(batch.cancelled, timeout=WAIT):
        batch.cancel()
    assert not combined.exists() and page.status.text() == "Cancelled: no file was written."


def test_preview_gets_one_document_per_affiliate(qtbot, page: ReportsPage, monkeypatch: pytest.MonkeyPatch) -> None:  # type: ignore[no-untyped-def]
    shown: list[Any] = []
    monkeypatch.setattr(page_module, "preview", lambda documents, parent: shown.append(documents))
    page.select("review", "2026-10", None)
    page.preview()
    qtbot.waitUntil(lambda: bool(shown), timeout=WAIT)
    [documents] = shown
    titles = [d.metaInformation(d.MetaInformation.DocumentTitle) for d in documents]
    assert titles == ["Performance review · Jane Griffin (JANE) · October 2026",
                      "Performance review · Tom Baker (TOM) · October 2026"]  # fmt: skip
