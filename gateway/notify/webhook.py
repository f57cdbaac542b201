"""Sender webhooks: POST each outcome event to the partner's URL, signed, with bounded retries.

``WebhookNotifier.notify(partner, event)`` sends ``encode_event(event)`` with the headers
``Gateway-Signature`` (see ``signing``), ``Gateway-Event-Id`` and ``Content-Type:
application/json``. Timeouts, connection errors, 408, 429 and 5xx are retried with
exponential backoff and full jitter (``backoff_delay``, a pure function) up to
``max_attempts``, then ``TransientDeliveryError``; any other 4xx is a
``PermanentDeliveryError`` at once.
"""

from __future__ import annotations

import asyncio
import random
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any, Protocol

import aiohttp

from gateway.errors import PermanentDeliveryError, TransientDeliveryError
from gateway.notify.events import encode_event
from gateway.notify.signing import SIGNATURE_HEADER, sign_body

__all__ = [
    "EVENT_ID_HEADER",
    "PartnerConfig",
    "WebhookNotifier",
    "WebhookPartner",
    "backoff_delay",
]

EVENT_ID_HEADER = "Gateway-Event-Id"
_RETRYABLE_STATUSES = frozenset({408, 425, 429})


class PartnerConfig(Protocol):
    """What the notifier needs of a partner's configuration (any object with these)."""

    @property
    def name(self) -> str: ...

    @property
    def webhook_url(self) -> str | None: ...

    @property
    def webhook_secret(self) -> str | bytes | None: ...


@dataclass(frozen=True)
class WebhookPartner:
    """A plain ``PartnerConfig``: a partner's name, webhook URL and signing secret."""

    name: str
    webhook_url: str | None
    webhook_secret: str | bytes | None


def backoff_delay(
    attempt: int, *, base: float, cap: float, rng: Callable[[], float] = random.random
) -> float:
    """Seconds to wait after failed attempt ``attempt`` (1-based): full jitter.

    A uniform draw from 0 to ``min(cap, base * 2 ** (attempt - 1))``, so many senders
    retrying at once spread out instead of arriving together.
    """
    ceiling: float = min(cap, base * 2.0 ** max(0, attempt - 1))
    return ceiling * rng()


def _secret_bytes(partner: PartnerConfig) -> bytes:
    secret = partner.webhook_secret
    if not secret:
        raise PermanentDeliveryError(
            f"The partner {partner.name!r} has a webhook URL but no webhook secret; "
            "unsigned webhooks are not sent."
        )
    return secret if isinstance(secret, bytes) else secret.encode("utf-8")


class WebhookNotifier:
    """Sends signed outcome events to partners' webhooks over one aiohttp session."""

    def __init__(
        self,
        session: aiohttp.ClientSession | None = None,
        *,
        max_attempts: int = 5,
        base_delay: float = 0.5,
        max_delay: float = 30.0,
        timeout: float = 10.0,
        sleep: Callable[[float], Awaitable[None]] = asyncio.sleep,
        clock: Callable[[], float] = time.time,
        rng: Callable[[], float] = random.random,
    ) -> None:
        self._session = session
        self._owns_session = session is None
        self.max_attempts = max(1, max_attempts)
        self.base_delay = base_delay
        self.max_delay = max_delay
        self.timeout = timeout
        self._sleep = sleep
        self._clock = clock
        self._rng = rng

    async def __aenter__(self) -> WebhookNotifier:
        return self

    async def __aexit__(self, *exc_info: object) -> None:
        await self.close()

    async def close(self) -> None:
        """Close the session if the notifier opened it."""
        if self._owns_session and self._session is not None:
            await self._session.close()
            self._session = None

    def _client(self) -> aiohttp.ClientSession:
        if self._session is None:
            self._session = aiohttp.ClientSession()
        return self._session

    async def notify(self, partner: PartnerConfig, event: dict[str, Any]) -> None:
        """Deliver ``event`` to ``partner``'s webhook; raise a DeliveryError when it cannot.

        A partner without a webhook URL is skipped (it uses the pull API).
        """
        url = partner.webhook_url
        if not url:
            return
        secret = _secret_bytes(partner)
        body = encode_event(event)
        event_id = str(event.get("id", ""))
        last_reason = "no attempt was made"
        for attempt in range(1, self.max_attempts + 1):
            headers = {
                "Content-Type": "application/json",
                SIGNATURE_HEADER: sign_body(secret, body, int(self._clock())),
                EVENT_ID_HEADER: event_id,
            }
            try:
                async with self._client().post(
                    url,
                    data=body,
                    headers=headers,
                    timeout=aiohttp.ClientTimeout(total=self.timeout),
                    allow_redirects=False,
                ) as response:
                    status = response.status
                    await response.read()
            except (aiohttp.ClientError, TimeoutError) as exc:
                detail = str(exc) or "no detail"
                last_reason = f"the request failed ({type(exc).__name__}: {detail})"
            else:
                if 200 <= status < 300:
                    return
                if 400 <= status < 500 and status not in _RETRYABLE_STATUSES:
                    raise PermanentDeliveryError(
                        f"The webhook of partner {partner.name!r} at {url} refused event "
                        f"{event_id} with HTTP {status}; it will not be retried."
                    )
                last_reason = f"it answered HTTP {status}"
            if attempt < self.max_attempts:
                await self._sleep(
                    backoff_delay(attempt, base=self.base_delay, cap=self.max_delay, rng=self._rng)
                )
        raise TransientDeliveryError(
            f"The webhook of partner {partner.name!r} at {url} did not take event {event_id} "
            f"after {self.max_attempts} attempts; last, {last_reason}."
        )
