"""A small program worked out by hand for the report tests, and helpers to read the PDFs they write.

Orders go in as Core inserts (the way an import leaves them); plans, affiliates, targets, feedback and payout sheets
through the services. Jane Griffin (JANE: "ffi" in her name tests ligatures) is the affiliate the tests follow.
"""

from __future__ import annotations

import re
import subprocess
from datetime import date, datetime, time
from decimal import Decimal
from pathlib import Path

from sqlalchemy import insert, select

from desktop.db import Database
from desktop.models import Conversion, ConversionLine, DailyClicks
from desktop.services.affiliates import AffiliateInput, create_affiliate
from desktop.services.feedback import FeedbackInput, add_feedback
from desktop.services.payouts import add_adjustment, approve_sheet, build_payout_sheet, mark_paid
from desktop.services.plans import PlanInput, create_plan
from desktop.services.program_settings import ProgramSettings, save_program
from desktop.services.targets import TargetInput
from desktop.services.targets_settle import create_target

D = Decimal
TODAY = date(2026, 11, 3)  # October is over; November has just begun
FORMULA_ORDER = "=SUM(A1:A9)"  # an order number a spreadsheet would run as a formula
FORMULA_REASON = '=HYPERLINK("http://example.com","click") thanks for the video'


def add_order(db: Database, affiliate_id: int | None, order_id: str, day: date, amount: str, *,
              status: str = "approved", refunded: str = "0.00") -> int:  # fmt: skip
    at = datetime.combine(day, time(12, 0))
    with db.write() as session:
        session.execute(insert(Conversion), [{
            "order_id": order_id, "type": "sale", "occurred_at": at, "local_date": day, "currency": "USD",
            "status": status, "amount": D(amount), "refunded_amount": D(refunded),
            "net_amount": D(amount) - D(refunded), "affiliate_id": affiliate_id,
            "attribution": "referral" if affiliate_id else "organic", "row_hash": order_id, "created_at": at,
            "updated_at": at,
        }])  # fmt: skip
        cid = session.scalar(select(Conversion.id).where(Conversion.order_id == order_id))
        assert cid is not None
        session.execute(insert(ConversionLine), [{"conversion_id": cid, "line_no": 1, "sku": "TENT-2",
                                                  "quantity": 1, "amount": D(amount)}])  # fmt: skip
    return cid


def add_daily_clicks(db: Database, affiliate_id: int, day: date, clicks: int) -> None:
    with db.write() as session:
        session.execute(insert(DailyClicks), [{"affiliate_id": affiliate_id, "day": day, "clicks": clicks}])


def build_world(db: Database) -> dict[str, int]:
    """Jane sells 300.00 in September and 900.00 in October (one order partly refunded, one pending), Tom 100.00,
    Ada (paused) 900.00; targets, feedback, a paid September sheet and a draft October sheet."""
    save_program(db, ProgramSettings(name="Acme Outdoor", currency="USD", timezone="UTC",
                                     payout_threshold=D("10.00"), north_star_target=D("1500.00"),
                                     configured=True))  # fmt: skip
    plan = create_plan(db, PlanInput(name="Standard", sale_rate=D("0.10")))
    ids = {
        "JANE": create_affiliate(db, AffiliateInput(code="JANE", name="Jane Griffin", plan_id=plan, tags=("blog",),
                                                    joined_on=date(2025, 3, 1), email="jane@example.com")),
        "TOM": create_affiliate(db, AffiliateInput(code="TOM", name="Tom Baker", plan_id=plan)),
        "ADA": create_affiliate(db, AffiliateInput(code="ADA", name="Ada Moss", plan_id=plan, status="paused")),
    }  # fmt: skip
    jane, tom = ids["JANE"], ids["TOM"]
    add_order(db, jane, "S-100", date(2026, 9, 10), "300.00")
    add_daily_clicks(db, jane, date(2026, 9, 1), 50)
    build_payout_sheet(db, "2026-09", as_of=date(2026, 10, 5))
    approve_sheet(db, "2026-09")
    mark_paid(db, "2026-09", "PP-0915", date(2026, 10, 7))

    add_order(db, jane, "J-101", date(2026, 10, 2), "150.00")
    add_order(db, jane, "J-102", date(2026, 10, 20), "250.00")
    add_order(db, jane, FORMULA_ORDER, date(2026, 10, 22), "600.00", refunded="100.00")
    add_order(db, jane, "J-104", date(2026, 10, 25), "80.00", status="pending")
    add_order(db, tom, "T-201", date(2026, 10, 5), "100.00")
    add_order(db, ids["ADA"], "A-301", date(2026, 10, 5), "900.00")
    add_order(db, None, "O-401", date(2026, 10, 15), "500.00")
    add_order(db, jane, "J-105", date(2026, 11, 2), "200.00")
    add_daily_clicks(db, jane, date(2026, 10, 1), 100)
    add_daily_clicks(db, tom, date(2026, 10, 1), 40)

    october = {"period": "2026-10"}
    create_target(db, TargetInput("JANE", "revenue", goal=D("800.00"), bonus=D("50.00"), reward_rate=D("0.02"),
                                  reward_text="Trail shoes", **october), today=TODAY)  # fmt: skip
    create_target(db, TargetInput("all", "sales", goal=D("2"), bonus=D("10.00"), **october), today=TODAY)
    create_target(db, TargetInput("JANE", "clicks", goal=D("150"), **october), today=TODAY)
    create_target(db, TargetInput("JANE", "revenue", "2026-11", growth=D("0.1")), today=TODAY)
    create_target(db, TargetInput("all", "sales", "2026-11", goal=D("3"), reward_text="A shout-out in the newsletter"),
                  today=TODAY)  # fmt: skip
    add_adjustment(db, "2026-10", jane, "bonus", "25.00", FORMULA_REASON)
    build_payout_sheet(db, "2026-10", as_of=TODAY)

    add_feedback(db, jane, FeedbackInput("praise", "Great unboxing video; the affiliate link was easy to find.",
                                         date(2026, 10, 12)), author="manager")  # fmt: skip
    add_feedback(db, jane, FeedbackInput("coaching", "Put the discount code in the first line of the description.",
                                         date(2026, 10, 20)), author="manager")  # fmt: skip
    add_feedback(db, jane, FeedbackInput("praise", "A November note, not October's.", date(2026, 11, 1)))
    return ids


# --- reading PDFs ----------------------------------------------------------------------------------------------


def pdf_text(path: Path, page: int | None = None) -> str:
    """The PDF's text as a reader's search sees it (pdftotext), whitespace squeezed; one page when asked."""
    pages = ["-f", str(page), "-l", str(page)] if page else []
    out = subprocess.run(["pdftotext", "-layout", *pages, str(path), "-"], check=True, capture_output=True, text=True)
    return re.sub(r"[ \t]+", " ", out.stdout)


def pdf_pages(path: Path) -> int:
    info = subprocess.run(["pdfinfo", str(path)], check=True, capture_output=True, text=True).stdout
    match = re.search(r"^Pages:\s+(\d+)", info, re.MULTILINE)
    assert match, info
    return int(match.group(1))


def page_images(path: Path, folder: Path) -> list[Path]:
    """Every page rendered at 50 dpi (pdftoppm), as PNG files in order."""
    folder.mkdir(parents=True, exist_ok=True)
    subprocess.run(["pdftoppm", "-r", "50", "-png", str(path), str(folder / "page")], check=True)
    return sorted(folder.glob("page-*.png"))


def inked_share(png: Path) -> float:
    """The share of a page image's pixels that are not (near) white: 0.0 is a blank page."""
    from PySide6.QtGui import QImage

    image = QImage(str(png)).convertToFormat(QImage.Format.Format_Grayscale8)
    assert not image.isNull(), png
    width, height, stride = image.width(), image.height(), image.bytesPerLine()
    data = bytes(image.constBits())
    inked = sum(1 for y in range(height) for value in data[y * stride : y * stride + width] if value < 235)
    return inked / (width * height)


def assert_no_blank_page(path: Path, folder: Path) -> int:
    images = page_images(path, folder)
    assert len(images) == pdf_pages(path)
    for image in images:
        assert inked_share(image) > 0.003, f"{image.name} of {path.name} is blank"
    return len(images)
