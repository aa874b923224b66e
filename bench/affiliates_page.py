"""The affiliates page with 10,000 affiliates: open (count + first page) and filter, against raw sqlite3."""

from __future__ import annotations

import os
import sqlite3
import tempfile
from pathlib import Path

from bench.timing import median_seconds


def run() -> list[tuple[str, float, str, float]]:
    os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
    from desktop.db import open_database
    from desktop.services.demo import load_demo
    from desktop.views.affiliates_page import AffiliatesPage
    from desktop.views.app import make_application

    app = make_application()
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "bench.sqlite3"
        db = open_database(path)
        load_demo(db, affiliates=10_000)

        def open_page() -> None:
            page = AffiliatesPage(db)
            page.resize(1200, 800)
            page.show()
            page.refresh()
            app.processEvents()
            page.close()
            page.deleteLater()

        page = AffiliatesPage(db)
        page.refresh()

        def type_search() -> None:
            page.search.setText("bro")
            page.apply_filter()
            page.search.setText("")
            page.apply_filter()

        opened = median_seconds(open_page)
        filtered = median_seconds(type_search) / 2
        raw = sqlite3.connect(path)

        def anchor() -> None:
            raw.execute("SELECT count(*) FROM affiliate").fetchone()
            raw.execute(
                "SELECT id, code, name, status, joined_on, total_followers FROM affiliate ORDER BY code LIMIT 200"
            ).fetchall()

        anchor_time = median_seconds(anchor)
        raw.close()
        db.dispose()
    return [
        ("affiliates page opened, 10,000 affiliates", opened, "sqlite3 count + first 200 rows", anchor_time),
        ("affiliates page filtered by a search text", filtered, "sqlite3 count + first 200 rows", anchor_time),
    ]


if __name__ == "__main__":
    from bench.__main__ import print_rows

    print_rows(run())
