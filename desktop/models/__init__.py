"""SQLAlchemy ORM classes. No Qt here, ever."""

from desktop.models.affiliate import (
    AFFILIATE_STATUSES,
    PIPELINE_STATUSES,
    SOCIAL_PLATFORMS,
    Affiliate,
    AffiliateNote,
    CouponCode,
    Onboarding,
    Screening,
    SocialProfile,
    StatusChange,
    Tag,
    affiliate_tag,
)
from desktop.models.base import Base, Money, Rate
from desktop.models.plan import CommissionPlan, PlanProductRule, PlanTier, PlanVersion
from desktop.models.program import ATTRIBUTION_RULES, NORTH_STAR_METRICS, Program

__all__ = [
    "AFFILIATE_STATUSES",
    "ATTRIBUTION_RULES",
    "NORTH_STAR_METRICS",
    "PIPELINE_STATUSES",
    "SOCIAL_PLATFORMS",
    "Affiliate",
    "AffiliateNote",
    "Base",
    "CommissionPlan",
    "CouponCode",
    "Money",
    "Onboarding",
    "PlanProductRule",
    "PlanTier",
    "PlanVersion",
    "Program",
    "Rate",
    "Screening",
    "SocialProfile",
    "StatusChange",
    "Tag",
    "affiliate_tag",
]
