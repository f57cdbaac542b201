"""The retry policy: exponential backoff with full jitter, limits, transient vs permanent."""

from __future__ import annotations

import random

from hypothesis import given
from hypothesis import strategies as st

from gateway.delivery.retry import FailureKind, RetryPolicy, classify_status, parse_retry_after

POLICY = RetryPolicy(base_delay=0.5, max_delay=30.0, max_attempts=6, max_age=600.0)


@given(st.integers(min_value=1, max_value=5), st.integers(min_value=0, max_value=2**32))
def test_transient_delay_stays_within_the_exponential_ceiling(attempt: int, seed: int) -> None:
    delay = POLICY.next_delay(attempt, FailureKind.TRANSIENT, random.Random(seed))
    assert delay is not None
    assert 0.0 <= delay <= min(30.0, 0.5 * 2 ** (attempt - 1))


def test_delays_spread_out_with_jitter_and_grow_with_attempts() -> None:
    rng = random.Random(7)
    first = [POLICY.next_delay(1, FailureKind.TRANSIENT, rng) for _ in range(200)]
    fifth = [POLICY.next_delay(5, FailureKind.TRANSIENT, rng) for _ in range(200)]
    assert len(set(first)) > 150, "full jitter draws different delays"
    assert max(d or 0 for d in first) <= 0.5
    assert sum(d or 0 for d in fifth) / 200 > 2.0, "later attempts wait longer on average"


def test_permanent_failure_gives_up_at_once() -> None:
    assert POLICY.next_delay(1, FailureKind.PERMANENT, random.Random(1)) is None


def test_gives_up_after_max_attempts_and_after_max_age() -> None:
    rng = random.Random(1)
    assert POLICY.next_delay(6, FailureKind.TRANSIENT, rng) is None
    assert POLICY.next_delay(2, FailureKind.TRANSIENT, rng, age=700.0) is None
    assert "6 attempts" in POLICY.give_up_reason(6, FailureKind.TRANSIENT, 1.0)


def test_retry_after_is_honoured_up_to_the_cap() -> None:
    rng = random.Random(1)
    assert POLICY.next_delay(1, FailureKind.TRANSIENT, rng, retry_after=12.0) == 12.0
    assert POLICY.next_delay(1, FailureKind.TRANSIENT, rng, retry_after=500.0) == 30.0


def test_status_classification() -> None:
    assert classify_status(202) is None
    assert classify_status(429) is FailureKind.TRANSIENT
    assert classify_status(503) is FailureKind.TRANSIENT
    assert classify_status(400) is FailureKind.PERMANENT
    assert classify_status(422) is FailureKind.PERMANENT


def test_retry_after_header_as_seconds_or_http_date() -> None:
    assert parse_retry_after("7", 0.0) == 7.0
    assert parse_retry_after("Thu, 01 Jan 1970 00:01:40 GMT", 40.0) == 60.0
    assert parse_retry_after("soon", 0.0) is None
