"""The circuit breaker: closed -> open after failures -> half-open trial -> closed or open."""

from __future__ import annotations

from gateway.delivery.breaker import CircuitBreaker, CircuitState


def _state(breaker: CircuitBreaker) -> CircuitState:
    """The state read afresh (keeps mypy from narrowing across calls that change it)."""
    return breaker.state


class Clock:
    def __init__(self) -> None:
        self.now = 0.0

    def __call__(self) -> float:
        return self.now


def test_opens_after_threshold_failures_in_a_row() -> None:
    clock = Clock()
    breaker = CircuitBreaker(3, 10.0, clock)
    breaker.record_failure()
    breaker.record_failure()
    breaker.record_success()
    breaker.record_failure()
    breaker.record_failure()
    assert _state(breaker) is CircuitState.CLOSED, "a success resets the count"
    breaker.record_failure()
    assert _state(breaker) is CircuitState.OPEN
    assert not breaker.allow()
    assert breaker.retry_in() == 10.0


def test_half_open_lets_one_trial_through_then_closes_on_success() -> None:
    clock = Clock()
    breaker = CircuitBreaker(1, 10.0, clock)
    breaker.record_failure()
    clock.now = 10.0
    assert _state(breaker) is CircuitState.HALF_OPEN
    assert breaker.allow()
    assert not breaker.allow(), "only one trial at a time"
    breaker.record_success()
    assert _state(breaker) is CircuitState.CLOSED and breaker.allow()


def test_failed_trial_opens_the_circuit_again() -> None:
    clock = Clock()
    breaker = CircuitBreaker(1, 5.0, clock)
    breaker.record_failure()
    clock.now = 6.0
    assert breaker.allow()
    breaker.record_failure()
    assert _state(breaker) is CircuitState.OPEN
    assert breaker.opened_count == 2
    clock.now = 10.0
    assert _state(breaker) is CircuitState.OPEN
    clock.now = 11.0
    assert _state(breaker) is CircuitState.HALF_OPEN


def test_unused_trial_can_be_handed_back() -> None:
    clock = Clock()
    breaker = CircuitBreaker(1, 1.0, clock)
    breaker.record_failure()
    clock.now = 2.0
    assert breaker.allow()
    breaker.cancel_trial()
    assert breaker.allow()
