"""The program's settings: read, validate, save, and exchange them as a TOML file."""

from __future__ import annotations

import re
import tomllib
from collections.abc import Callable
from dataclasses import asdict, dataclass, fields, replace
from decimal import Decimal
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from desktop.db import Database
from desktop.models import ATTRIBUTION_RULES, NORTH_STAR_METRICS, Program
from desktop.money import MoneyError, format_money, parse_money
from desktop.services.errors import BadInput, RefusedByState, ValidationFailed
from desktop.services.plan_toml import (
    PlanTable,
    plan_table_problems,
    plans_toml,
    plans_toml_text,
    read_plan_tables,
    save_plan_tables,
)
from desktop.services.safe_files import atomic_write
from desktop.services.timezones import is_valid_timezone, local_timezone_name

NORTH_STAR_LABELS = {
    "revenue": "Sales revenue",
    "sales": "Number of sales",
    "leads": "Leads",
    "signups": "Signups",
    "clicks": "Clicks",
}
ATTRIBUTION_LABELS = {"last_click": "Last click wins", "first_click": "First click wins"}
CURRENCY_RE = re.compile(r"^[A-Z]{3}$")
CODE_FIELD = "{code}"


@dataclass(frozen=True)
class ProgramSettings:
    name: str = "My affiliate program"
    currency: str = "USD"
    timezone: str = "UTC"
    cookie_days: int = 30
    attribution: str = "last_click"
    coupon_priority: bool = True
    payout_threshold: Decimal = Decimal("50.00")
    hold_days: int = 0
    north_star_metric: str = "revenue"
    north_star_target: Decimal = Decimal("0.00")
    target_niches: str = ""  # ";"-separated niches the program recruits for (fit score)
    referral_link_template: str = ""  # the shop's link with {code} for the affiliate's code; "" while not set
    configured: bool = False


SETTING_NAMES = tuple(f.name for f in fields(ProgramSettings) if f.name != "configured")


def default_settings() -> ProgramSettings:
    return ProgramSettings(timezone=local_timezone_name())


def _from_row(row: Program) -> ProgramSettings:
    return ProgramSettings(**{f.name: getattr(row, f.name) for f in fields(ProgramSettings)})


def get_program(db: Database) -> ProgramSettings:
    with db.read() as session:
        return program_in(session)


def program_in(session: Session) -> ProgramSettings:
    """The settings, read in the caller's transaction."""
    row = session.get(Program, 1)
    return _from_row(row) if row is not None else default_settings()


def validate_program(settings: ProgramSettings) -> dict[str, str]:
    """Messages keyed by field name; empty when the settings are good."""
    errors: dict[str, str] = {}
    if not settings.name.strip():
        errors["name"] = "Give the program a name"
    elif len(settings.name) > 200:
        errors["name"] = "At most 200 characters"
    if not CURRENCY_RE.match(settings.currency):
        errors["currency"] = "A three-letter ISO currency code, like USD or EUR"
    if not is_valid_timezone(settings.timezone):
        errors["timezone"] = f"Unknown time zone {settings.timezone!r}; choose one like Europe/Berlin"
    if not 0 <= settings.cookie_days <= 365:
        errors["cookie_days"] = "Between 0 and 365 days"
    if settings.attribution not in ATTRIBUTION_RULES:
        errors["attribution"] = "Either last_click or first_click"
    if settings.payout_threshold < 0:
        errors["payout_threshold"] = "Cannot be negative"
    elif settings.payout_threshold != settings.payout_threshold.quantize(Decimal("0.01")):
        errors["payout_threshold"] = "At most two decimals"
    if not 0 <= settings.hold_days <= 365:
        errors["hold_days"] = "Between 0 and 365 days"
    if settings.north_star_metric not in NORTH_STAR_METRICS:
        errors["north_star_metric"] = "One of " + ", ".join(NORTH_STAR_METRICS)
    target = settings.north_star_target
    if target < 0:
        errors["north_star_target"] = "Cannot be negative"
    elif settings.north_star_metric != "revenue" and target != target.to_integral_value():
        errors["north_star_target"] = f"A whole number of {settings.north_star_metric}"
    elif target != target.quantize(Decimal("0.01")):
        errors["north_star_target"] = "At most two decimals"
    if len(settings.target_niches) > 500:
        errors["target_niches"] = "At most 500 characters"
    link_problem = referral_link_problem(settings.referral_link_template)
    if link_problem:
        errors["referral_link_template"] = link_problem
    return errors


def referral_link_problem(template: str) -> str | None:
    """Why a referral link template will not do, or None; "" (not set yet) is fine."""
    if not template:
        return None
    example = "like https://shop.example/?ref={code}"
    if len(template) > 500:
        return "At most 500 characters"
    if CODE_FIELD not in template:
        return f"Put {CODE_FIELD} where the affiliate's code goes, {example}"
    if any(ch.isspace() for ch in template):
        return f"A link has no spaces, {example}"
    rest = template.replace(CODE_FIELD, "")
    if "{" in rest or "}" in rest:
        stray = re.search(r"\{[^{}]*\}", rest)
        return f"Only {CODE_FIELD} is filled in: remove {stray.group(0) if stray else 'the other braces'}"
    try:
        parts = urlsplit(template.replace(CODE_FIELD, "CODE"))
    except ValueError:
        parts = None
    if parts is None or parts.scheme.lower() not in ("http", "https") or not parts.hostname:
        return f"A web address starting with https:// or http://, {example}"
    return None


def _normalized(settings: ProgramSettings) -> ProgramSettings:
    return replace(
        settings,
        name=settings.name.strip(),
        currency=settings.currency.strip().upper(),
        referral_link_template=settings.referral_link_template.strip(),
    )


ATTRIBUTION_SETTINGS = ("cookie_days", "attribution", "coupon_priority")


def save_program(db: Database, settings: ProgramSettings) -> ProgramSettings:
    return save_program_and_reattribute(db, settings)[0]


def save_program_and_reattribute(
    db: Database, settings: ProgramSettings, progress: Callable[[int, int, str], None] | None = None
) -> tuple[ProgramSettings, int]:
    """Save the settings; when the attribution rules changed, the orders not yet on an approved sheet are
    attributed again by the new ones, in the same transaction. The settings saved, and how many orders changed."""
    settings = _normalized(settings)
    errors = validate_program(settings)
    if errors:
        raise ValidationFailed(errors)
    with db.write() as session:
        return _store_program(session, settings, progress)


def _store_program(
    session: Session, settings: ProgramSettings, progress: Callable[[int, int, str], None] | None = None
) -> tuple[ProgramSettings, int]:
    """Write validated settings inside the caller's transaction, and attribute again if the rules changed."""
    settings = replace(settings, configured=True)
    row = session.get(Program, 1)
    before = _from_row(row) if row is not None else default_settings()
    if row is None:
        row = Program(id=1)
        session.add(row)
    for key, value in asdict(settings).items():
        setattr(row, key, value)
    if all(getattr(before, key) == getattr(settings, key) for key in ATTRIBUTION_SETTINGS):
        return settings, 0
    from desktop.services.attribution import AttributionRules, recompute_in_session  # it reads these settings

    session.flush()
    return settings, recompute_in_session(session, AttributionRules.of(settings), progress=progress)


# --- TOML exchange -----------------------------------------------------------------------------------------

PROGRAM_KEYS = {
    "name": "name",
    "currency": "currency",
    "timezone": "timezone",
    "cookie_days": "cookie_days",
    "attribution": "attribution",
    "coupon_priority": "coupon_priority",
    "payout_threshold": "payout_threshold",
    "hold_days": "hold_days",
    "north_star": "north_star_metric",
    "monthly_target": "north_star_target",
    "target_niches": "target_niches",
    "referral_link": "referral_link_template",  # optional: files written before it existed leave it as it is
}
TOML_NAME_FOR_FIELD = {field: key for key, field in PROGRAM_KEYS.items()}


def key_line(text: str, table: str, key: str, occurrence: int = 0) -> int | None:
    """The 1-based line of `key = ...` inside the `occurrence`-th `[table]` or `[[table]]` of a TOML text."""
    header = re.compile(r"^\s*\[\[?\s*([A-Za-z0-9_.\-]+)\s*\]\]?\s*(#.*)?$")
    key_re = re.compile(rf"^\s*\"?{re.escape(key)}\"?\s*=")
    current: str | None = None
    seen = -1
    for number, line in enumerate(text.splitlines(), start=1):
        match = header.match(line)
        if match:
            current = match.group(1)
            if current == table:
                seen += 1
            continue
        if current == table and seen == occurrence and key_re.match(line):
            return number
    return None


def table_line(text: str, table: str, occurrence: int = 0) -> int | None:
    header = re.compile(rf"^\s*\[\[?\s*{re.escape(table)}\s*\]\]?")
    seen = -1
    for number, line in enumerate(text.splitlines(), start=1):
        if header.match(line):
            seen += 1
            if seen == occurrence:
                return number
    return None


def read_toml(path: Path) -> tuple[str, dict[str, Any]]:
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError as exc:
        raise BadInput(f"{path}: no such file") from exc
    except (OSError, UnicodeDecodeError) as exc:
        raise BadInput(f"{path}: cannot be read as UTF-8 text ({exc})") from exc
    try:
        return text, tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        # tomllib's message already ends with "(at line L, column C)"
        raise BadInput(f"{path.name}: {exc}") from exc


def parse_program_table(name: str, text: str, table: Any, base: ProgramSettings) -> tuple[ProgramSettings, list[str]]:
    """The settings a `[program]` table describes (on top of `base`), and its problems with their lines."""
    problems: list[str] = []

    def where(key: str) -> str:
        line = key_line(text, "program", key)
        return f"{name}, line {line}, key '{key}'" if line else f"{name}, [program] key '{key}'"

    if not isinstance(table, dict):
        return base, [f"{name}: [program] must be a table"]
    values: dict[str, Any] = {}
    for key, raw in table.items():
        field = PROGRAM_KEYS.get(key)
        if field is None:
            problems.append(f"{where(key)}: unknown key (known: {', '.join(PROGRAM_KEYS)})")
            continue
        try:
            values[field] = _convert(field, raw)
        except (MoneyError, ValueError, TypeError) as exc:
            problems.append(f"{where(key)}: {exc}")
    settings = replace(base, **values)
    for field, message in validate_program(settings).items():
        if field in values:
            problems.append(f"{where(TOML_NAME_FOR_FIELD[field])}: {message}")
    return settings, problems


def _convert(field: str, raw: Any) -> Any:
    if field in ("cookie_days", "hold_days"):
        if isinstance(raw, bool) or not isinstance(raw, int):
            raise ValueError("must be a whole number of days")
        return raw
    if field == "target_niches":
        if isinstance(raw, list) and all(isinstance(item, str) for item in raw):
            return "; ".join(item.strip() for item in raw if item.strip())
        if isinstance(raw, str):
            return raw.strip()
        raise ValueError('must be a list of niches, like ["hiking", "camping"]')
    if field == "coupon_priority":
        if not isinstance(raw, bool):
            raise ValueError("must be true or false")
        return raw
    if field in ("payout_threshold", "north_star_target"):
        if isinstance(raw, float):
            raise ValueError(f'write amounts as text, like "{raw:.2f}", so no cent is lost')
        if isinstance(raw, bool) or not isinstance(raw, (int, str)):
            raise ValueError('must be an amount like "50.00"')
        return parse_money(str(raw))
    if not isinstance(raw, str):
        raise ValueError("must be text")
    return raw.strip()


def import_program_file(db: Database, path: Path | str, *, change_currency: bool = False) -> ProgramSettings:
    """Apply a program TOML file ([program], [[plan]] and [[target]] tables) in one transaction.

    A plan whose name is known updates that plan (in a new version when an approved sheet used the current one);
    other plans are created; plans the file does not name are left as they are. A target for the same affiliates,
    metric and month as a known one updates it (targets.py); an ended month's target is settled. A bad file changes
    nothing and lists every problem with its line.
    """
    from desktop.services.targets import program_today
    from desktop.services.targets_toml import TargetTable, read_target_tables, save_target_tables, target_table_problems

    path = Path(path)
    text, data = read_toml(path)
    problems: list[str] = []
    unknown = [key for key in data if key not in ("program", "plan", "target")]
    for key in unknown:
        line = table_line(text, key)
        problems.append(
            f"{path.name}, line {line}: unknown table [{key}]" if line else f"{path.name}: unknown key {key}"
        )
    settings = get_program(db)
    if "program" in data:
        settings, table_problems = parse_program_table(path.name, text, data["program"], settings)
        problems.extend(table_problems)
    plans: list[PlanTable] = []
    if "plan" in data:
        plans, plan_problems = read_plan_tables(path.name, text, data["plan"])
        problems.extend(plan_problems)
    targets: list[TargetTable] = []
    if "target" in data:
        targets, target_problems = read_target_tables(path.name, text, data["target"])
        problems.extend(target_problems)
    with db.write() as session:
        problems.extend(plan_table_problems(session, path.name, text, plans))
        problems.extend(target_table_problems(session, path.name, text, targets))
        if problems:
            problems.sort(key=_line_of)  # in the order the file reads
            raise BadInput(problems)  # rolls the transaction back: nothing was written yet anyway
        if "program" in data and not change_currency:
            _refuse_currency_change(session, program_in(session).currency, settings.currency, path.name)
        if "program" in data:  # a file of plans alone leaves the program's settings (and their state) alone
            settings, _ = _store_program(session, _normalized(settings))
        save_plan_tables(session, plans)
        save_target_tables(db, session, targets, program_today(session))
    return settings


def _refuse_currency_change(session: Session, old: str, new: str, file: str) -> None:
    """A new currency with orders in the old one relabels their money (the Program page asks; a file must say)."""
    from desktop.models import Conversion

    if old == new:
        return
    count = session.scalar(select(func.count()).where(Conversion.currency != new)) or 0
    if count:
        raise RefusedByState(
            f"{file} changes the program's currency from {old} to {new}, but {count:,} imported orders are not in "
            f"{new}: payout sheets would leave them out, and totals would count their amounts as {new}. Change it "
            "only when the shop itself now sells in it: run again with --change-currency; nothing was changed."
        )


def _line_of(problem: str) -> int:
    match = re.search(r", line (\d+)", problem)
    return int(match.group(1)) if match else 0


def program_toml(settings: ProgramSettings) -> dict[str, Any]:
    table: dict[str, Any] = {}
    for key, field in PROGRAM_KEYS.items():
        value = getattr(settings, field)
        if field == "target_niches":
            table[key] = split_list(value)
        else:
            table[key] = f"{value:.2f}" if isinstance(value, Decimal) else value
    return {"program": table}


def split_list(text: str | None) -> list[str]:
    """ "hiking; camping;" -> ["hiking", "camping"] (the ";"-separated lists of the file formats)."""
    return [part.strip() for part in (text or "").split(";") if part.strip()]


def export_program_file(db: Database, path: Path | str) -> Path:
    import tomli_w

    from desktop.services.targets_toml import targets_toml, targets_toml_text

    path = Path(path)
    document = program_toml(get_program(db))
    plans = plans_toml_text(plans_toml(db)) + targets_toml_text(targets_toml(db))
    with atomic_write(path, "w", encoding="utf-8") as fh:
        fh.write("# Affiliate Desk program file: `affiliate-desk program import` reads it back.\n")
        fh.write(tomli_w.dumps(document))
        fh.write(plans)
    return path


def describe_target(settings: ProgramSettings) -> str:
    label = NORTH_STAR_LABELS.get(settings.north_star_metric, settings.north_star_metric)
    if settings.north_star_metric == "revenue":
        return f"{label}: {format_money(settings.north_star_target, settings.currency)} a month"
    return f"{label}: {int(settings.north_star_target):,} a month"
