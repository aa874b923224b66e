"""The [[plan]] tables of the program TOML file: commission plans read from it and written to it."""

from __future__ import annotations

import re
import textwrap
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from sqlalchemy.orm import Session

from desktop.db import Database
from desktop.money import ZERO, format_rate, parse_money, parse_rate
from desktop.services.commission_engine import BASIS_SALES
from desktop.services.plans import (
    PlanInput,
    PlanSaveResult,
    ProductInput,
    TierInput,
    get_plan,
    list_plans,
    plan_problems,
    plans_by_name,
    save_plan_in,
)

TablePath = tuple[tuple[str, int], ...]  # (("plan", 1), ("tier", 0)): the 1st [[plan.tier]] of the 2nd [[plan]]

PLAN_KEYS = ("name", "sale_rate", "sale_amount", "lead_amount", "signup_amount", "tier_basis", "tier_mode", "cap")
TIER_KEYS = ("min", "sale_rate", "sale_amount")
PRODUCT_KEYS = ("sku", "sale_rate", "sale_amount")
NESTED = {"tier": TIER_KEYS, "product": PRODUCT_KEYS}

_HEADER = re.compile(r"^\s*\[\[?\s*([A-Za-z0-9_\-]+(?:\s*\.\s*[A-Za-z0-9_\-]+)*)\s*\]\]?\s*(#.*)?$")


# --- where a key is written ----------------------------------------------------------------------------


def _table_lines(text: str, path: TablePath) -> Iterator[tuple[int, str, bool]]:
    """(line number, line, is its header) for the lines of the table at `path`, its header first."""
    names = [".".join(name for name, _ in path[: depth + 1]) for depth in range(len(path))]
    wanted = {name: index for name, (_, index) in zip(names, path, strict=True)}
    counts: dict[str, int] = {}
    inside = False
    for number, line in enumerate(text.splitlines(), start=1):
        match = _HEADER.match(line)
        if match:
            table = re.sub(r"\s+", "", match.group(1))
            for nested in [known for known in counts if known.startswith(table + ".")]:
                del counts[nested]  # a new [[plan]] starts counting its [[plan.tier]] from the first again
            counts[table] = counts.get(table, -1) + 1
            inside = table == names[-1] and all(counts.get(name) == index for name, index in wanted.items())
            if inside:
                yield number, line, True
            continue
        if inside:
            yield number, line, False


def toml_key_line(text: str, path: TablePath, key: str) -> int | None:
    """The 1-based line of `key = ...` in the table at `path`, nested arrays of tables counted per parent."""
    key_re = re.compile(rf"^\s*[\"']?{re.escape(key)}[\"']?\s*=")
    return next((n for n, line, header in _table_lines(text, path) if not header and key_re.match(line)), None)


def toml_table_line(text: str, path: TablePath) -> int | None:
    """The 1-based line of the header of the table at `path`."""
    return next((n for n, _line, header in _table_lines(text, path) if header), None)


def toml_place(file_name: str, text: str, path: TablePath, key: str | None) -> str:
    """ "p.toml, line 12, key 'min'", or the table's header line when the key is not written."""
    if key is not None:
        line = toml_key_line(text, path, key)
        if line is not None:
            return f"{file_name}, line {line}, key '{key}'"
    table = "[[" + ".".join(name for name, _ in path) + "]]"
    line = toml_table_line(text, path)
    place = f"{file_name}, line {line}, {table}" if line else f"{file_name}, {table} number {path[-1][1] + 1}"
    return f"{place}, key '{key}'" if key else place


# --- reading -------------------------------------------------------------------------------------------


def toml_text(raw: Any) -> str:
    if not isinstance(raw, str):
        raise ValueError("must be text in quotes")
    return raw.strip()


def _amount(raw: Any) -> Decimal:
    if isinstance(raw, float):
        raise ValueError(f'write amounts as text, like "{raw:.2f}", so no cent is lost')
    if isinstance(raw, bool) or not isinstance(raw, (int, str)):
        raise ValueError('must be an amount like "12.50"')
    return parse_money(str(raw))


def _rate(raw: Any) -> Decimal:
    if isinstance(raw, float) or (isinstance(raw, int) and not isinstance(raw, bool)):
        raise ValueError('write rates as text with a percent sign, like "12%"')
    if not isinstance(raw, str):
        raise ValueError('must be a percentage like "12%"')
    return parse_rate(raw)


CONVERTERS: dict[str, Callable[[Any], Any]] = {
    "name": toml_text,
    "tier_basis": toml_text,
    "tier_mode": toml_text,
    "sku": toml_text,
    "sale_rate": _rate,
    "sale_amount": _amount,
    "lead_amount": _amount,
    "signup_amount": _amount,
    "cap": _amount,
    "min": _amount,
}


@dataclass(frozen=True)
class PlanTable:
    """One [[plan]] of a file: what it says, and the fields whose problem is already reported."""

    index: int
    data: PlanInput
    raw: dict[str, Any]
    reported: frozenset[str]


def _field(key: str, prefix: str = "") -> str:
    """The validation field a TOML key feeds: sale_rate and sale_amount are both "sale"."""
    return prefix + ("sale" if key in ("sale_rate", "sale_amount") else key)


def _read_table(
    file_name: str, text: str, path: TablePath, table: dict[str, Any], keys: tuple[str, ...], prefix: str
) -> tuple[dict[str, Any], set[str], list[str]]:
    values: dict[str, Any] = {}
    reported: set[str] = set()
    problems: list[str] = []
    for key, raw in table.items():
        if key in NESTED and not prefix:
            continue
        if key not in keys:
            problems.append(f"{toml_place(file_name, text, path, key)}: unknown key (known: {', '.join(keys)})")
            continue
        try:
            values[key] = CONVERTERS[key](raw)
        except ValueError as exc:  # MoneyError is a ValueError
            problems.append(f"{toml_place(file_name, text, path, key)}: {exc}")
            reported.add(_field(key, prefix))
    return values, reported, problems


def _nested(
    file_name: str, text: str, plan_path: TablePath, raw: Any, kind: str
) -> tuple[list[tuple[dict[str, Any], int]], set[str], list[str]]:
    if raw is None:
        return [], set(), []
    if not isinstance(raw, list) or not all(isinstance(entry, dict) for entry in raw):
        place = toml_place(file_name, text, plan_path, kind)
        return [], set(), [f"{place}: write each {kind} as its own [[plan.{kind}]] table"]
    entries: list[tuple[dict[str, Any], int]] = []
    reported: set[str] = set()
    problems: list[str] = []
    prefix_name = "tiers" if kind == "tier" else "products"
    for index, entry in enumerate(raw):
        prefix = f"{prefix_name}[{index}]."
        values, seen, found = _read_table(file_name, text, (*plan_path, (kind, index)), entry, NESTED[kind], prefix)
        if kind == "tier" and "min" not in entry:
            place = toml_place(file_name, text, (*plan_path, (kind, index)), None)
            found.append(f"{place}: a tier needs min, the threshold it starts at")
            seen.add(prefix + "min")
        entries.append((values, index))
        reported |= seen
        problems += found
    return entries, reported, problems


def read_plan_tables(file_name: str, text: str, raw: Any) -> tuple[list[PlanTable], list[str]]:
    """The plans a file's [[plan]] tables describe, and the problems of their values (with lines)."""
    if not isinstance(raw, list) or not all(isinstance(table, dict) for table in raw):
        place = toml_place(file_name, text, (("plan", 0),), None)
        return [], [f"{place}: write each plan as its own [[plan]] table, with two brackets"]
    plans: list[PlanTable] = []
    problems: list[str] = []
    names: set[str] = set()
    for index, table in enumerate(raw):
        path: TablePath = (("plan", index),)
        values, reported, found = _read_table(file_name, text, path, table, PLAN_KEYS, "")
        tiers, tier_seen, tier_found = _nested(file_name, text, path, table.get("tier"), "tier")
        products, product_seen, product_found = _nested(file_name, text, path, table.get("product"), "product")
        data = PlanInput(
            name=values.get("name", ""),
            sale_rate=values.get("sale_rate"),
            sale_amount=values.get("sale_amount"),
            lead_amount=values.get("lead_amount", ZERO),
            signup_amount=values.get("signup_amount", ZERO),
            tier_basis=values.get("tier_basis", "revenue"),
            tier_mode=values.get("tier_mode", "all"),
            cap=values.get("cap"),
            tiers=tuple(TierInput(t.get("min", ZERO), t.get("sale_rate"), t.get("sale_amount")) for t, _ in tiers),
            products=tuple(
                ProductInput(p.get("sku", ""), p.get("sale_rate"), p.get("sale_amount")) for p, _ in products
            ),
        )
        folded = data.name.casefold()
        if folded and folded in names:
            found.append(f"{toml_place(file_name, text, path, 'name')}: a [[plan]] above has this name already")
            reported.add("name")
        names.add(folded)
        plans.append(PlanTable(index, data, table, frozenset(reported | tier_seen | product_seen)))
        problems += found + tier_found + product_found
    return plans, problems


_NESTED_FIELD = re.compile(r"^(tiers|products)\[(\d+)\]\.(\w+)$")


def _sale_key(table: dict[str, Any]) -> str | None:
    return next((key for key in ("sale_rate", "sale_amount") if key in table), None)


def _locate(plan: PlanTable, field: str) -> tuple[TablePath, str | None]:
    """The table and key a validation field (see plans.terms_problems) was read from."""
    path: TablePath = (("plan", plan.index),)
    nested = _NESTED_FIELD.match(field)
    if nested:
        kind = "tier" if nested.group(1) == "tiers" else "product"
        index = int(nested.group(2))
        entry = plan.raw[kind][index]
        part = nested.group(3)
        key = _sale_key(entry) if part == "sale" else part
        return (*path, (kind, index)), key if key in entry else None
    key = _sale_key(plan.raw) if field == "sale" else field
    return path, key if key in plan.raw else None


def plan_table_problems(session: Session, file_name: str, text: str, plans: list[PlanTable]) -> list[str]:
    """What the plans' validation says, each message at its line; a plan with a known name updates it."""
    known = plans_by_name(session)
    problems: list[str] = []
    for plan in plans:
        errors = plan_problems(session, plan.data, known.get(plan.data.name.strip().casefold()))
        for field, message in errors.items():
            if field not in plan.reported:
                path, key = _locate(plan, field)
                problems.append(f"{toml_place(file_name, text, path, key)}: {message}")
    return problems


def save_plan_tables(session: Session, plans: list[PlanTable]) -> list[PlanSaveResult]:
    """Create the new plans and update the known ones (a frozen version is kept, a new one made)."""
    known = plans_by_name(session)
    results = []
    for plan in plans:
        _, result = save_plan_in(session, plan.data, known.get(plan.data.name.strip().casefold()))
        results.append(result)
    return results


# --- writing -------------------------------------------------------------------------------------------


def _earning(rate: Decimal | None, amount: Decimal | None) -> dict[str, str]:
    return {"sale_rate": format_rate(rate)} if rate is not None else {"sale_amount": f"{amount or ZERO:.2f}"}


def plan_toml(data: PlanInput) -> dict[str, Any]:
    """One [[plan]] table, written the way read_plan_tables() reads it back."""
    table: dict[str, Any] = {"name": data.name, **_earning(data.sale_rate, data.sale_amount)}
    table["lead_amount"] = f"{data.lead_amount:.2f}"
    table["signup_amount"] = f"{data.signup_amount:.2f}"
    table["tier_basis"] = data.tier_basis
    table["tier_mode"] = data.tier_mode
    if data.cap is not None:
        table["cap"] = f"{data.cap:.2f}"
    if data.tiers:
        by_sales = data.tier_basis == BASIS_SALES
        table["tier"] = [
            {"min": f"{t.min_value:.0f}" if by_sales else f"{t.min_value:.2f}", **_earning(t.sale_rate, t.sale_amount)}
            for t in data.tiers
        ]
    if data.products:
        table["product"] = [{"sku": p.sku_glob, **_earning(p.sale_rate, p.sale_amount)} for p in data.products]
    return table


def plans_toml(db: Database) -> list[dict[str, Any]]:
    """Every plan's current version as [[plan]] tables, in list order."""
    return [plan_toml(get_plan(db, summary.id).data) for summary in list_plans(db)]


def plans_toml_text(plans: list[dict[str, Any]]) -> str:
    """[[plan]] tables as DESIGN.md shows them: [[plan.tier]] and [[plan.product]] as indented tables."""
    import tomli_w  # inline tables are what tomli_w writes for short arrays; people read these better

    parts = []
    for plan in plans:
        scalars = {key: value for key, value in plan.items() if key not in NESTED}
        parts.append("\n[[plan]]\n" + tomli_w.dumps(scalars))
        for kind in NESTED:
            for entry in plan.get(kind, []):
                parts.append(f"\n  [[plan.{kind}]]\n" + textwrap.indent(tomli_w.dumps(entry), "  "))
    return "".join(parts)
