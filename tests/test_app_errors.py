"""A database error no page caught reaches the window's notice, not the console (desktop.views.app)."""

from __future__ import annotations

import sqlite3
import sys

import pytest
from sqlalchemy.exc import DBAPIError

from desktop.views.app import route_query_errors


class Window:
    def __init__(self) -> None:
        self.reported: list[BaseException] = []

    def report_database_error(self, exc: BaseException) -> None:
        self.reported.append(exc)


def test_a_query_error_in_a_slot_goes_to_the_window_and_others_to_the_previous_hook(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    printed: list[BaseException] = []
    monkeypatch.setattr(sys, "excepthook", lambda kind, value, trace: printed.append(value))
    window = Window()
    route_query_errors(window)
    damaged = DBAPIError("SELECT * FROM conversion", {}, sqlite3.DatabaseError("database disk image is malformed"))
    sys.excepthook(type(damaged), damaged, None)
    other = ValueError("a bug")
    sys.excepthook(type(other), other, None)
    assert window.reported == [damaged] and printed == [other]
