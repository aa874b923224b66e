"""Reports in one place: which affiliates to report on, file names, and the three kinds of report data."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from sqlalchemy import func, select

from desktop.db import Database
from desktop.models import Affiliate
from desktop.services.errors import BadInput
from desktop.services.metrics import DateRange
from desktop.services.report_program import ProgramReportData, program_report_data
from desktop.services.report_review import ReviewData, iter_reviews, period_label, review_data
from desktop.services.statements import StatementData, statement_data

REPORT_KINDS = {
    "review": "Performance review",
    "statement": "Affiliate statement",
    "program": "Program report",
}
PER_AFFILIATE = ("review", "statement")


@dataclass(frozen=True)
class AffiliateChoice:
    id: int
    code: str
    name: str
    status: str

    @property
    def label(self) -> str:
        return f"{self.name} ({self.code})" + ("" if self.status == "active" else f" · {self.status}")


def list_report_affiliates(db: Database, *, active_only: bool = False) -> list[AffiliateChoice]:
    """Affiliates one can report on (everyone past the recruiting pipeline), by code; active ones only if asked."""
    query = select(Affiliate.id, Affiliate.code, Affiliate.name, Affiliate.status).order_by(Affiliate.code)
    if active_only:
        query = query.where(Affiliate.status == "active")
    else:
        query = query.where(Affiliate.status.in_(("active", "paused", "terminated")))
    with db.read() as session:
        return [AffiliateChoice(*row) for row in session.execute(query)]


def affiliate_by_code(db: Database, code: str) -> AffiliateChoice:
    """The affiliate with this code (any case); BadInput naming the code when there is none."""
    wanted = (code or "").strip()
    query = select(Affiliate.id, Affiliate.code, Affiliate.name, Affiliate.status)
    with db.read() as session:
        row = (
            session.execute(query.where(Affiliate.code == wanted)).first()
            or session.execute(query.where(func.lower(Affiliate.code) == wanted.lower())).first()
        )
    if row is None:
        raise BadInput(f"There is no affiliate with the code {wanted!r}")
    return AffiliateChoice(*row)


def period_key(period: str | DateRange) -> str:
    """A period as file names write it: "2026-10", or "2026-08-to-2026-10" for a range of months."""
    if isinstance(period, str):
        return period
    if period.whole_months:
        first, last = period.periods[0], period.periods[-1]
        return first if first == last else f"{first}-to-{last}"
    return f"{period.start.isoformat()}-to-{period.end.isoformat()}"


def export_statement_xlsx(db: Database, affiliate_id: int, period: str | DateRange, path: Path | str) -> Path:
    """The statement as an Excel workbook (openpyxl loads only when someone exports)."""
    from desktop.services.statement_xlsx import export_statement_xlsx as export

    return export(db, affiliate_id, period, path)


def report_file_name(kind: str, period: str, code: str | None = None, suffix: str = ".pdf") -> str:
    """ "review-2026-10-JANE10.pdf", "program-report-2026-10.pdf": codes are letters, digits, - and _ only."""
    stem = {"review": "review", "statement": "statement", "program": "program-report"}[kind]
    return f"{stem}-{period}" + (f"-{code}" if code else "") + suffix


__all__ = [
    "PER_AFFILIATE",
    "REPORT_KINDS",
    "AffiliateChoice",
    "ProgramReportData",
    "ReviewData",
    "StatementData",
    "affiliate_by_code",
    "export_statement_xlsx",
    "iter_reviews",
    "list_report_affiliates",
    "period_key",
    "period_label",
    "program_report_data",
    "report_file_name",
    "review_data",
    "statement_data",
]
