"""Saved column mappings: save, replace, list, read back, and use them for an import."""

from __future__ import annotations

from pathlib import Path

import pytest
from test_conversion_support import affiliates as make_affiliates
from test_conversion_support import orders, program, write_csv

from desktop.db import Database
from desktop.services.conversion_import import import_conversions
from desktop.services.conversion_mappings import delete_mapping, get_mapping, list_mappings, save_mapping
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
    mapping = get_mapping(db, "Etsy")
    assert mapping["affiliate_code"] == "Ref" and "customer_email" not in mapping
    path = write_csv(tmp_path / "etsy.csv", ["Order ID", "Sale Date", "Order Value", "Ref"],
                     [["E1", "10/03/2026", "12.00", "JANE"]])  # fmt: skip
    with pytest.raises(BadInput, match="'10/03/2026' is not a date"):
        import_conversions(db, path, mapping=mapping)
    write_csv(path, ["Order ID", "Sale Date", "Order Value", "Ref"], [["E1", "2026-10-03", "12.00", "JANE"]])
    assert import_conversions(db, path, mapping=mapping).summary.preset == "mapping"
    assert orders(db)["E1"]["affiliate"] == "JANE"
    assert delete_mapping(db, "Bandcamp") and not delete_mapping(db, "Bandcamp")
    with pytest.raises(BadInput, match="no saved column mapping named 'Bandcamp'"):
        get_mapping(db, "Bandcamp")


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
