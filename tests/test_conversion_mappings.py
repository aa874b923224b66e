"""Saved column mappings: save, replace, list, read back, and use them for an import."""

from __future__ import annotations

import re
from datetime import datetime
from pathlib import Path

import pytest
from test_conversion_support import affiliates as make_affiliates
from test_conversion_support import orders, program, write_csv

from desktop.db import Database
from desktop.models import ColumnMapping
from desktop.services.conversion_import import import_conversions
from desktop.services.conversion_mappings import (
    delete_mapping,
    get_saved_mapping,
    guess_date_order,
    list_mappings,
    propose_mapping,
    save_mapping,
    suggest_mapping,
)
from desktop.services.conversion_values import LocalClock
from desktop.services.errors import BadInput, ValidationFailed


def test_mappings_are_saved_listed_and_used(db: Database, tmp_path: Path) -> None:
    program(db)
    make_affiliates(db, {"JANE": []})
    saved = save_mapping(db, " Etsy ", {"order_id": "Order ID", "occurred_at": "Sale Date", "amount": "Order Value",
                                         "affiliate_code": "", "customer_email": "Buyer"})  # fmt: skip
    assert saved.name == "Etsy"
    assert saved.as_dict() == {"order_id": "Order ID", "occurred_at": "Sale Date", "amount": "Order Value",
                               "customer_email": "Buyer"}  # fmt: skip
    save_mapping(db, "Etsy", {"order_id": "Order ID", "occurred_at": "Sale Date", "amount": "Order Value",
                              "affiliate_code": "Ref"})  # fmt: skip
    save_mapping(db, "Bandcamp", {"order_id": "item id"})
    assert [m.name for m in list_mappings(db)] == ["Bandcamp", "Etsy"]
    mapping = get_saved_mapping(db, "Etsy").as_dict()
    assert mapping["affiliate_code"] == "Ref" and "customer_email" not in mapping
    path = write_csv(tmp_path / "etsy.csv", ["Order ID", "Sale Date", "Order Value", "Ref"],
                     [["E1", "10/03/2026", "12.00", "JANE"]])  # fmt: skip
    with pytest.raises(BadInput, match="'10/03/2026' could be day first or month first"):
        import_conversions(db, path, mapping=mapping)
    write_csv(path, ["Order ID", "Sale Date", "Order Value", "Ref"], [["E1", "2026-10-03", "12.00", "JANE"]])
    assert import_conversions(db, path, mapping=mapping).summary.preset == "mapping"
    assert orders(db)["E1"]["affiliate"] == "JANE"
    assert delete_mapping(db, "Bandcamp") and not delete_mapping(db, "Bandcamp")
    with pytest.raises(BadInput, match="no saved column mapping named 'Bandcamp'"):
        get_saved_mapping(db, "Bandcamp").as_dict()


def test_a_bad_mapping_is_refused_field_by_field(db: Database) -> None:
    with pytest.raises(ValidationFailed) as excinfo:
        save_mapping(db, "", {"order_number": "Order", "amount": "x" * 201})
    assert set(excinfo.value.errors) == {"name", "order_number", "amount"}
    with pytest.raises(ValidationFailed, match="Map at least one column"):
        save_mapping(db, "Empty", {"order_id": " "})


def test_a_saved_mapping_that_fits_the_header_is_used_unasked(db: Database, tmp_path: Path) -> None:
    """A shop's odd export, mapped once: the next month's file is read with that mapping without choosing it."""
    program(db)
    make_affiliates(db, {"JANE": []})
    header = ["Order ID", "Sale Date", "Order Value", "Ref", "Buyer"]
    save_mapping(db, "Etsy", {"order_id": "Order ID", "occurred_at": "Sale Date", "amount": "Order Value"})
    save_mapping(db, "Etsy with partners", {"order_id": "order id", "occurred_at": "Sale Date",
                                            "amount": "Order Value", "affiliate_code": "Ref"})  # fmt: skip
    save_mapping(db, "Other shop", {"order_id": "Number", "occurred_at": "Sale Date", "amount": "Order Value"})
    path = write_csv(tmp_path / "etsy-november.csv", header, [["E1", "2026-11-03", "12.00", "JANE", "b@example.com"]])
    summary = import_conversions(db, path).summary
    assert (summary.preset, summary.preset_reason) == (
        "mapping", "the saved mapping 'Etsy with partners', whose columns are all in this file")  # fmt: skip
    assert orders(db)["E1"]["affiliate"] == "JANE"  # the richer mapping of the two that fit
    assert summary.ignored_columns == ("Buyer",)
    # a mapping is only the last resort: a file in a known shape is read in that shape
    generic_header = ["order_id", "occurred_at", "amount", "Ref", "Sale Date", "Order Value"]
    known = write_csv(tmp_path / "generic.csv", generic_header, [["G1", "2026-11-04", "5.00", "", "", ""]])
    assert import_conversions(db, known).summary.preset == "generic"
    # and none fits a file that lacks one of its columns
    missing = write_csv(tmp_path / "other.csv", ["Order ID", "Sale Date"], [["E2", "2026-11-05"]])
    with pytest.raises(BadInput, match="cannot tell which export this is"):
        import_conversions(db, missing)


@pytest.mark.parametrize(
    ("order", "text", "expected"),
    [
        ("dmy", "03/10/2026", datetime(2026, 10, 3)),
        ("dmy", "3.10.2026 14:05", datetime(2026, 10, 3, 14, 5)),
        ("dmy", "03-10-2026 14:05:09", datetime(2026, 10, 3, 14, 5, 9)),
        ("mdy", "10/03/2026 2:05 PM", datetime(2026, 10, 3, 14, 5)),
        ("mdy", "10/03/2026 12:30 a.m.", datetime(2026, 10, 3, 0, 30)),
        ("mdy", "2026-10-03T14:05:00+00:00", datetime(2026, 10, 3, 16, 5)),  # ISO 8601 whatever the order
    ],
)
def test_dates_day_or_month_first_as_the_mapping_says(order: str, text: str, expected: datetime) -> None:
    assert LocalClock("Europe/Berlin", order).local(text) == expected


@pytest.mark.parametrize(
    ("order", "text", "message"),
    [
        ("ymd", "03/10/2026", "'03/10/2026' is not a date or date-time; write it like 2026-10-03"),
        ("dmy", "10/13/2026", "'10/13/2026' is not a date written day/month/year, as this file's dates are; "
                              "write it like 03/10/2026 or 03/10/2026 14:05 (there is no such day or time)"),
        ("mdy", "10/03/26", "'10/03/26' is not a date written month/day/year"),
        ("mdy", "10/03/2026 13:05 PM", "'10/03/2026 13:05 PM' is not a date written month/day/year"),
    ],
)  # fmt: skip
def test_a_date_not_written_as_said_is_refused_with_an_example(order: str, text: str, message: str) -> None:
    with pytest.raises(ValueError, match=re.escape(message)):
        LocalClock("UTC", order).local(text)


def test_what_the_dialog_proposes_from_names_and_values(tmp_path: Path) -> None:
    assert suggest_mapping(["Ref", "Order Date", "Total", "Partner", "Promo Code", "E-Mail", "Qty", "Item"]) == {
        "occurred_at": "Order Date", "amount": "Total", "quantity": "Qty", "product": "Item",
        "affiliate_code": "Partner", "coupon_code": "Promo Code", "customer_email": "E-Mail"}  # fmt: skip
    # each column once, and a field's own name before another field's second choice
    assert suggest_mapping(["Total", "Amount", "Order"]) == {"order_id": "Order", "amount": "Amount"}
    assert guess_date_order(["03/10/2026", "24/10/2026 10:00"]) == "dmy"
    assert guess_date_order(["10/24/2026 2:05 PM", "10/03/2026"]) == "mdy"
    assert guess_date_order(["2026-10-03", "2026-10-24T10:00:00Z"]) == "ymd"
    assert guess_date_order(["03/10/2026", "04/10/2026"]) is None  # could be either: the user says
    assert guess_date_order(["24/10/2026", "10/24/2026"]) is None  # a file that contradicts itself
    path = write_csv(tmp_path / "till.csv", ["Ref", "When", "Total"],
                     [["X-1", "03/10/2026", "12,50"], ["X-2", "", "3,00"], ["X-3", "24/10/2026", "1.000,00"],
                      ["X-4", "25/10/2026", "2,00"]])  # fmt: skip
    proposal = propose_mapping(path)
    assert proposal.header == ("Ref", "When", "Total") and proposal.error == ""
    assert proposal.samples["When"] == ("03/10/2026", "24/10/2026", "25/10/2026")  # blanks skipped
    assert proposal.dates["When"] == "dmy" and proposal.guessed == {"occurred_at": "When", "amount": "Total"}
    gone = propose_mapping(tmp_path / "gone.csv")
    assert gone.error == "gone.csv: cannot be opened: No such file or directory" and gone.header == ()


def test_a_mapping_keeps_how_its_files_write_dates(db: Database, tmp_path: Path) -> None:
    program(db, timezone="UTC")
    header = ["Ref", "When", "Total"]
    save_mapping(db, "Till", {"order_id": "Ref", "occurred_at": "When", "amount": "Total"}, date_order="dmy")
    assert get_saved_mapping(db, "Till").date_order == "dmy"
    path = write_csv(tmp_path / "till.csv", header, [["X-1", "03/10/2026 14:05", "12.50"]])
    summary = import_conversions(db, path).summary  # the saved mapping fits, and brings its date order
    assert summary.date_order == "dmy" and orders(db)["X-1"]["occurred_at"].startswith("2026-10-03 14:05")
    with pytest.raises(ValidationFailed, match="Unknown date order"):
        save_mapping(db, "Till", {"order_id": "Ref"}, date_order="ydm")
    with db.write() as session:  # saved before mappings knew about dates: the columns alone
        session.add(ColumnMapping(name="Old", kind="conversions", created_at=datetime(2026, 1, 1),
                                  mapping_json='{"order_id": "Ref", "occurred_at": "When"}'))  # fmt: skip
    old = get_saved_mapping(db, "Old")
    assert old.as_dict() == {"order_id": "Ref", "occurred_at": "When"} and old.date_order == "ymd"


@pytest.mark.parametrize("order", ["ymd", "dmy", "mdy"])
def test_year_first_dates_with_slashes_or_dots_are_never_ambiguous(order: str) -> None:
    from desktop.services.conversion_values import LocalClock, date_order_shown

    clock = LocalClock("UTC", order)
    assert f"{clock.local('2026/10/03'):%Y-%m-%d %H:%M}" == "2026-10-03 00:00"
    assert f"{clock.local('2026/10/3 2:05 PM'):%Y-%m-%d %H:%M}" == "2026-10-03 14:05"
    assert f"{clock.local('2026.10.03 14:05:09'):%Y-%m-%d %H:%M:%S}" == "2026-10-03 14:05:09"
    with pytest.raises(ValueError, match=r"'2026/02/30' is not a date or date-time \(there is no such day or time\)"):
        clock.local("2026/02/30")
    assert date_order_shown("2026/10/03") == "ymd"  # a file of them is read at once, nothing to choose
