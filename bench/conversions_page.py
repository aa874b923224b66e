"""The conversions page on 1,000,000 orders: opening it, scrolling deep, filtering a month; raw sqlite3 as anchor."""

from __future__ import annotations

import os
import sqlite3
import tempfile
from pathlib import Path

from bench.timing import median_seconds


def run() -> list[tuple[str, float, str, float]]:
    os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
    from bench.payouts import generate
    from desktop.db import open_database
    from desktop.views.app import make_application
    from desktop.views.conversions_page import ConversionsPage

    app = make_application()
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "bench.sqlite3"
        db = open_database(path)
        generate(db)
        page = ConversionsPage(db)
        page.resize(1200, 800)
        page.show()

        def open_page() -> None:
            page.refresh()
            app.processEvents()

        def scroll_deep() -> None:  # twenty pages down, as a user dragging the scroll bar would ask for them
            page.apply_filter()
            for _ in range(20):
                page.model.fetchMore()
            app.processEvents()

        def filter_month() -> None:
            page.period.setCurrentIndex(page.period.findData("2026-09"))
            page.period.setCurrentIndex(0)

        opened, scrolled, filtered = (
            median_seconds(open_page),
            median_seconds(scroll_deep),
            median_seconds(filter_month) / 2,
        )
        raw = sqlite3.connect(path)

        def anchor() -> None:
            raw.execute("SELECT count(*) FROM conversion").fetchone()
            raw.execute(
                "SELECT id, order_id, occurred_at, amount FROM conversion "
                "ORDER BY local_date DESC, occurred_at DESC, id DESC LIMIT 300"
            ).fetchall()

        anchor_time = median_seconds(anchor)
        raw.close()
        page.close()
        db.dispose()
    return [
        ("conversions page opened, 1,000,000 orders", opened, "sqlite3 count + newest 300 rows", anchor_time),
        ("  scrolled 20 pages (6,000 rows) deep", scrolled, "sqlite3 count + newest 300 rows", anchor_time),
        ("  filtered to one month and back (each)", filtered, "sqlite3 count + newest 300 rows", anchor_time),
    ]


if __name__ == "__main__":
    from bench.__main__ import print_rows

    print_rows(run())
