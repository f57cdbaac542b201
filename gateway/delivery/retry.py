"""When to try a failed delivery again: a pure function of the attempt and the kind of error.

Exponential backoff with full jitter (a random delay between 0 and ``base * 2**(attempt-1)``,
capped), so many items failing together do not all come back at the same moment. A permanent
failure, too many attempts or too old a delivery means: give up (``None``) and dead-letter it.
"""

from __future__ import annotations

import random
from dataclasses import dataclass
from email.utils import parsedate_to_datetime
from enum import StrEnum


class FailureKind(StrEnum):
    """How a delivery attempt failed."""

    TRANSIENT = "transient"
    """Timeouts, connection errors, 429 and 5xx answers: worth trying again."""
    PERMANENT = "permanent"
    """Other 4xx answers: the endpoint refused with a reason; retrying would not help."""


@dataclass(frozen=True, slots=True)
class RetryPolicy:
    """Backoff parameters and the limits after which a delivery is dead-lettered."""

    base_delay: float = 0.5
    max_delay: float = 60.0
    max_attempts: int = 12
    max_age: float = 24 * 3600.0

    def next_delay(
        self,
        attempt: int,
        kind: FailureKind,
        rng: random.Random,
        *,
        age: float = 0.0,
        retry_after: float | None = None,
    ) -> float | None:
        """Seconds to wait before the next attempt, or None to give up.

        ``attempt`` counts the attempt that just failed (1 for the first). ``age`` is how
        long ago the delivery was first enqueued; ``retry_after`` is the endpoint's own
        ``Retry-After``, honoured (up to ``max_delay``) when longer than the backoff.
        """
        if kind is FailureKind.PERMANENT or attempt >= self.max_attempts:
            return None
        ceiling = min(self.max_delay, self.base_delay * 2.0 ** max(attempt - 1, 0))
        delay = rng.uniform(0.0, ceiling)
        if retry_after is not None:
            delay = max(delay, min(retry_after, self.max_delay))
        if age + delay > self.max_age:
            return None
        return delay

    def give_up_reason(self, attempt: int, kind: FailureKind, age: float) -> str:
        """A sentence saying why ``next_delay`` gave up."""
        if kind is FailureKind.PERMANENT:
            return "the endpoint refused it, and retrying would not help"
        if attempt >= self.max_attempts:
            return f"{attempt} attempts failed (the limit is {self.max_attempts})"
        return f"the delivery is {age:.0f} s old (the limit is {self.max_age:.0f} s)"


def classify_status(status: int) -> FailureKind | None:
    """None for success (2xx), else whether an HTTP status is worth retrying."""
    if 200 <= status < 300:
        return None
    if status in (408, 425, 429) or status >= 500:
        return FailureKind.TRANSIENT
    return FailureKind.PERMANENT


def parse_retry_after(value: str | None, now_epoch: float) -> float | None:
    """Seconds from a ``Retry-After`` header (delta seconds or an HTTP date), if readable."""
    if not value:
        return None
    value = value.strip()
    if value.isdigit():
        return float(value)
    try:
        when = parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    return max(0.0, when.timestamp() - now_epoch)
