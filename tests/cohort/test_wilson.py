"""Wilson score intervals against the published worked values."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from tailormed.cohort.equity import wilson


@pytest.mark.parametrize(
    ("count", "n", "low", "high"),
    [
        # Newcombe RG (1998) Stat Med 17:857-872, Table I, method 3 (Wilson score)
        (81, 263, 0.2553, 0.3662),
        (15, 148, 0.0624, 0.1605),
        (0, 20, 0.0000, 0.1611),
        (1, 29, 0.0061, 0.1718),
    ],
)
def test_newcombe_worked_examples(count: int, n: int, low: float, high: float) -> None:
    lo, hi = wilson(count, n)
    assert (round(lo, 4), round(hi, 4)) == (low, high)


@given(st.integers(1, 5000).flatmap(lambda n: st.tuples(st.integers(0, n), st.just(n))))
def test_interval_holds_the_estimate_and_stays_in_0_1(case: tuple[int, int]) -> None:
    count, n = case
    lo, hi = wilson(count, n)
    assert 0.0 <= lo <= count / n <= hi <= 1.0
    mirror = wilson(n - count, n)  # symmetric under success/failure swap
    assert mirror == pytest.approx((1 - hi, 1 - lo), abs=1e-12)


def test_rejects_impossible_counts() -> None:
    with pytest.raises(ValueError):
        wilson(5, 4)
