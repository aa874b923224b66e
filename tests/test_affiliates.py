"""Affiliates: create, validate, edit, status history, notes, delete, and the paged, searchable table."""

from __future__ import annotations

import getpass
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import replace
from datetime import date, datetime, timedelta
from decimal import Decimal
from typing import Any

import pytest
from sqlalchemy import event, func, select

from desktop.db import Database
from desktop.models import AFFILIATE_STATUSES, Affiliate, CommissionPlan, Screening, Tag
from desktop.services.affiliates import (
    AffiliateFilter,
    AffiliateInput,
    SocialInput,
    add_note,
    affiliate_ids,
    change_status,
    count_affiliates,
    create_affiliate,
    current_user,
    delete_affiliate,
    get_affiliate,
    list_affiliates,
    list_tags,
    update_affiliate,
    validate_affiliate,
)
from desktop.services.errors import BadInput, RefusedByState, ServiceError, ValidationFailed

JANE = AffiliateInput(
    code="JANE",
    name="Jane Brooks",
    email="jane@example.com",
    status="active",
    joined_on=date(2026, 3, 1),
    phone="+1 555-0100",
    website="https://janebrooks.example.com",
    audience="Weekend hikers",
    niches=("hiking", "camping"),
    country="Germany",
    payee_email="jane.pay@example.com",
    bank_account_name="Jane Brooks",
    bank_iban="DE89 3704 0044 0532 0130 00",
    bank_bic="COBADEFFXXX",
    tags=("blog", "EU"),
    coupon_codes=("JANE10", "JaneShip"),
    socials=(
        SocialInput("instagram", "janebrooks", "https://instagram.com/janebrooks", 12_000, Decimal("3.25")),
        SocialInput("youtube", "janebrooks", None, 3_500, None),
    ),
)


def add(db: Database, code: str, **changes: Any) -> int:
    return create_affiliate(db, AffiliateInput(code=code, name=changes.pop("name", f"Partner {code}"), **changes))


# --- create, read, update ---------------------------------------------------------------------------------------


def test_create_and_read_back_every_field(db: Database) -> None:
    affiliate_id = create_affiliate(db, replace(JANE, status_reason="Met at the fair"), changed_by="sam")
    detail = get_affiliate(db, affiliate_id)
    assert detail.data == replace(JANE, bank_iban="DE89370400440532013000")  # the IBAN is kept without spaces
    assert detail.total_followers == 15_500
    assert detail.socials[0].engagement_rate == Decimal("3.25")
    assert detail.created_at is not None
    assert detail.plan_name is None
    assert detail.notes == ()
    [first] = detail.history
    assert (first.from_status, first.to_status) == (None, "active")
    assert (first.changed_by, first.reason) == ("sam", "Met at the fair")
    assert detail.can_delete and detail.delete_refusal is None


def test_input_is_trimmed_and_blanks_become_none(db: Database) -> None:
    affiliate_id = create_affiliate(
        db,
        AffiliateInput(code="  TOM ", name=" Tom ", email="  ", website="", status=" Prospect ", tags=(" a ", "A", "")),
    )
    data = get_affiliate(db, affiliate_id).data
    assert (data.code, data.name, data.status, data.tags) == ("TOM", "Tom", "prospect", ("a",))
    assert data.email is None and data.website is None


def test_an_active_affiliate_without_a_date_joined_today(db: Database) -> None:
    assert get_affiliate(db, add(db, "NEW")).data.joined_on is not None
    assert get_affiliate(db, add(db, "PROS", status="prospect")).data.joined_on is None


def test_update_replaces_socials_coupons_and_tags(db: Database) -> None:
    affiliate_id = create_affiliate(db, JANE)
    changed = replace(
        JANE,
        name="Jane B. Brooks",
        coupon_codes=("jane10", "JANE20"),  # one kept (new spelling), one removed, one added
        tags=("eu", "video"),
        socials=(SocialInput("tiktok", "jb", None, 40_000, Decimal("7.5")),),
    )
    update_affiliate(db, affiliate_id, changed)
    detail = get_affiliate(db, affiliate_id)
    assert detail.data.name == "Jane B. Brooks"
    assert sorted(detail.data.coupon_codes) == ["JANE20", "jane10"]
    assert detail.data.tags == ("EU", "video")  # the existing tag's spelling is reused
    assert detail.total_followers == 40_000
    assert [s.platform for s in detail.socials] == ["tiktok"]
    assert list_tags(db) == ["EU", "video"]  # "blog" is used by nobody any more
    assert len(detail.history) == 1  # the status did not change


def test_tags_are_reused_whatever_their_case(db: Database) -> None:
    add(db, "A", tags=("Top-Creator",))
    add(db, "B", tags=("top-creator", "Blog"))
    with db.read() as session:
        assert session.scalar(select(func.count()).select_from(Tag)) == 2
    assert list_tags(db) == ["Blog", "Top-Creator"]
    assert list_affiliates(db, AffiliateFilter(tag="top-creator"))[1].tags == "Blog, Top-Creator"


def test_get_affiliate_of_a_missing_id(db: Database) -> None:
    with pytest.raises(LookupError):
        get_affiliate(db, 999)
    with pytest.raises(LookupError):
        update_affiliate(db, 999, JANE)


def test_plan_name_is_shown(db: Database) -> None:
    with db.write() as session:
        plan = CommissionPlan(name="Standard", created_at=datetime(2026, 1, 1))
        session.add(plan)
        session.flush()
        plan_id = plan.id
    assert get_affiliate(db, add(db, "P", plan_id=plan_id)).plan_name == "Standard"


def test_current_user_falls_back_to_manager(monkeypatch: pytest.MonkeyPatch) -> None:
    assert current_user()

    def no_login() -> str:
        raise OSError("no login name")

    monkeypatch.setattr(getpass, "getuser", no_login)
    assert current_user() == "manager"


# --- validation ---------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("change", "field", "words"),
    [
        ({"code": " "}, "code", "Give the affiliate a code"),
        ({"code": "JANE 10"}, "code", "no spaces"),
        ({"code": "JANÉ"}, "code", "Only letters"),
        ({"code": "X" * 65}, "code", "64"),
        ({"name": ""}, "name", "name"),
        ({"email": "jane@"}, "email", "not an email address"),
        ({"email": "jane example.com"}, "email", "not an email address"),
        ({"payee_email": "paypal"}, "payee_email", "not an email address"),
        ({"website": "janebrooks.com"}, "website", "https://"),
        ({"website": "ftp://janebrooks.com"}, "website", "https://"),
        ({"website": "https://"}, "website", "https://"),
        ({"website": "https://janebrooks"}, "website", "full host name"),
        ({"status": "sleeping"}, "status", "One of prospect"),
        ({"joined_on": date.today() + timedelta(days=3)}, "joined_on", "future"),
        ({"coupon_codes": ("SAVE 10",)}, "coupon_codes", "'SAVE 10'"),
        ({"coupon_codes": ("SAVE10", "save10")}, "coupon_codes", "save10 is in the list twice"),
        ({"plan_id": 12345}, "plan_id", "no longer exists"),
        ({"bank_iban": "DE00 3704 0044 0532 0130 00"}, "bank_iban", "IBAN"),
        ({"bank_bic": "COBA"}, "bank_bic", "BIC"),
        ({"tags": ("a,b",)}, "tags", "no ','"),
        ({"socials": (SocialInput("myspace", "x"),)}, "socials", "row 1: platform must be one of"),
        (
            {"socials": (SocialInput("x", "a"), SocialInput("x", "b", followers=-5))},
            "socials",
            "row 2: followers must be 0 or more",
        ),
        ({"socials": (SocialInput("x", "a", engagement_rate=Decimal("100.5")),)}, "socials", "between 0 and 100 %"),
        ({"socials": (SocialInput("x", "a", engagement_rate=Decimal("-1")),)}, "socials", "between 0 and 100 %"),
        ({"socials": (SocialInput("x", "a", engagement_rate=Decimal("3.255")),)}, "socials", "two decimals"),
        ({"socials": (SocialInput("x", "a", url="x.com/a"),)}, "socials", "row 1: link must be"),
        ({"socials": (SocialInput("x"),)}, "socials", "row 1: give a handle or a link"),
    ],
)
def test_each_rule_reports_its_field(db: Database, change: dict[str, Any], field: str, words: str) -> None:
    errors = validate_affiliate(db, replace(JANE, **change))
    assert list(errors) == [field]
    assert words in errors[field]
    with pytest.raises(ValidationFailed) as caught:
        create_affiliate(db, replace(JANE, **change))
    assert caught.value.errors == errors
    assert count_affiliates(db, AffiliateFilter()) == 0  # nothing was written


def test_the_sample_is_valid(db: Database) -> None:
    assert validate_affiliate(db, JANE) == {}


def test_code_is_unique_whatever_its_case(db: Database) -> None:
    jane_id = create_affiliate(db, JANE)
    errors = validate_affiliate(db, replace(JANE, code="jane", coupon_codes=()))
    assert errors == {"code": "JANE is already the code of Jane Brooks"}
    assert validate_affiliate(db, JANE, jane_id) == {}  # its own code and coupons are fine when editing


def test_a_coupon_belongs_to_one_affiliate_whatever_its_case(db: Database) -> None:
    create_affiliate(db, JANE)
    errors = validate_affiliate(db, AffiliateInput(code="TOM", name="Tom", coupon_codes=("TOM5", "janeship")))
    assert errors == {"coupon_codes": "JaneShip is already the coupon of Jane Brooks (JANE)"}


def test_terminating_in_the_form_needs_a_reason(db: Database) -> None:
    jane_id = create_affiliate(db, JANE)
    with pytest.raises(ValidationFailed) as caught:
        update_affiliate(db, jane_id, replace(JANE, status="terminated"))
    assert list(caught.value.errors) == ["status_reason"]
    update_affiliate(
        db, jane_id, replace(JANE, status="terminated", status_reason="Coupon on deal sites"), changed_by="sam"
    )
    latest = get_affiliate(db, jane_id).history[0]
    assert (latest.from_status, latest.to_status) == ("active", "terminated")
    assert (latest.changed_by, latest.reason) == ("sam", "Coupon on deal sites")


# --- status, notes, delete -----------------------------------------------------------------------------------


def test_change_status_in_bulk_records_who_when_and_why(db: Database) -> None:
    ids = [add(db, "A"), add(db, "B", status="paused"), add(db, "C", status="prospect")]
    assert change_status(db, ids, "paused", "Winter break", changed_by="sam") == 2  # B was paused already
    for affiliate_id in ids:
        assert get_affiliate(db, affiliate_id).data.status == "paused"
    history = get_affiliate(db, ids[2]).history
    assert [(h.from_status, h.to_status) for h in history] == [("prospect", "paused"), (None, "prospect")]
    assert (history[0].changed_by, history[0].reason) == ("sam", "Winter break")
    assert history[0].changed_at >= history[1].changed_at
    assert len(get_affiliate(db, ids[1]).history) == 1


def test_change_status_needs_a_reason_to_terminate_or_reject(db: Database) -> None:
    ids = [add(db, "A"), add(db, "B")]
    for status in ("terminated", "rejected"):
        with pytest.raises(BadInput, match="Say why"):
            change_status(db, ids, status, "  ")
    with pytest.raises(BadInput, match="unknown status"):
        change_status(db, ids, "asleep")
    assert change_status(db, ids, "terminated", "Program closed in their country") == 2
    assert change_status(db, ids, "active") == 2  # any move is allowed, back to active too


def test_change_status_with_an_unknown_id_changes_nothing(db: Database) -> None:
    affiliate_id = add(db, "A")
    with pytest.raises(LookupError, match="4242") as caught:
        change_status(db, [affiliate_id, 4242], "paused")
    assert isinstance(caught.value, ServiceError)  # the screens show it like any other refusal
    assert get_affiliate(db, affiliate_id).data.status == "active"


def test_change_status_of_more_ids_than_one_statement_takes(db: Database) -> None:
    from desktop.services.demo import load_demo

    load_demo(db, affiliates=2000, seed=1)
    everyone = affiliate_ids(db, AffiliateFilter())
    already = count_affiliates(db, AffiliateFilter(statuses=("paused",)))
    assert change_status(db, everyone, "paused", "Shop closed for inventory") == 2000 - already
    assert count_affiliates(db, AffiliateFilter(statuses=("paused",))) == 2000


def test_approving_sets_the_joined_date(db: Database) -> None:
    affiliate_id = add(db, "A", status="screening")
    change_status(db, [affiliate_id], "active", "Screening passed")
    assert get_affiliate(db, affiliate_id).data.joined_on is not None


def test_notes_newest_first(db: Database) -> None:
    affiliate_id = add(db, "A")
    add_note(db, affiliate_id, "  First call went well.  ", author="sam")
    add_note(db, affiliate_id, "Sent the banner kit.")
    notes = get_affiliate(db, affiliate_id).notes
    assert [n.text for n in notes] == ["Sent the banner kit.", "First call went well."]
    assert notes[1].author == "sam" and notes[0].author == current_user()
    with pytest.raises(BadInput):
        add_note(db, affiliate_id, " \n ")
    with pytest.raises(LookupError):
        add_note(db, 4242, "hello")


def test_a_fresh_affiliate_can_be_deleted(db: Database) -> None:
    affiliate_id = create_affiliate(db, JANE)
    delete_affiliate(db, affiliate_id)
    with pytest.raises(LookupError):
        get_affiliate(db, affiliate_id)
    assert list_tags(db) == []  # its tags were used by nobody else
    assert validate_affiliate(db, replace(JANE, code="TOM")) == {}  # its coupons are free again


def _note(db: Database, affiliate_id: int) -> None:
    add_note(db, affiliate_id, "Called")


def _status(db: Database, affiliate_id: int) -> None:
    change_status(db, [affiliate_id], "paused")


def _screening(db: Database, affiliate_id: int) -> None:
    with db.write() as session:
        session.add(Screening(affiliate_id=affiliate_id))


@pytest.mark.parametrize(
    ("history", "words"), [(_note, "1 note"), (_status, "2 status changes"), (_screening, "a screening record")]
)
def test_an_affiliate_with_history_cannot_be_deleted(db: Database, history: Any, words: str) -> None:
    affiliate_id = add(db, "A", name="Ann Lee")
    history(db, affiliate_id)
    detail = get_affiliate(db, affiliate_id)
    assert not detail.can_delete
    assert detail.delete_refusal is not None and words in detail.delete_refusal
    with pytest.raises(RefusedByState) as caught:
        delete_affiliate(db, affiliate_id)
    assert "Ann Lee (A)" in str(caught.value) and "terminate them instead" in str(caught.value)
    assert get_affiliate(db, affiliate_id).data.code == "A"


def test_a_terminated_affiliate_is_told_to_stay_on_file(db: Database) -> None:
    affiliate_id = add(db, "A")
    change_status(db, [affiliate_id], "terminated", "Fraud")
    with pytest.raises(RefusedByState, match="stay on file as terminated"):
        delete_affiliate(db, affiliate_id)


# --- the table: filter, search, sort, pages ------------------------------------------------------------------

STATUS_RANK = {status: rank for rank, status in enumerate(AFFILIATE_STATUSES)}


@pytest.fixture(scope="module")
def crowd(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[Database, list[dict[str, Any]]]]:
    """A few hundred demo affiliates, plus their data read straight from the tables: the oracle."""
    from desktop.db import open_database
    from desktop.services.demo import load_demo

    db = open_database(tmp_path_factory.mktemp("crowd") / "crowd.sqlite3")
    load_demo(db, affiliates=350, seed=11, today=date(2026, 11, 20))
    add(db, "mixed_case-1", name="émile zola", tags=("Zeta", "alpha"), coupon_codes=("MIX_100",), status="paused")
    with db.read() as session:
        rows = session.scalars(select(Affiliate)).all()
        people = [
            {k: getattr(a, k) for k in ("id", "code", "name", "status", "email", "joined_on", "total_followers")}
            | {
                "tags": ", ".join(sorted((t.name for t in a.tags), key=str.lower)),
                "coupons": [c.code for c in a.coupons],
            }
            for a in rows
        ]
    yield db, people
    db.dispose()


def _expected(people: list[dict[str, Any]], flt: AffiliateFilter) -> list[dict[str, Any]]:
    text = flt.search.strip().lower()

    def hit(p: dict[str, Any]) -> bool:
        if flt.statuses and p["status"] not in flt.statuses:
            return False
        if flt.tag and flt.tag.lower() not in [t.lower() for t in p["tags"].split(", ")]:
            return False
        fields = [p["code"], p["name"], p["email"] or "", *p["coupons"], *p["tags"].split(", ")]
        return not text or any(text in f.lower() for f in fields)

    return [p for p in people if hit(p)]


def _sorted(people: list[dict[str, Any]], sort: str, descending: bool) -> list[int]:
    def tie(p: dict[str, Any]) -> tuple[str, int]:
        return (p["code"].lower(), p["id"])

    ordered = sorted(people, key=tie)  # the tie-breaks always go up; only the sort key turns around
    keys = {
        "code": lambda p: p["code"].lower(),
        "name": lambda p: p["name"].lower(),
        "status": lambda p: STATUS_RANK[p["status"]],
        "total_followers": lambda p: p["total_followers"],
    }
    if sort in keys:
        ordered.sort(key=keys[sort], reverse=descending)
    else:  # blanks last in both directions
        value = (lambda p: p["tags"].lower()) if sort == "tags" else (lambda p: p["joined_on"])
        filled = sorted((p for p in ordered if value(p)), key=value, reverse=descending)
        ordered = filled + [p for p in ordered if not value(p)]
    return [p["id"] for p in ordered]


FILTERS = [
    AffiliateFilter(),
    AffiliateFilter(search="bro"),
    AffiliateFilter(search="BRO"),
    AffiliateFilter(search="example.com"),
    AffiliateFilter(search="top-cre"),  # a tag name
    AffiliateFilter(search="ship"),  # coupon codes
    AffiliateFilter(search="%"),  # a character, not a wildcard
    AffiliateFilter(search="_"),
    AffiliateFilter(search="x_1"),
    AffiliateFilter(search="nobody-has-this"),
    AffiliateFilter(statuses=("active", "paused")),
    AffiliateFilter(statuses=("rejected",), search="a"),
    AffiliateFilter(tag="EU"),
    AffiliateFilter(tag="video", statuses=("active",), search="o"),
    AffiliateFilter(tag="no-such-tag"),
]


@pytest.mark.parametrize("flt", FILTERS, ids=repr)
def test_filters_count_and_ids_agree_with_the_data(
    crowd: tuple[Database, list[dict[str, Any]]], flt: AffiliateFilter
) -> None:
    db, people = crowd
    expected = _expected(people, flt)
    assert count_affiliates(db, flt) == len(expected)
    assert affiliate_ids(db, flt) == _sorted(expected, "code", False)
    assert [row.id for row in list_affiliates(db, flt, limit=1000)] == _sorted(expected, "code", False)


@pytest.mark.parametrize("descending", [False, True])
@pytest.mark.parametrize("sort", ["code", "name", "status", "tags", "joined_on", "total_followers"])
def test_sorting_and_paging(crowd: tuple[Database, list[dict[str, Any]]], sort: str, descending: bool) -> None:
    db, people = crowd
    flt = AffiliateFilter(statuses=("active", "paused", "terminated", "prospect"))
    expected = _sorted(_expected(people, flt), sort, descending)
    pages = []
    for offset in range(0, len(expected) + 70, 70):
        pages.extend(
            row.id for row in list_affiliates(db, flt, sort=sort, descending=descending, offset=offset, limit=70)
        )
    assert pages == expected


def test_rows_carry_the_table_columns(crowd: tuple[Database, list[dict[str, Any]]]) -> None:
    db, people = crowd
    [row] = list_affiliates(db, AffiliateFilter(search="mixed_case"))
    assert (row.code, row.name, row.status, row.tags) == ("mixed_case-1", "émile zola", "paused", "alpha, Zeta")
    by_id = {p["id"]: p for p in people}
    for row in list_affiliates(db, AffiliateFilter(), limit=50):
        person = by_id[row.id]
        assert {k: getattr(row, k) for k in ("tags", "joined_on", "total_followers", "email")} == {
            k: person[k] for k in ("tags", "joined_on", "total_followers", "email")
        }


def test_unknown_sort_key_is_refused(crowd: tuple[Database, list[dict[str, Any]]]) -> None:
    with pytest.raises(ValueError, match="unknown sort key"):
        list_affiliates(crowd[0], AffiliateFilter(), sort="email")


@contextmanager
def counted_selects(db: Database) -> Iterator[list[str]]:
    statements: list[str] = []

    def remember(conn: Any, cursor: Any, statement: str, *args: Any) -> None:
        if statement.lstrip().upper().startswith("SELECT"):
            statements.append(statement)

    event.listen(db.engine, "before_cursor_execute", remember)
    try:
        yield statements
    finally:
        event.remove(db.engine, "before_cursor_execute", remember)


@pytest.mark.parametrize("sort", ["code", "tags"])
def test_a_page_is_one_query(crowd: tuple[Database, list[dict[str, Any]]], sort: str) -> None:
    with counted_selects(crowd[0]) as statements:
        rows = list_affiliates(crowd[0], AffiliateFilter(search="a", tag="eu"), sort=sort)
    assert rows and len(statements) == 1


# --- both databases ------------------------------------------------------------------------------------------


def test_create_edit_and_list_on_both_databases(any_db: Database) -> None:
    jane_id = create_affiliate(any_db, JANE, changed_by="sam")
    tom_id = add(any_db, "tom-2", name="Tom Novak", tags=("eu", "Zeta"), status="prospect", coupon_codes=("tomsave",))
    add(any_db, "ADA", name="Ada Kim", email="ADA@EXAMPLE.COM")
    assert get_affiliate(any_db, jane_id).data.tags == ("blog", "EU")
    assert validate_affiliate(any_db, replace(JANE, code="jane")) == {
        "code": "JANE is already the code of Jane Brooks",
        "coupon_codes": "JANE10 is already the coupon of Jane Brooks (JANE); JaneShip is already the coupon of Jane "
        "Brooks (JANE)",
    }
    assert count_affiliates(any_db, AffiliateFilter()) == 3

    def codes(flt: AffiliateFilter, sort: str = "code", descending: bool = False) -> list[str]:
        return [row.code for row in list_affiliates(any_db, flt, sort=sort, descending=descending)]

    assert codes(AffiliateFilter(search="example.com")) == ["ADA", "JANE"]
    assert codes(AffiliateFilter(search="TOMSAVE")) == codes(AffiliateFilter(search="zet")) == ["tom-2"]
    assert codes(AffiliateFilter(search="%")) == []
    assert codes(AffiliateFilter(tag="eu")) == ["JANE", "tom-2"]
    rows = list_affiliates(any_db, AffiliateFilter(), sort="tags")
    assert [(r.code, r.tags) for r in rows] == [("JANE", "blog, EU"), ("tom-2", "EU, Zeta"), ("ADA", "")]
    assert codes(AffiliateFilter(), sort="joined_on")[-1] == "tom-2"
    assert codes(AffiliateFilter(), sort="name", descending=True) == ["tom-2", "JANE", "ADA"]
    assert change_status(any_db, [jane_id, tom_id], "rejected", "Not a fit") == 2
    update_affiliate(any_db, tom_id, replace(get_affiliate(any_db, tom_id).data, tags=(), coupon_codes=("TOMSAVE",)))
    assert list_tags(any_db) == ["blog", "EU"]
    assert get_affiliate(any_db, tom_id).data.coupon_codes == ("TOMSAVE",)
    assert [h.to_status for h in get_affiliate(any_db, jane_id).history] == ["rejected", "active"]
