"""`affiliate-desk review`: printed performance reviews as PDF for one affiliate or every active one."""

from __future__ import annotations

import argparse
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

EXIT_OK = 0
PAPER = ("a4", "letter")


def add_report_parsers(subparsers: Any) -> None:
    """Add `review` to the main parser's subcommands; it sets `handler`."""
    review = subparsers.add_parser(
        "review",
        help="print performance reviews to PDF",
        description="Performance reviews as PDF: one affiliate into a file, or every active affiliate into a folder "
        "(one PDF each) or into one combined PDF.",
    )
    review.add_argument("--period", required=True, metavar="YYYY-MM", help="the month reviewed")
    who = review.add_mutually_exclusive_group(required=True)
    who.add_argument("--affiliate", metavar="CODE", help="the affiliate's code")
    who.add_argument("--all", action="store_true", help="every active affiliate")
    review.add_argument("-o", "--output", required=True, type=Path, metavar="FILE.pdf|DIR",
                        help="the PDF file (--affiliate, --all --combined) or the folder (--all)")  # fmt: skip
    review.add_argument("--combined", action="store_true", help="with --all: one PDF with every review in it")
    review.add_argument("--paper", choices=PAPER, help="page size (default: Letter in the US and Canada, else A4)")
    review.set_defaults(handler=cmd_review)


def _progress() -> Callable[[int, int, str], None] | None:
    if not sys.stderr.isatty():
        return None

    def report(done: int, total: int, what: str) -> None:
        pct = 100 * done // total if total else 100
        sys.stderr.write(f"\r{pct:3d}% {what[:60]:<60}" + ("\n" if done >= total else ""))
        sys.stderr.flush()

    return report


def _check_output(args: argparse.Namespace) -> Path:
    from desktop.services.errors import BadInput

    output: Path = args.output
    wants_file = bool(args.affiliate) or args.combined
    if args.combined and not args.all:
        raise BadInput("--combined goes with --all (one PDF with every active affiliate's review)")
    if wants_file:
        if output.suffix.lower() != ".pdf":
            raise BadInput(f"{output}: the review is written as a PDF; name the file like review.pdf")
        if output.is_dir():
            raise BadInput(f"{output} is a folder; give a file name ending in .pdf")
        if not output.parent.is_dir():
            raise BadInput(f"{output}: the folder {output.parent} does not exist")
    elif output.exists() and not output.is_dir():
        raise BadInput(f"{output} is a file; --all writes one PDF per affiliate into a folder (or add --combined)")
    elif not output.exists() and output.suffix[1:].isalpha() and len(output.suffix) <= 5:
        # "all.pdf" would become a folder of that name: a file name is almost surely meant as one combined PDF.
        raise BadInput(f"{output}: --all writes one PDF per affiliate into a folder; give a folder name without "
                       f"{output.suffix}, or add --combined for one PDF with every review")  # fmt: skip
    return output


def _page_size(paper: str | None) -> Any:
    from PySide6.QtGui import QPageSize

    from desktop.views.report_render import page_size_for

    if paper is None:
        return page_size_for()
    return QPageSize(QPageSize.PageSizeId.Letter if paper == "letter" else QPageSize.PageSizeId.A4)


def cmd_review(args: argparse.Namespace) -> int:
    from desktop.db import open_database
    from desktop.services.payout_types import check_period
    from desktop.services.reports import affiliate_by_code, list_report_affiliates, period_label, review_data

    period = check_period(args.period)
    output = _check_output(args)
    from desktop.views.report_render import ensure_gui_application, print_to_pdf, review_document

    ensure_gui_application()
    page_size = _page_size(args.paper)
    db = open_database(args.db)
    try:
        if args.affiliate:
            affiliate = affiliate_by_code(db, args.affiliate)
            data = review_data(db, affiliate.id, period)
            pages = print_to_pdf(review_document(data), output, page_size)
            print(f"Review of {affiliate.name} ({affiliate.code}) for {period_label(period)} written to {output} "
                  f"({pages} page{'s' if pages != 1 else ''}).")  # fmt: skip
            return EXIT_OK
        affiliates = list_report_affiliates(db, active_only=True)
        if not affiliates:
            print("There are no active affiliates: no review was written.")
            return EXIT_OK
        paths, pages = _write_all(db, period, affiliates, output, args.combined, page_size)
    finally:
        db.dispose()
    from desktop.services.fraud_rules import plural

    where = f"{output}" if args.combined else f"{plural(len(paths), 'file')} in {output}"
    print(f"{plural(len(affiliates), 'review')} for {period_label(period)} written to {where} "
          f"({plural(pages, 'page')}).")  # fmt: skip
    return EXIT_OK


def _write_all(db: Any, period: str, affiliates: list[Any], output: Path, combined: bool,
               page_size: Any) -> tuple[list[Path], int]:  # fmt: skip
    """Every review, one after the other in this thread (a helper thread for the data measured no faster: the
    chart drawing holds the GIL); all files or none."""
    from desktop.services.reports import iter_reviews, report_file_name
    from desktop.views.report_batch import PdfSink
    from desktop.views.report_render import review_document

    report = _progress()
    sink = PdfSink(output, combined, page_size, f"Performance reviews · {period}")
    try:
        reviews = iter_reviews(db, period, [a.id for a in affiliates])
        for done, (affiliate, data) in enumerate(zip(affiliates, reviews, strict=True), 1):
            sink.add(review_document(data), report_file_name("review", period, affiliate.code))
            if report is not None:
                report(done, len(affiliates), f"{affiliate.name} ({affiliate.code})")
        paths = sink.close()
    except BaseException:  # an error or Ctrl+C: nothing half-written stays behind
        sink.discard()
        raise
    return paths, sink.pages
