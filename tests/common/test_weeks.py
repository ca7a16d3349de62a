from datetime import date, timedelta

from common.weeks import monday_from, monday_of


def test_every_day_of_a_week_has_its_monday_and_the_next_monday_from_it() -> None:
    monday = date(2026, 11, 30)
    for offset in range(7):
        day = monday + timedelta(days=offset)
        assert monday_of(day) == monday
        assert monday_from(day) == (monday if offset == 0 else monday + timedelta(days=7))


def test_a_week_across_the_year_begins_in_the_old_year() -> None:
    assert monday_of(date(2027, 1, 1)) == date(2026, 12, 28)
    assert monday_from(date(2026, 12, 29)) == date(2027, 1, 4)
