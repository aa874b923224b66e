"""The fit score: how well a recruiting candidate fits the program, from 0 to 100, with the reasons."""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal

AUDIENCE_MAX, REACH_MAX, ENGAGEMENT_MAX = 40, 30, 30
SUSPICIOUS_ENGAGEMENT = Decimal(15)
# (the lowest rate of the band, points, verdict), highest first; above 6 % is excellent, 6 % itself strong
ENGAGEMENT_BANDS = (
    (Decimal(3), 22, "is strong (3–6 %)"),
    (Decimal(1), 15, "is good (1–3 % is typical)"),
    (Decimal(0), 5, "is weak (below 1 %)"),
)
AUDIENCE_SIZES = (
    (1_000, "a very small audience"),
    (10_000, "a small audience"),
    (100_000, "a mid-sized audience"),
    (10**18, "a large audience"),
)


@dataclass(frozen=True)
class FitScore:
    total: int
    audience: int
    reach: int
    engagement: int
    explanation: tuple[str, ...]


def _words(niche: str) -> frozenset[str]:
    words = re.findall(r"[^\W_]+", niche.casefold())
    return frozenset(w[:-1] if len(w) > 3 and w.endswith("s") and not w.endswith("ss") else w for w in words)


def niche_matches(candidate_niche: str, target_niche: str) -> bool:
    """Same niche, or all the words of one are in the other ("running" ~ "trail running")."""
    a, b = _words(candidate_niche), _words(target_niche)
    return bool(a and b) and (a <= b or b <= a)


def _points(maximum: int, share: Decimal) -> int:
    return int((maximum * share).quantize(Decimal(1), rounding=ROUND_HALF_UP))


def _percent(rate: Decimal) -> str:
    text = f"{rate.quantize(Decimal('0.01'), rounding=ROUND_HALF_UP):f}"
    return (text.rstrip("0").rstrip(".") if "." in text else text) + " %"


def _audience(niches: Sequence[str], targets: Sequence[str]) -> tuple[int, str]:
    targets = [t.strip() for t in targets if t.strip()]
    niches = [n.strip() for n in niches if n.strip()]
    half = AUDIENCE_MAX // 2
    if not targets:
        return half, (
            f"No target niches set yet, so audience match gets a neutral {half} of {AUDIENCE_MAX}: "
            "set them in Program settings (Niches we recruit for)."
        )
    if not niches:
        return 0, f"No niches recorded for this candidate, so none of your target niches match: 0 of {AUDIENCE_MAX}."
    covered = [t for t in targets if any(niche_matches(n, t) for n in niches)]
    points = _points(AUDIENCE_MAX, Decimal(len(covered)) / Decimal(len(targets)))
    if not covered:
        return 0, f"Covers none of your {len(targets)} target niches ({', '.join(targets)}): 0 of {AUDIENCE_MAX}."
    which = ", ".join(covered)
    if len(covered) == len(targets):
        return points, f"Covers all {len(targets)} target niches ({which}): {points} of {AUDIENCE_MAX}."
    return points, f"Covers {len(covered)} of {len(targets)} target niches ({which}): {points} of {AUDIENCE_MAX}."


def _reach(followers: int) -> tuple[int, str]:
    if followers <= 0:
        return 0, f"No followers recorded: 0 of {REACH_MAX}."
    points = max(0, min(REACH_MAX, _points(REACH_MAX, (Decimal(followers).log10() - 2) / 3)))
    size = next(label for limit, label in AUDIENCE_SIZES if followers < limit)
    noun = "follower" if followers == 1 else "followers"
    return points, f"{followers:,} {noun}, {size} (100,000 or more scores full): {points} of {REACH_MAX}."


def _engagement(rate: Decimal | None) -> tuple[int, str]:
    if rate is None:
        return 0, f"No engagement rate recorded: add it to the social profiles. 0 of {ENGAGEMENT_MAX}."
    if rate > SUSPICIOUS_ENGAGEMENT:
        return 10, (
            f"Engagement of {_percent(rate)} is unusually high for real followers: check for bought engagement. "
            f"10 of {ENGAGEMENT_MAX}."
        )
    if rate <= 0:
        return 0, f"Engagement of 0 % means nobody reacts to the posts: 0 of {ENGAGEMENT_MAX}."
    if rate > 6:
        return ENGAGEMENT_MAX, f"Engagement of {_percent(rate)} is excellent (above 6 %): 30 of {ENGAGEMENT_MAX}."
    points, verdict = next((p, v) for start, p, v in ENGAGEMENT_BANDS if rate >= start)
    return points, f"Engagement of {_percent(rate)} {verdict}: {points} of {ENGAGEMENT_MAX}."


def fit_score(
    niches: Sequence[str], target_niches: Sequence[str], followers: int, engagement_rate: Decimal | None
) -> FitScore:
    """How well a candidate fits the program.

    Fit score (0–100) = audience match (0–40) + reach (0–30) + engagement (0–30), each rounded half-up to a whole point:

    - Audience match: 40 × (target niches the candidate covers ÷ the program's target niches). A target niche is
      covered when a candidate niche names it, ignoring case and plural "s", or when all the words of one are in the
      other ("running" covers "trail running" and the other way round). No target niches set: a neutral 20.
    - Reach: 10 × (log10(followers) − 2), kept within 0–30: 100 followers 0, 1,000 → 10, 10,000 → 20, 100,000+ → 30.
    - Engagement (the best rate, in percent, of the candidate's social profiles): none recorded 0; 0 % 0;
      below 1 % (weak) 5; 1–3 % (good) 15; 3–6 % (strong) 22; above 6 % up to 15 % 30; above 15 % 10, because
      such rates are rarely real (bought likes or comments).
    """
    audience, why_audience = _audience(niches, target_niches)
    reach, why_reach = _reach(followers)
    engagement, why_engagement = _engagement(engagement_rate)
    return FitScore(
        total=audience + reach + engagement,
        audience=audience,
        reach=reach,
        engagement=engagement,
        explanation=(why_audience, why_reach, why_engagement),
    )
