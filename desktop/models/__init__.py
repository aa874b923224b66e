"""SQLAlchemy ORM classes. No Qt here, ever."""

from desktop.models.affiliate import AFFILIATE_STATUSES, Affiliate
from desktop.models.base import Base, Money
from desktop.models.program import ATTRIBUTION_RULES, NORTH_STAR_METRICS, Program

__all__ = ["AFFILIATE_STATUSES", "ATTRIBUTION_RULES", "NORTH_STAR_METRICS", "Affiliate", "Base", "Money", "Program"]
