"""The [[target]] tables of the program TOML file: targets read from it (one per affiliates entry) and written to it."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, replace
from datetime import date
from decimal import Decimal
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from desktop.db import Database
from desktop.models import Affiliate, Target
from desktop.money import format_rate, parse_money, parse_rate
from desktop.services.metrics import PERCENT_METRICS
from desktop.services.plan_toml import toml_place, toml_text
from desktop.services.targets import (
    COUNT_METRICS,
    PERCENT_GOALS,
    TargetInput,
    closed_from,
    input_of,
    normalized,
    parse_goal,
    parse_growth,
    target_problems,
)

TARGET_KEYS = ("affiliates", "metric", "period", "goal", "growth", "bonus", "reward_rate", "reward")
KEY_OF_FIELD = {"scope": "affiliates", "reward_text": "reward"}  # validation fields that are not named like keys


@dataclass(frozen=True)
class TargetTable:
    """One [[target]] of a file: a target per entry of `affiliates`, and the keys whose problem is reported."""

    index: int
    targets: tuple[TargetInput, ...]
    raw: dict[str, Any]
    reported: frozenset[str]


def _where(file_name: str, text: str, index: int, key: str | None) -> str:
    return toml_place(file_name, text, (("target", index),), key)


def _scopes(raw: Any) -> list[str]:
    entries = [raw] if isinstance(raw, str) else raw
    if not isinstance(entries, list) or not entries or not all(isinstance(e, str) and e.strip() for e in entries):
        raise ValueError('must list affiliate codes, "tag:NAME" or "all", like ["JANE10"]')
    return [entry.strip() for entry in entries]


def _goal(raw: Any) -> Decimal:
    """A count, an amount, or a percentage (the metric decides which; validation checks it)."""
    if isinstance(raw, float):
        raise ValueError(f'write goals as text, like "{raw:.2f}", so nothing is lost')
    if isinstance(raw, bool) or not isinstance(raw, (int, str)):
        raise ValueError('must be a number like "5000.00", "25" or "3.5%"')
    return parse_money(str(raw).strip().removesuffix("%").strip())


def _amount(raw: Any) -> Decimal:
    if isinstance(raw, float):
        raise ValueError(f'write amounts as text, like "{raw:.2f}", so no cent is lost')
    if isinstance(raw, bool) or not isinstance(raw, (int, str)):
        raise ValueError('must be an amount like "100.00"')
    return parse_money(str(raw))


def _growth(raw: Any) -> Decimal:
    if not isinstance(raw, str) or not raw.strip().endswith("%"):
        raise ValueError('must be a percentage with its sign, like "20%"')
    return parse_growth(raw)  # a MoneyError (a ValueError) for "nan%" or "lots%"


def _rate(raw: Any) -> Decimal:
    if not isinstance(raw, str):
        raise ValueError('must be a percentage like "2%"')
    return parse_rate(raw)


CONVERTERS: dict[str, Callable[[Any], Any]] = {
    "affiliates": _scopes,
    "metric": toml_text,
    "period": toml_text,
    "goal": _goal,
    "growth": _growth,
    "bonus": _amount,
    "reward_rate": _rate,
    "reward": toml_text,
}


def read_target_tables(file_name: str, text: str, raw: Any) -> tuple[list[TargetTable], list[str]]:
    """The targets a file's [[target]] tables describe, and the problems of their values (with lines)."""
    if not isinstance(raw, list) or not all(isinstance(table, dict) for table in raw):
        return [], [f"{_where(file_name, text, 0, None)}: write each target as its own [[target]] table"]
    tables: list[TargetTable] = []
    problems: list[str] = []
    seen: dict[tuple[str, str, str], int] = {}
    for index, table in enumerate(raw):
        values: dict[str, Any] = {}
        reported: set[str] = set()
        for key, value in table.items():
            if key not in TARGET_KEYS:
                problems.append(f"{_where(file_name, text, index, key)}: unknown key (known: {', '.join(TARGET_KEYS)})")
                continue
            try:
                values[key] = CONVERTERS[key](value)
            except ValueError as exc:  # MoneyError is a ValueError
                problems.append(f"{_where(file_name, text, index, key)}: {exc}")
                reported.add(key)
        for key in ("affiliates", "metric", "period"):
            if key not in table:
                problems.append(f"{_where(file_name, text, index, None)}: a target needs {key}")
                reported.add(key)
        metric = str(values.get("metric", "")).strip().lower()
        if "goal" in values and isinstance(table["goal"], str) and metric not in PERCENT_GOALS:
            try:  # the metric decides whether a % sign belongs: "5000%" is not a revenue of 5,000.00
                parse_goal(table["goal"], metric)
            except ValueError as exc:
                problems.append(f"{_where(file_name, text, index, 'goal')}: {exc}")
                reported.add("goal")
        targets = tuple(
            normalized(
                TargetInput(
                    scope,
                    values.get("metric", ""),
                    values.get("period", ""),
                    values.get("goal"),
                    values.get("growth"),
                    values.get("bonus"),
                    values.get("reward_rate"),
                    values.get("reward"),
                )
            )  # fmt: skip
            for scope in values.get("affiliates", [])
        )
        for target in targets:
            key = (target.scope.casefold(), target.metric, target.period)
            if key in seen:
                problems.append(f"{_where(file_name, text, index, 'affiliates')}: {target.scope} already has a "
                                f"{target.metric} target for {target.period} in the [[target]] above")  # fmt: skip
                reported.add("affiliates")
            seen[key] = index
        tables.append(TargetTable(index, targets, table, frozenset(reported)))
    return tables, problems


def _same_scope(session: Session, target: Target, scope: str) -> bool:
    if scope == "all":
        return target.affiliate_id is None and target.tag is None
    if scope.startswith("tag:"):
        return target.tag is not None and target.tag.casefold() == scope[4:].casefold()
    code = session.scalar(select(Affiliate.code).where(Affiliate.id == target.affiliate_id))
    return code is not None and code.casefold() == scope.casefold()


def existing_target(session: Session, data: TargetInput) -> Target | None:
    """The target a file's entry updates: same affiliate (or tag, or all), metric and month."""
    candidates = session.scalars(select(Target).where(Target.metric == data.metric, Target.period == data.period))
    return next((t for t in candidates if _same_scope(session, t, data.scope)), None)


def target_table_problems(session: Session, file_name: str, text: str, tables: list[TargetTable]) -> list[str]:
    """What validation says about each target, at its line; a change to a month an approved sheet closed is refused."""
    problems: list[str] = []
    for table in tables:
        for data in table.targets:
            errors = target_problems(session, data)
            for field, message in errors.items():
                key = KEY_OF_FIELD.get(field, field)
                if key == "goal" and "growth" in table.raw and "goal" not in table.raw:
                    key = "growth"
                if key not in table.reported:
                    problems.append(f"{_where(file_name, text, table.index, key if key in table.raw else None)}: "
                                    f"{data.scope}: {message}")  # fmt: skip
            if errors:
                continue
            target = existing_target(session, data)
            if (target is None or input_of(session, target) != data) and closed_from(session, data.period):
                problems.append(f"{_where(file_name, text, table.index, 'period')}: the payout sheet for "
                                f"{closed_from(session, data.period)} is approved, so the targets of {data.period} "
                                "can no longer change")  # fmt: skip
    return problems


def save_target_tables(db: Database, session: Session, tables: list[TargetTable], today: date) -> int:
    """Create the new targets and update the known ones; returns how many changed."""
    from desktop.services.targets_settle import save_target_in

    changed = 0
    for table in tables:
        for data in table.targets:
            target = existing_target(session, data)
            if target is not None:
                stored = input_of(session, target)
                if stored == replace(data, scope=stored.scope):  # unchanged: not settled again
                    continue
            save_target_in(db, session, target, data, today)
            changed += 1
    return changed


# --- writing -------------------------------------------------------------------------------------------------------


def _written(data: TargetInput) -> dict[str, Any]:
    table: dict[str, Any] = {"metric": data.metric, "period": data.period}
    if data.growth is not None:
        table["growth"] = format_rate(data.growth)
    elif data.goal is not None:
        if data.metric in COUNT_METRICS:
            table["goal"] = f"{data.goal:.0f}"
        elif data.metric in PERCENT_METRICS:
            table["goal"] = f"{data.goal:.2f}%"
        else:
            table["goal"] = f"{data.goal:.2f}"
    if data.bonus:
        table["bonus"] = f"{data.bonus:.2f}"
    if data.reward_rate:
        table["reward_rate"] = format_rate(data.reward_rate)
    if data.reward_text:
        table["reward"] = data.reward_text
    return table


def targets_toml(db: Database) -> list[dict[str, Any]]:
    """Every target as [[target]] tables: targets that differ only in who they are for share one table."""
    with db.read() as session:
        inputs = [input_of(session, t) for t in session.scalars(select(Target).order_by(Target.period, Target.id))]
    grouped: dict[tuple[tuple[str, Any], ...], list[str]] = {}
    for data in inputs:
        grouped.setdefault(tuple(_written(data).items()), []).append(data.scope)
    return [{"affiliates": scopes, **dict(items)} for items, scopes in grouped.items()]


def targets_toml_text(tables: list[dict[str, Any]]) -> str:
    import tomli_w

    return "".join("\n[[target]]\n" + tomli_w.dumps(table) for table in tables)
