"""The program at a glance: what the home page shows once there is data."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import func, select

from desktop.db import Database
from desktop.models import AFFILIATE_STATUSES, Affiliate
from desktop.services.program_settings import ProgramSettings, describe_target, get_program


@dataclass(frozen=True)
class ProgramOverview:
    program: ProgramSettings
    goal_text: str
    affiliates_by_status: dict[str, int]

    @property
    def total_affiliates(self) -> int:
        return sum(self.affiliates_by_status.values())

    @property
    def in_pipeline(self) -> int:
        return sum(self.affiliates_by_status.get(s, 0) for s in ("prospect", "applied", "screening"))


def get_overview(db: Database) -> ProgramOverview:
    program = get_program(db)
    with db.read() as session:
        rows = session.execute(select(Affiliate.status, func.count()).group_by(Affiliate.status)).all()
    counts = dict.fromkeys(AFFILIATE_STATUSES, 0)
    counts.update({status: int(n) for status, n in rows})
    return ProgramOverview(program=program, goal_text=describe_target(program), affiliates_by_status=counts)
