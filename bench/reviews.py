"""Benchmark of printed reviews: a batch of 100 performance reviews to PDF, against plain one-page documents."""

from __future__ import annotations

import statistics
import tempfile
import time
from collections.abc import Callable
from datetime import date
from itertools import cycle, islice
from pathlib import Path
from typing import Any

REVIEWS = 100
TODAY = date(2026, 11, 12)
PERIOD = "2026-10"


def seconds(work: Callable[[], Any]) -> tuple[float, Any]:
    started = time.perf_counter()
    result = work()
    return time.perf_counter() - started, result


def plain_pages(folder: Path, count: int = REVIEWS) -> float:
    """The anchor: one plain page of text (a heading, a paragraph and a small table) printed to `count` PDFs."""
    from PySide6.QtGui import QPainter, QTextDocument

    from desktop.views.report_render import pdf_writer, report_font, spare_none_references

    spare_none_references(5 * count * 50)  # untimed: the PySide6 6.12 / Python 3.11 workaround, for the anchor too

    html = ("<h1>Affiliate</h1><p>" + "A plain page of text. " * 40 + "</p><table>"
            + "".join(f"<tr><td>row {n}</td><td>{n * 100}.00</td></tr>" for n in range(12)) + "</table>")  # fmt: skip

    def once() -> None:
        for index in range(count):
            document = QTextDocument()
            document.setDefaultFont(report_font())
            document.setHtml(html)
            writer = pdf_writer(folder / f"plain-{index}.pdf")
            painter = QPainter(writer)
            document.documentLayout().setPaintDevice(writer)
            document.drawContents(painter)
            painter.end()

    return statistics.median(seconds(once)[0] for _ in range(5))


def _world(path: Path) -> tuple[Any, list[Any]]:
    from desktop.db import open_database
    from desktop.services.demo import load_demo
    from desktop.services.demo_conversions import load_demo_conversions
    from desktop.services.reports import list_report_affiliates

    db = open_database(path)
    load_demo(db, affiliates=150, months=7, today=TODAY)
    load_demo_conversions(db, months=7, today=TODAY)
    active = list_report_affiliates(db, active_only=True)
    return db, list(islice(cycle(active), REVIEWS))  # a hundred reviews (affiliates repeat if fewer are active)


def run() -> list[tuple[str, float, str, float]]:
    from desktop.services.report_review import iter_reviews
    from desktop.services.reports import report_file_name
    from desktop.views.report_batch import PdfSink
    from desktop.views.report_render import ensure_gui_application, review_document

    ensure_gui_application()
    with tempfile.TemporaryDirectory() as folder:
        root = Path(folder)
        db, people = _world(root / "bench.sqlite3")
        ids = [p.id for p in people]
        anchor = plain_pages(root)
        gather, reviews = seconds(lambda: list(iter_reviews(db, PERIOD, ids, today=TODAY)))

        def render(target: Path, combined: bool) -> int:
            sink = PdfSink(target, combined)
            for person, data in zip(people, reviews, strict=True):
                sink.add(review_document(data), report_file_name("review", PERIOD, f"{person.code}-{len(sink.staged)}"))
            sink.close()
            return sink.pages

        draw, pages = seconds(lambda: render(root / "rendered", False))

        def batch() -> None:
            sink = PdfSink(root / "batch", False)
            data = iter_reviews(db, PERIOD, ids, today=TODAY)
            for number, (person, review) in enumerate(zip(people, data, strict=True)):
                sink.add(review_document(review), report_file_name("review", PERIOD, f"{person.code}-{number}"))
            sink.close()

        whole, _ = seconds(batch)
        combined, _ = seconds(lambda: render(root / "all.pdf", True))
        db.dispose()
    name = f"{REVIEWS} plain 1-page QTextDocuments to {REVIEWS} PDFs"
    return [
        (f"reviews: {REVIEWS} to PDF, one file each ({pages} pages)", whole, name, anchor),
        ("  of which data and 300 dpi charts (the worker's part)", gather, name, anchor),
        ("  of which documents and PDF writing (the GUI's part)", draw, name, anchor),
        (f"reviews: {REVIEWS} into one combined PDF (from gathered data)", combined, name, anchor),
    ]


if __name__ == "__main__":
    from bench.__main__ import print_rows

    print_rows(run())
