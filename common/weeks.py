"""UTC weeks, Monday to Monday: the grain of the weekly rollup rows the worker writes and the
analytics API reads, so both must agree on where a week begins."""

from __future__ import annotations

from datetime import date, timedelta

_WEEK = timedelta(days=7)


def monday_of(day: date) -> date:
    """The Monday beginning the week that holds ``day``."""
    return day - timedelta(days=day.weekday())


def monday_from(day: date) -> date:
    """The first Monday on or after ``day``."""
    return monday_of(day + _WEEK - timedelta(days=1))
