"""Printed reports as a reader gets them: the PDFs' searchable text (pdftotext), pages that are not blank
(pdftoppm), embedded fonts, sharp charts, the page size of the locale."""

from __future__ import annotations

import re
import subprocess
from pathlib import Path

import pytest
from PySide6.QtCore import QLocale
from PySide6.QtGui import QPageSize
from test_report_helpers import FORMULA_ORDER, TODAY, assert_no_blank_page, build_world, pdf_pages, pdf_text

from desktop.db import Database
from desktop.services.errors import BadInput
from desktop.services.report_program import program_report_data
from desktop.services.report_review import review_data
from desktop.services.statements import statement_data
from desktop.views.report_html import review_html
from desktop.views.report_render import (
    page_size_for,
    print_to_pdf,
    program_document,
    review_document,
    statement_document,
)

pytestmark = pytest.mark.usefixtures("qapp")


@pytest.fixture
def world(db: Database) -> dict[str, int]:
    return build_world(db)


@pytest.fixture
def review_pdf(db: Database, world: dict[str, int], tmp_path: Path) -> Path:
    path = tmp_path / "review.pdf"
    print_to_pdf(review_document(review_data(db, world["JANE"], "2026-10", today=TODAY)), path)
    return path


def test_the_review_reads_like_a_document(review_pdf: Path, tmp_path: Path) -> None:
    text = pdf_text(review_pdf)
    for expected in ("Acme Outdoor", "Performance review", "Jane Griffin (JANE)", "October 2026", "Key figures",
                     "Program average", "September 2026", "900.00", "300.00", "+200.0 %", "500.00", "3.00 %",
                     "Six-month trend", "1 of 2 active affiliates by revenue", "Great unboxing video",
                     "Put the discount code", "Trail shoes", "+2% commission rate in November 2026",
                     "Targets for November 2026", "990.00", "+10% over October 2026", "Comments",
                     "Program manager"):  # fmt: skip
        assert expected in text, expected
    assert "November note" not in text  # feedback of another month
    assert "[target" not in text
    assert re.search(r"Revenue\s.*800\.00\s+900\.00\s+113 %\s+Met", text)  # goal, actual, reached, result
    assert re.search(r"Clicks\s.*150\s+100\s+67 %\s+Missed", text)
    assert 1 <= pdf_pages(review_pdf) <= 2
    assert_no_blank_page(review_pdf, tmp_path / "pages")


def test_affiliate_is_searchable_text_with_embedded_fonts(review_pdf: Path) -> None:
    raw = subprocess.run(["pdftotext", str(review_pdf), "-"], check=True, capture_output=True, text=True).stdout
    assert "active affiliates" in raw and "Affiliate" in raw  # "ffi" stays three letters: no ligature glyph
    assert "Griffin" in raw
    fonts = subprocess.run(["pdffonts", str(review_pdf)], check=True, capture_output=True, text=True).stdout
    rows = fonts.splitlines()[2:]
    assert rows and all(row.split()[-5] == "yes" for row in rows), fonts  # the "emb" column


def test_the_chart_is_printed_at_300_dpi(review_pdf: Path) -> None:
    listing = subprocess.run(["pdfimages", "-list", str(review_pdf)], check=True, capture_output=True, text=True)
    [image] = listing.stdout.splitlines()[2:]
    columns = image.split()
    assert int(columns[3]) >= 1900 and int(columns[12]) >= 290  # width in pixels, x-ppi on the page
    assert columns[8] != "jpeg"  # line art kept lossless


def test_the_comments_box_stays_with_its_heading(review_pdf: Path) -> None:
    pages = pdf_pages(review_pdf)
    found = [page for page in range(1, pages + 1) if "Comments" in pdf_text(review_pdf, page)]
    assert found and "Program manager" in pdf_text(review_pdf, found[-1])


def test_user_text_is_escaped_in_the_html(db: Database, world: dict[str, int]) -> None:
    review = review_data(db, world["JANE"], "2026-10", today=TODAY)
    html = review_html(review).html
    assert "&quot;http://example.com&quot;" in html and '"http://example.com"' not in html


def test_the_statement_lists_orders_commission_and_payouts(db: Database, world: dict[str, int],
                                                            tmp_path: Path) -> None:  # fmt: skip
    from desktop.services.metrics import DateRange

    path = tmp_path / "statement.pdf"
    data = statement_data(db, world["JANE"], DateRange.months("2026-09", "2026-10"), today=TODAY)
    print_to_pdf(statement_document(data), path)
    text = pdf_text(path)
    for expected in ("Affiliate statement", "Jane Griffin (JANE)", "Sep – Oct 2026", "J-101", "J-102", FORMULA_ORDER,
                     "J-104", "pending", "2026-10 draft", "2026-09 paid", "Target bonus", "85.00", "175.00",
                     "Paid 2026-10-07 · PP-0915", "5 orders"):  # fmt: skip
        assert expected in text, expected
    assert re.search(r"J-102\s+approved\s+250\.00\s+250\.00\s+25\.00", text)
    assert_no_blank_page(path, tmp_path / "pages")


def test_the_statement_marks_estimates(db: Database, world: dict[str, int], tmp_path: Path) -> None:
    path = tmp_path / "november.pdf"
    print_to_pdf(statement_document(statement_data(db, world["JANE"], "2026-11", today=TODAY)), path)
    text = pdf_text(path)
    assert "J-105" in text and "24.00" in text and "estimate" in text
    assert "No payout sheet covers this period yet" in text


def test_the_program_report(db: Database, world: dict[str, int], tmp_path: Path) -> None:
    path = tmp_path / "program.pdf"
    data = program_report_data(db, "2026-10", today=TODAY)
    assert [t.code for t in data.top] == ["JANE", "ADA", "TOM"]
    assert (data.active_affiliates, data.selling_affiliates, len(data.charts)) == (2, 3, 4)
    assert data.payouts is not None and data.payouts.payable == data.payouts.commission + data.payouts.bonuses
    print_to_pdf(program_document(data), path)
    text = pdf_text(path)
    for expected in ("Program report", "Acme Outdoor", "October 2026", "Sales revenue", "1,900.00 of 1,500.00",
                     "Goal met", "Top performers", "Jane Griffin", "Tom Baker", "Missed: 1 of 2 met",
                     "Met: 1 of 1 met", "of which to pay (USD)", "275.00", "Charts"):  # fmt: skip
        assert expected in text, expected
    assert_no_blank_page(path, tmp_path / "pages")


def test_letter_in_the_united_states_and_canada_a4_elsewhere(db: Database, world: dict[str, int],
                                                               tmp_path: Path) -> None:  # fmt: skip
    assert page_size_for(QLocale(QLocale.Language.English, QLocale.Country.UnitedStates)).id() == (
        QPageSize.PageSizeId.Letter)  # fmt: skip
    assert page_size_for(QLocale(QLocale.Language.French, QLocale.Country.Canada)).id() == QPageSize.PageSizeId.Letter
    assert page_size_for(QLocale(QLocale.Language.German, QLocale.Country.Germany)).id() == QPageSize.PageSizeId.A4
    path = tmp_path / "letter.pdf"
    document = review_document(review_data(db, world["TOM"], "2026-10", today=TODAY))
    print_to_pdf(document, path, page_size_for(QLocale(QLocale.Language.English, QLocale.Country.UnitedStates)))
    info = subprocess.run(["pdfinfo", str(path)], check=True, capture_output=True, text=True).stdout
    assert "612 x 792 pts" in info
    assert "Tom Baker" in pdf_text(path)


def test_a_failed_print_leaves_the_old_file_alone(db: Database, world: dict[str, int], tmp_path: Path) -> None:
    path = tmp_path / "review.pdf"
    path.write_bytes(b"old")
    document = review_document(review_data(db, world["TOM"], "2026-10", today=TODAY))
    with pytest.raises(BadInput, match="missing-folder does not exist"):
        print_to_pdf(document, tmp_path / "missing-folder" / "review.pdf")
    assert path.read_bytes() == b"old"


def test_printing_never_lets_none_run_out_of_references(db: Database, world: dict[str, int], tmp_path: Path) -> None:
    """PySide6 6.12.0 on Python 3.11 dropped a reference to None on every call returning None (pyproject pins it
    out); printing many documents must not bring the interpreter to abort."""
    import sys

    document = review_document(review_data(db, world["TOM"], "2026-10", today=TODAY))
    before = sys.getrefcount(None)
    for index in range(3):
        print_to_pdf(document, tmp_path / f"tom-{index}.pdf")
    assert sys.getrefcount(None) >= before


def test_the_printer_path_paints_the_same_pages(db: Database, world: dict[str, int], tmp_path: Path) -> None:
    from PySide6.QtPrintSupport import QPrinter

    from desktop.views.report_render import print_to_printer, report_printer

    printer = report_printer()
    printer.setOutputFormat(QPrinter.OutputFormat.PdfFormat)  # what "Print to file" does in the print dialog
    printer.setOutputFileName(str(tmp_path / "printed.pdf"))
    documents = [review_document(review_data(db, world[code], "2026-10", today=TODAY)) for code in ("JANE", "TOM")]
    pages = print_to_printer(printer, documents)
    assert pages == pdf_pages(tmp_path / "printed.pdf") >= 2
    text = pdf_text(tmp_path / "printed.pdf")
    assert "Jane Griffin (JANE)" in text and "Tom Baker (TOM)" in text and "Page 1 of" in text


def test_reports_say_that_commission_is_before_the_cap_and_what_the_cap_took(
    db: Database, world: dict[str, int], tmp_path: Path
) -> None:
    """The key figures count commission before the plan's cap (as the dashboard does); the payout sheet pays less.
    Both documents say so, with the sheet's numbers, instead of printing a commission the affiliate is not paid."""
    from decimal import Decimal

    from desktop.services.payouts import build_payout_sheet
    from desktop.services.plans import PlanInput, list_plans, update_plan
    from desktop.views.report_program_html import program_html

    [plan] = list_plans(db)
    update_plan(db, plan.id, PlanInput(name="Standard", sale_rate=Decimal("0.10"), cap=Decimal("50.00")))
    build_payout_sheet(db, "2026-10", as_of=TODAY)
    review = review_data(db, world["JANE"], "2026-10", today=TODAY)
    assert review.sheet_commission == (Decimal("50.00"), Decimal("40.00"))  # 90.00 before the cap
    assert [k.value_text for k in review.kpis if k.metric == "commission"] == ["90.00"]
    html = review_html(review).html
    assert "before the plan's monthly cap" in html
    assert "The cap took 40.00 off it on the October 2026 payout sheet, which pays 50.00 in commission." in html
    program = program_html(program_report_data(db, "2026-10", today=TODAY)).html
    assert "before the plans' monthly caps" in program
    assert "The payout sheet below takes 80.00 off it over the caps and pays 110.00 in commission." in program


def test_the_program_reports_payouts_add_up_and_say_what_the_sheet_has_done(
    db: Database, world: dict[str, int]
) -> None:
    """Carried in + commission + bonuses + adjustments = to pay + carried on, every term on its own row; a draft
    sheet has paid nobody; the header does not set today's active affiliates against the month's sellers."""
    from dataclasses import replace
    from datetime import date
    from decimal import Decimal

    from desktop.services.payouts import approve_sheet, build_payout_sheet, mark_paid
    from desktop.services.program_settings import get_program, save_program
    from desktop.views.report_program_html import program_html

    save_program(db, replace(get_program(db), payout_threshold=Decimal("50.00")))
    build_payout_sheet(db, "2026-10", as_of=TODAY)  # Tom's 10.00 is below the threshold now: carried on
    approve_sheet(db, "2026-10")
    december = date(2026, 12, 3)
    build_payout_sheet(db, "2026-11", as_of=december)
    data = program_report_data(db, "2026-11", today=december)
    p = data.payouts
    assert p is not None and p.state == "draft"
    assert (p.carried_in, p.commission, p.payable, p.carried_out) == (Decimal("10.00"), Decimal("24.00"), 0, 34)
    assert p.balance == p.carried_in + p.commission + p.bonuses + p.adjustments == p.payable + p.carried_out
    html = program_html(data).html
    assert "Carried in from October 2026 (USD)" in html and ">10.00<" in html
    assert "= Balance (USD)" in html and "<b>34.00</b>" in html
    assert "2: 0 to pay, 2 carried on, 0 held" in html and "paid," not in html
    assert "Draft: may still change, nothing paid yet" in html

    approve_sheet(db, "2026-11")
    mark_paid(db, "2026-11", "PP-1105", december)
    html = program_html(program_report_data(db, "2026-11", today=december)).html
    assert "2: 0 paid, 2 carried on, 0 held" in html and "Paid 2026-12-03 · PP-1105" in html

    october = program_html(program_report_data(db, "2026-10", today=TODAY)).html
    assert "Active affiliates today" in october and "With sales in the month" in october
    assert "3 (1 not active today)" in october  # Ada sold in October and is paused now


def test_a_month_that_runs_is_set_against_the_same_days_of_the_month_before(
    db: Database, world: dict[str, int]
) -> None:
    """On 5 October, October's first five days against 1–5 September (nothing sold yet), not all of September."""
    from datetime import date

    from desktop.views.report_program_html import program_html

    data = program_report_data(db, "2026-10", today=date(2026, 10, 5))
    assert (data.kpi_label, data.kpi_previous_label) == ("1–5 Oct 2026", "1–5 Sep 2026")
    assert data.previous_label == "September 2026"  # where carried-in amounts come from stays the month
    revenue = next(tile for tile in data.kpis if tile.key == "revenue")
    assert (revenue.value, revenue.previous) == ("1,150.00", "0.00")  # J-101, T-201 and A-301
    assert ">1–5 Oct 2026</th>" in program_html(data).html
    whole = program_report_data(db, "2026-10", today=TODAY)
    assert (whole.kpi_label, whole.kpi_previous_label) == ("October 2026", "September 2026")
    assert next(tile for tile in whole.kpis if tile.key == "revenue").previous == "300.00"
