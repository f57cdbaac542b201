"""A circuit breaker per endpoint: stop sending to an endpoint that keeps failing.

::

    closed ──(failure_threshold transient failures in a row)──► open
    open ──(reset_seconds later)──► half-open: one trial delivery
    half-open ──success──► closed        half-open ──failure──► open

Pure state transitions with an injected clock; the worker asks ``allow()`` before sending.
"""

from __future__ import annotations

from collections.abc import Callable
from enum import StrEnum


class CircuitState(StrEnum):
    CLOSED = "closed"
    OPEN = "open"
    HALF_OPEN = "half-open"


class CircuitBreaker:
    """Counts transient failures in a row; opens, then lets one trial through after a pause."""

    def __init__(
        self, failure_threshold: int, reset_seconds: float, clock: Callable[[], float]
    ) -> None:
        self.failure_threshold = failure_threshold
        self.reset_seconds = reset_seconds
        self._clock = clock
        self._state = CircuitState.CLOSED
        self._failures = 0
        self._opened_at = 0.0
        self._trial_out = False
        self.opened_count = 0

    @property
    def state(self) -> CircuitState:
        """The state now (an open circuit whose pause is over reads as half-open)."""
        if (
            self._state is CircuitState.OPEN
            and self._clock() - self._opened_at >= self.reset_seconds
        ):
            self._state = CircuitState.HALF_OPEN
            self._trial_out = False
        return self._state

    def retry_in(self) -> float:
        """Seconds until an open circuit lets a trial through (0 when not open)."""
        if self.state is not CircuitState.OPEN:
            return 0.0
        return max(0.0, self._opened_at + self.reset_seconds - self._clock())

    def allow(self) -> bool:
        """True when a delivery may be sent now (in half-open, only one trial at a time)."""
        state = self.state
        if state is CircuitState.CLOSED:
            return True
        if state is CircuitState.HALF_OPEN and not self._trial_out:
            self._trial_out = True
            return True
        return False

    def cancel_trial(self) -> None:
        """The trial ``allow()`` granted in half-open was not used; let another one through."""
        self._trial_out = False

    def record_success(self) -> None:
        self._state = CircuitState.CLOSED
        self._failures = 0
        self._trial_out = False

    def record_failure(self) -> None:
        """A transient failure (permanent refusals say nothing about the endpoint's health)."""
        state = self.state
        if state is CircuitState.HALF_OPEN:
            self._open()
            return
        self._failures += 1
        if state is CircuitState.CLOSED and self._failures >= self.failure_threshold:
            self._open()

    def _open(self) -> None:
        self._state = CircuitState.OPEN
        self._opened_at = self._clock()
        self._trial_out = False
        self.opened_count += 1
