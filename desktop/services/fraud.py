"""Fraud scans: run every rule over a period (or all data), keep one flag per finding, and list the flags."""

from __future__ import annotations

import os
from collections.abc import Callable, Iterable, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import ColumnElement, case, delete, func, insert, or_, select, union
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from desktop.db import Database, placeholder
from desktop.models import (
    Affiliate,
    Click,
    Conversion,
    DailyClicks,
    FraudFlag,
    FraudFlagConversion,
    ImportBatch,
    Program,
)
from desktop.services.conversion_store import local_now
from desktop.services.fraud_rules import (
    DEFAULT_SETTINGS,
    RULE_LABELS,
    SEVERITY_RANK,
    Finding,
    FraudSettings,
    Scope,
    chunks,
    parse_period,
    period_label,
    plural,
)
from desktop.services.fraud_rules_account import inactive_affiliate, refund_rate, shared_payee
from desktop.services.fraud_rules_email import disposable_email, duplicate_orders, self_referral
from desktop.services.fraud_rules_traffic import click_flood, conversion_rate, coupon_leakage

Rule = Callable[[Session, Scope, FraudSettings], list[Finding]]
Progress = Callable[[int, int, str], None]
SCAN_WORKERS = max(1, min(4, os.cpu_count() or 1))  # rules running at once (see _run_rules)

# (rule, function, bound to a period). Rules without a period look at the affiliates themselves.
RULES: tuple[tuple[str, Rule, bool], ...] = (
    ("self_referral", self_referral, True),
    ("duplicate_orders", duplicate_orders, True),
    ("click_flood", click_flood, True),
    ("conversion_rate", conversion_rate, True),
    ("refund_rate", refund_rate, True),
    ("coupon_leakage", coupon_leakage, True),
    ("shared_payee", shared_payee, False),
    ("inactive_affiliate", inactive_affiliate, True),
    ("disposable_email", disposable_email, True),
)
STATES = ("open", "confirmed", "dismissed")  # the queue's order
SEVERITY_ORDER = case({"high": 0, "medium": 1, "low": 2}, value=FraudFlag.severity, else_=3)
STATE_ORDER = case({"open": 0, "confirmed": 1, "dismissed": 2}, value=FraudFlag.state, else_=3)


@dataclass(frozen=True)
class FlagSummary:
    """One flag as the review queue lists it."""

    id: int
    rule: str
    rule_label: str
    severity: str
    state: str  # open | dismissed | confirmed
    affiliate_id: int | None
    affiliate_code: str
    affiliate_name: str
    period: str | None
    evidence: str
    raised_at: datetime
    orders: int  # orders behind the flag
    resolved_at: datetime | None = None
    resolved_by: str | None = None
    resolution: str | None = None
    action: str | None = None  # reject_orders | hold_payout, once confirmed

    @property
    def line(self) -> str:
        """The flag on one line, as `fraud scan` prints it."""
        who = f"{self.affiliate_code} ({self.affiliate_name})" if self.affiliate_code else "-"
        when = f" {self.period}" if self.period else ""
        return f"{self.severity.upper():<6}  {self.rule:<18}  {who}{when}: {self.evidence}"


@dataclass(frozen=True)
class ScanResult:
    periods: tuple[str, ...]  # the months scanned; empty: all data
    flags: tuple[FlagSummary, ...]  # every flag the scan raised (dismissed ones stay dismissed), worst first
    new: int
    updated: int
    removed: int  # open flags whose evidence is gone (an order re-attributed, a refund undone…)
    kept_dismissed: int  # found again but dismissed before: never reopened

    @property
    def open_flags(self) -> tuple[FlagSummary, ...]:
        return tuple(flag for flag in self.flags if flag.state == "open")


def scan(
    db: Database,
    period: str | None = None,
    *,
    settings: FraudSettings = DEFAULT_SETTINGS,
    rules: Sequence[str] | None = None,
    progress: Progress | None = None,
) -> ScanResult:
    """Run the rules over one month ("2026-10") or over all data; flags are raised, updated or removed."""
    periods = (parse_period(period),) if period else ()
    return scan_periods(db, periods, settings=settings, rules=rules, progress=progress)


def scan_periods(
    db: Database,
    periods: Iterable[str],
    *,
    settings: FraudSettings = DEFAULT_SETTINGS,
    rules: Sequence[str] | None = None,
    progress: Progress | None = None,
) -> ScanResult:
    """scan() over several months at once (empty: all data)."""
    scope = Scope(tuple(sorted({parse_period(p) for p in periods})), db.is_sqlite)
    chosen = [rule for rule in RULES if rules is None or rule[0] in rules]
    unknown = set(rules or ()) - set(RULE_LABELS)
    if unknown:
        raise ValueError(f"unknown rules: {', '.join(sorted(unknown))}")
    report = progress or (lambda done, total, what: None)
    findings = _run_rules(db, chosen, scope, settings, report)
    report(len(chosen), len(chosen) + 1, "Saving the flags")
    for attempt in (1, 2):
        try:
            with db.write() as session:
                counts, ids = _store(session, findings, chosen, scope)
                flags = [flag for part in chunks(ids) for flag in flag_summaries(session, [FraudFlag.id.in_(part)])]
                report(len(chosen) + 1, len(chosen) + 1, "Done")  # a Cancel up to here still rolls everything back
            break
        except IntegrityError:  # another scan (team mode) stored the same new flag first: store again, updating it
            if attempt == 2:
                raise
    flags.sort(key=lambda f: (STATES.index(f.state), -SEVERITY_RANK[f.severity], -f.raised_at.timestamp(), -f.id))
    return ScanResult(scope.periods, tuple(flags), *counts)


def _run_rules(
    db: Database, chosen: list[tuple[str, Rule, bool]], scope: Scope, settings: FraudSettings, report: Progress
) -> list[Finding]:
    """Every chosen rule's findings, in the rules' order.

    The rules are read-only and mostly SQL, which runs with the GIL released: SCAN_WORKERS of them run at once,
    each in its own read session. A progress callback that raises stops the scan at once; rules already running
    finish on their own and their findings are dropped.
    """
    def run(rule: Rule) -> list[Finding]:
        with db.read() as session:
            return rule(session, scope, settings)

    pool = ThreadPoolExecutor(max_workers=max(1, min(SCAN_WORKERS, len(chosen))), thread_name_prefix="fraud-rule")
    finished = False
    try:
        futures = [pool.submit(run, rule) for _, rule, _ in chosen]
        found: list[Finding] = []
        for done, ((name, _, _), future) in enumerate(zip(chosen, futures, strict=True)):
            report(done, len(chosen) + 1, f"Checking: {RULE_LABELS[name]}")
            found.extend(future.result())
        finished = True
        return found
    finally:
        pool.shutdown(wait=finished, cancel_futures=True)


def run_after_import(db: Database, batch_id: int | None = None, *, progress: Progress | None = None) -> ScanResult:
    """Scan the months an import touched (the latest import batch unless told): cheap enough after every import."""
    with db.read() as session:
        batch = batch_id if batch_id is not None else session.scalar(select(func.max(ImportBatch.id)))
        if batch is None:
            return ScanResult((), (), 0, 0, 0, 0)
        scope = Scope((), db.is_sqlite)
        c, k, d = Conversion.__table__.c, Click.__table__.c, DailyClicks.__table__.c
        months = union(
            select(scope.month(c.local_date)).where(c.batch_id == batch),
            select(scope.month(k.local_date)).where(k.batch_id == batch),
            select(scope.month(d.day)).where(d.batch_id == batch),
        )
        periods = [p for p in session.scalars(select(months.subquery().c[0])) if p]
    if not periods:
        return scan_periods(db, (), rules=["shared_payee"], progress=progress)  # an affiliates import
    return scan_periods(db, periods, progress=progress)


@dataclass(frozen=True)
class FraudCheck:
    """What the fraud rules found in the months an import touched, once its rows were saved."""

    periods: tuple[str, ...]  # the months looked at ("2026-10")
    new_flags: int
    open_flags: int  # in those months, new or older
    stopped: bool = False  # the user stopped the check: the import is saved, the flags not looked for


class _Stopped(Exception):
    """The progress callback refused to go on (the window's Cancel)."""


def check_after_import(
    db: Database, batch_id: int, *, progress: Progress | None = None, saved: str = ""
) -> FraudCheck:
    """run_after_import for an import already saved; `saved` starts its progress messages ("800 orders saved. ").

    Stopping it (Cancel in the window: the progress callback raises; Ctrl+C on the command line) rolls back
    only the check's own flags: the import stays, and the result says the check was stopped.
    """
    report: Progress | None = None
    if progress is not None:
        outer = progress

        def report(done: int, total: int, what: str) -> None:
            try:
                outer(done, total, f"{saved}Looking for fraud: {what.removeprefix('Checking: ')}")
            except Exception as exc:
                raise _Stopped from exc

    try:
        result = run_after_import(db, batch_id, progress=report)
    except (_Stopped, KeyboardInterrupt):
        return FraudCheck((), 0, 0, stopped=True)
    return FraudCheck(result.periods, result.new, len(result.open_flags))


def describe_fraud_check(check: FraudCheck, what: str = "rows") -> str:
    """The check after an import in a sentence (the window and the command line add where to look)."""
    if check.stopped:
        return f"The fraud check was stopped: the {what} are saved, but not yet checked for fraud."
    months = ", ".join(map(period_label, check.periods)) or f"the {what} imported"
    if not check.open_flags:
        return f"Fraud check of {months}: nothing suspicious found."
    return f"Fraud check of {months}: {plural(check.new_flags, 'new flag')}, {check.open_flags:,} open to review."


# --- keeping flags --------------------------------------------------------------------------------------


def now_local(session: Session) -> datetime:
    """The program's wall time (stored times are program-local), to the second."""
    zone = session.scalar(select(Program.timezone).where(Program.id == 1)) or "UTC"
    try:
        return local_now(zone)
    except (ValueError, KeyError):
        return local_now("UTC")


FLAG_INSERT_CHUNK = 1000


def _store(
    session: Session, findings: list[Finding], rules: list[tuple[str, Rule, bool]], scope: Scope
) -> tuple[tuple[int, int, int, int], list[int]]:
    """Insert new flags, refresh open ones, drop open ones no longer found; dismissed and confirmed stay as they are."""
    now = now_local(session)
    by_print = {f.fingerprint: f for f in findings}
    existing: dict[str, FraudFlag] = {}
    for part in chunks(sorted(by_print)):
        rows = session.scalars(select(FraudFlag).where(FraudFlag.fingerprint.in_(part)))
        existing.update((flag.fingerprint, flag) for flag in rows)
    updated = kept = 0
    raised: list[dict[str, object]] = []
    links: dict[str, set[int]] = {}  # fingerprint -> the orders an open flag points at
    for print_, finding in by_print.items():
        flag = existing.get(print_)
        if flag is None:
            raised.append({"rule": finding.rule, "fingerprint": print_, "affiliate_id": finding.affiliate_id,
                           "period": finding.period, "severity": finding.severity, "evidence": finding.evidence,
                           "state": "open", "raised_at": now})  # fmt: skip
        elif flag.state == "open":
            if (flag.evidence, flag.severity) != (finding.evidence, finding.severity):
                flag.evidence, flag.severity = finding.evidence, finding.severity
                updated += 1
        else:
            kept += flag.state == "dismissed"
            continue
        links[print_] = set(finding.conversion_ids)
    session.flush()
    ids = {print_: flag.id for print_, flag in existing.items()}
    # New flags in bulk, their ids returned: a big import can raise thousands, one INSERT each took seconds.
    for first in range(0, len(raised), FLAG_INSERT_CHUNK):
        stmt = insert(FraudFlag).returning(FraudFlag.id, FraudFlag.fingerprint)
        part = raised[first : first + FLAG_INSERT_CHUNK]
        ids.update((print_, flag_id) for flag_id, print_ in session.execute(stmt, part))
    _relink(session, {ids[print_]: orders for print_, orders in links.items()})
    removed = _remove_stale(session, rules, scope, set(ids.values()))
    return (len(raised), updated, removed, kept), list(ids.values())


def _relink(session: Session, wanted: dict[int, set[int]]) -> None:
    link = FraudFlagConversion
    have: dict[int, set[int]] = {flag_id: set() for flag_id in wanted}
    for part in chunks(sorted(wanted)):
        for flag_id, conversion_id in session.execute(select(link.flag_id, link.conversion_id)
                                                      .where(link.flag_id.in_(part))):  # fmt: skip
            have[flag_id].add(conversion_id)
    rows = [(f, c) for f, ids in wanted.items() for c in sorted(ids - have[f])]
    if rows:  # straight to the driver: a big import's flags point at 150,000 orders
        conn = session.connection()
        mark = placeholder(conn.dialect.paramstyle)
        sql = f"INSERT INTO fraud_flag_conversion (flag_id, conversion_id) VALUES ({mark}, {mark})"
        conn.exec_driver_sql(sql, rows)
    for flag_id, ids in wanted.items():
        gone = sorted(have[flag_id] - ids)
        for part in chunks(gone):
            session.execute(delete(link).where(link.flag_id == flag_id, link.conversion_id.in_(part)))


def _remove_stale(session: Session, rules: list[tuple[str, Rule, bool]], scope: Scope, found: set[int]) -> int:
    """Open flags of the rules run, in the scope, that the scan did not find again: their evidence is gone."""
    conditions: list[ColumnElement[bool]] = []
    for name, _, periodic in rules:
        if periodic and scope.periods:
            conditions.append((FraudFlag.rule == name) & FraudFlag.period.in_(scope.periods))
        else:
            conditions.append(FraudFlag.rule == name)
    if not conditions:
        return 0
    stale = [i for i in session.scalars(select(FraudFlag.id).where(FraudFlag.state == "open", or_(*conditions)))
             if i not in found]  # fmt: skip
    for part in chunks(stale):
        session.execute(delete(FraudFlag).where(FraudFlag.id.in_(part)))
    return len(stale)


# --- reading flags ----------------------------------------------------------------------------------------


def flag_summaries(
    session: Session, where: Sequence[ColumnElement[bool]], *, limit: int | None = None, offset: int = 0
) -> list[FlagSummary]:
    """Flags matching `where`, open first, then the worst, then the newest; one query."""
    orders = (
        select(FraudFlagConversion.flag_id, func.count().label("n")).group_by(FraudFlagConversion.flag_id).subquery()
    )
    query = (
        select(FraudFlag, Affiliate.code, Affiliate.name, func.coalesce(orders.c.n, 0))
        .outerjoin(Affiliate, Affiliate.id == FraudFlag.affiliate_id)
        .outerjoin(orders, orders.c.flag_id == FraudFlag.id)
        .where(*where)
        .order_by(STATE_ORDER, SEVERITY_ORDER, FraudFlag.raised_at.desc(), FraudFlag.id.desc())
        .offset(offset)
        .limit(limit)
    )
    return [
        FlagSummary(f.id, f.rule, RULE_LABELS.get(f.rule, f.rule), f.severity, f.state, f.affiliate_id, code or "",
                    name or "", f.period, f.evidence, f.raised_at, count, f.resolved_at, f.resolved_by, f.resolution,
                    f.action)  # fmt: skip
        for f, code, name, count in session.execute(query)
    ]
