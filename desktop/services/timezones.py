"""Time-zone names: the computer's own zone and the list to choose from."""

from __future__ import annotations

import os
from functools import cache
from pathlib import Path
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError, available_timezones


def is_valid_timezone(name: str) -> bool:
    if not name or name.startswith("/") or ".." in name:
        return False
    try:
        ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError, OSError):  # "Europe" is a folder of zones: IsADirectoryError
        return False
    return True


def local_timezone_name() -> str:
    """The IANA name of the computer's zone, or UTC when it cannot be told."""
    env = os.environ.get("TZ", "").lstrip(":")
    if is_valid_timezone(env):
        return env
    try:
        text = Path("/etc/timezone").read_text(encoding="utf-8").strip()
        if is_valid_timezone(text):
            return text
    except OSError:
        pass
    try:
        target = os.path.realpath("/etc/localtime")
        marker = "zoneinfo/"
        if marker in target:
            name = target.split(marker, 1)[1]
            if is_valid_timezone(name):
                return name
    except OSError:
        pass
    return "UTC"


@cache
def timezone_names() -> tuple[str, ...]:
    return tuple(sorted(available_timezones()))
