"""How much the gateway takes in at once: beyond it, a sender is asked to come back.

Every feed message being taken in (read, translated, stored) holds its body and, while it is
translated, its parsed tree and its declarations. Without a bound, senders faster than the
gateway would make requests pile up until memory runs out and every answer comes too late.
``IntakeGate`` counts the messages and the bytes being taken in; a message that would pass
either limit is refused at once with 503 and ``Retry-After`` before anything of it is stored,
so nothing is lost and the sender sends it again, as it would after a timeout. A message on its
own is always taken (the size limit of one body is ``limits.max_body_bytes``), however large.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass


@dataclass
class IntakeGate:
    """The messages, and the bytes of their bodies, being taken in at once."""

    max_messages: int
    max_bytes: int
    messages: int = 0
    bytes: int = 0

    def refusal(self, size: int) -> str | None:
        """Why a message of ``size`` bytes cannot be taken in now; None when it can."""
        if self.messages >= self.max_messages:
            return (
                f"{self.messages} messages are being taken in, the most at once is "
                f"{self.max_messages}"
            )
        if self.messages and self.bytes + size > self.max_bytes:
            return (
                f"{self.bytes:,} bytes of messages are being taken in, and with this one's "
                f"{size:,} bytes that would pass the limit of {self.max_bytes:,}"
            )
        return None

    @contextmanager
    def holding(self, size: int) -> Iterator[None]:
        """Count a message of ``size`` bytes as being taken in while inside."""
        self.messages += 1
        self.bytes += size
        try:
            yield
        finally:
            self.messages -= 1
            self.bytes -= size
