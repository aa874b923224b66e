"""Batch printing: data in a worker, documents on the GUI thread; one PDF each or one combined PDF; cancel and
failure leave nothing behind."""

from __future__ import annotations

from datetime import date, timedelta
from pathlib import Path

import pytest
from test_report_helpers import TODAY, assert_no_blank_page, build_world, pdf_pages, pdf_text

from desktop.db import Database
from desktop.services.errors import BadInput
from desktop.services.report_review import review_data
from desktop.services.reports import list_report_affiliates
from desktop.views.report_batch import BatchResult, PdfSink, ReportBatch
from desktop.views.report_render import review_document

NEXT = date.today().replace(day=28) + timedelta(days=4)
NOT_STARTED = f"{NEXT:%Y-%m}"  # next month, whatever day the tests run (a fixed month started one day)

WAIT = 120_000


@pytest.fixture
def world(db: Database) -> dict[str, int]:
    return build_world(db)


def everyone(db: Database) -> list:  # type: ignore[type-arg]
    return list_report_affiliates(db)  # Jane, Tom and (paused) Ada: three reviews


def test_one_pdf_per_affiliate_in_a_folder(qtbot, db: Database, world: dict[str, int], tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    folder = tmp_path / "reviews"
    batch = ReportBatch(db, "review", "2026-10", everyone(db), folder)
    seen: list[tuple[int, int, str]] = []
    batch.progress.connect(lambda done, total, what: seen.append((done, total, what)))
    with qtbot.waitSignal(batch.finished, timeout=WAIT) as blocker:
        batch.start()
    result: BatchResult = blocker.args[0]
    names = sorted(p.name for p in folder.iterdir())
    assert names == ["review-2026-10-ADA.pdf", "review-2026-10-JANE.pdf", "review-2026-10-TOM.pdf"]  # nothing hidden
    assert result.documents == 3 and sorted(p.name for p in result.paths) == names
    assert seen[-1][:2] == (3, 3) and "Tom Baker (TOM)" in [what for _, _, what in seen]
    assert "Jane Griffin (JANE)" in pdf_text(folder / "review-2026-10-JANE.pdf")
    assert "Ada Moss (ADA)" in pdf_text(folder / "review-2026-10-ADA.pdf")


def test_one_combined_pdf(qtbot, db: Database, world: dict[str, int], tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    path = tmp_path / "all.pdf"
    batch = ReportBatch(db, "statement", "2026-10", everyone(db), path, combined=True)
    with qtbot.waitSignal(batch.finished, timeout=WAIT) as blocker:
        batch.start()
    assert blocker.args[0].paths == (path,)
    text = pdf_text(path)
    assert all(name in text for name in ("Jane Griffin (JANE)", "Tom Baker (TOM)", "Ada Moss (ADA)"))
    assert pdf_pages(path) == blocker.args[0].pages >= 3
    assert_no_blank_page(path, tmp_path / "pages")
    assert [p.name for p in tmp_path.iterdir() if p.suffix == ".pdf" or ".tmp" in p.name] == ["all.pdf"]


@pytest.mark.parametrize("combined", [False, True])
def test_cancel_leaves_nothing_behind(qtbot, db: Database, world: dict[str, int], tmp_path: Path,  # type: ignore[no-untyped-def]
                                      combined: bool) -> None:  # fmt: skip
    target = tmp_path / ("all.pdf" if combined else "reviews")
    people = everyone(db) * 3  # nine reviews: cancelled after the first
    batch = ReportBatch(db, "review", "2026-10", people, target, combined=combined)
    batch.progress.connect(lambda done, total, what: batch.cancel() if done == 1 else None)
    with qtbot.waitSignal(batch.cancelled, timeout=WAIT):
        batch.start()
    assert batch.done == 1
    leftovers = [p.name for p in tmp_path.rglob("*") if p.name != "test.sqlite3" and "sqlite3" not in p.name]
    assert leftovers == []  # not even the folder the batch made
    qtbot.wait(200)  # the worker stops too (its next step raises Cancelled); nothing arrives later
    assert not target.is_file()


def test_a_failing_worker_is_reported_and_cleaned_up(qtbot, db: Database, world: dict[str, int],  # type: ignore[no-untyped-def]
                                                     tmp_path: Path) -> None:  # fmt: skip
    batch = ReportBatch(db, "review", NOT_STARTED, everyone(db), tmp_path / "reviews")
    with qtbot.waitSignal(batch.failed, timeout=WAIT) as blocker:
        batch.start()
    assert isinstance(blocker.args[0], BadInput)
    assert not (tmp_path / "reviews").exists()
    existing = tmp_path / "mine"
    existing.mkdir()
    batch = ReportBatch(db, "review", NOT_STARTED, everyone(db), existing)
    with qtbot.waitSignal(batch.failed, timeout=WAIT):
        batch.start()
    assert existing.is_dir() and list(existing.iterdir()) == []  # a folder the user had stays


def test_the_sink_discards_everything(qapp, db: Database, world: dict[str, int],  # type: ignore[no-untyped-def]
                                                         tmp_path: Path) -> None:  # fmt: skip
    sink = PdfSink(tmp_path / "all.pdf", combined=True)
    sink.add(review_document(review_data(db, world["TOM"], "2026-10", today=TODAY)), "x.pdf")
    sink.discard()
    assert list(tmp_path.glob("*.pdf")) == [] and not list(tmp_path.glob(".all.pdf*"))
