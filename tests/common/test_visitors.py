"""The visitor sketches' accuracy: exact while small, within the documented error past that, and
unions that count a returning visitor once (common/visitors.py)."""

from __future__ import annotations

import pytest

from common.visitors import LG_K, VisitorCount, merged, new_sketch, visitor_identity, visitor_key, visitor_key_secret

SECRET = visitor_key_secret("a-test-secret-of-sixteen-or-more")
# One standard error of an HLL sketch of 2^LG_K registers; the tests allow three of them.
RELATIVE_ERROR = 1.04 / (2**LG_K) ** 0.5


def keys(first: int, count: int) -> list[int]:
    """Visitor keys of ``count`` distinct visitors, as the worker makes them."""
    return [
        visitor_key(SECRET, visitor_identity(f"10.{n >> 16 & 255}.{n >> 8 & 255}.{n & 255}", "Agent"))
        for n in range(first, first + count)
    ]


def stored(visitor_keys: list[int]) -> bytes:
    sketch = new_sketch()
    for key in visitor_keys:
        sketch.update(key)
    return merged(None, sketch)


def test_a_visitor_key_is_the_same_on_every_day_and_differs_by_secret_address_and_agent() -> None:
    key = visitor_key(SECRET, visitor_identity("198.51.100.7", "Agent"))
    assert key == visitor_key(SECRET, visitor_identity("198.51.100.7", "Agent"))
    assert key != visitor_key(
        visitor_key_secret("another-secret-of-sixteen-chars"), visitor_identity("198.51.100.7", "Agent")
    )
    assert key != visitor_key(SECRET, visitor_identity("198.51.100.8", "Agent"))
    assert key != visitor_key(SECRET, visitor_identity("198.51.100.7", "Other agent"))
    assert -(2**63) <= key < 2**63  # what the sketch takes


@pytest.mark.parametrize("visitors", [0, 1, 2, 50, 300])
def test_small_counts_are_exact(visitors: int) -> None:
    assert VisitorCount().add_all([stored(keys(0, visitors))]).estimate == visitors


@pytest.mark.parametrize("visitors", [1_000, 10_000, 200_000])
def test_large_counts_are_within_three_standard_errors(visitors: int) -> None:
    estimate = VisitorCount().add_all([stored(keys(0, visitors))]).estimate
    assert abs(estimate - visitors) <= 3 * RELATIVE_ERROR * visitors, (estimate, visitors)


def test_a_union_counts_a_visitor_on_several_days_once() -> None:
    # Seven "days" of 2,000 visitors each, each day sharing half its visitors with the day before:
    # 8,000 distinct visitors, 14,000 visitor-days.
    days = [stored(keys(day * 1_000, 2_000)) for day in range(7)]
    estimate = VisitorCount().add_all(days).estimate
    assert abs(estimate - 8_000) <= 3 * RELATIVE_ERROR * 8_000, estimate


def test_merging_into_a_stored_sketch_adds_only_new_visitors() -> None:
    sketch = new_sketch()
    for key in keys(100, 200):  # 100 of them already stored
        sketch.update(key)
    assert VisitorCount().add_all([merged(stored(keys(0, 200)), sketch)]).estimate == 300
    assert VisitorCount().add_all([None, stored(keys(0, 5))]).estimate == 5  # rows without a sketch add nobody
