"""All network I/O of delivery behind one small interface, with an in-memory fake for tests.

``Transport.send`` takes a ``TransportRequest`` and returns a ``TransportResponse``; it raises
``TransientDeliveryError`` for timeouts and connection failures (foreign exceptions are
translated here, where they enter). HTTP error statuses are answers, not exceptions: the
worker classifies them.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass, field
from typing import Protocol

import aiohttp

from gateway.errors import TransientDeliveryError


@dataclass(frozen=True, slots=True)
class TransportRequest:
    url: str
    body: bytes
    headers: Mapping[str, str] = field(default_factory=dict)
    timeout: float = 10.0
    method: str = "POST"


@dataclass(frozen=True, slots=True)
class TransportResponse:
    status: int
    body: bytes = b""
    headers: Mapping[str, str] = field(default_factory=dict)


class Transport(Protocol):
    """Sends one request to an endpoint."""

    async def send(self, request: TransportRequest) -> TransportResponse: ...

    async def close(self) -> None: ...


class AiohttpTransport:
    """HTTP POST through one shared aiohttp session (connection pooling, keep-alive)."""

    def __init__(self, *, limit: int = 256) -> None:
        self._limit = limit
        self._session: aiohttp.ClientSession | None = None

    def _client(self) -> aiohttp.ClientSession:
        if self._session is None or self._session.closed:
            self._session = aiohttp.ClientSession(
                connector=aiohttp.TCPConnector(limit=self._limit), raise_for_status=False
            )
        return self._session

    async def send(self, request: TransportRequest) -> TransportResponse:
        timeout = aiohttp.ClientTimeout(total=request.timeout)
        try:
            async with self._client().request(
                request.method,
                request.url,
                data=request.body or None,
                headers=dict(request.headers),
                timeout=timeout,
                # a redirect is an answer, not a detour: followed, a POST may turn into a GET
                # that answers 200 without the body ever arriving
                allow_redirects=False,
            ) as response:
                body = await response.read()
                return TransportResponse(response.status, body, dict(response.headers))
        except TimeoutError as exc:
            raise TransientDeliveryError(
                f"The endpoint {request.url} did not answer within {request.timeout:g} s."
            ) from exc
        except aiohttp.ClientError as exc:
            raise TransientDeliveryError(
                f"The endpoint {request.url} could not be reached: {exc or type(exc).__name__}."
            ) from exc

    async def close(self) -> None:
        if self._session is not None:
            await self._session.close()
            self._session = None


Handler = Callable[[TransportRequest], Awaitable[TransportResponse] | TransportResponse]


class MockTransport:
    """An in-memory transport for unit tests: a handler function answers every request."""

    def __init__(self, handler: Handler) -> None:
        self._handler = handler
        self.requests: list[TransportRequest] = []

    async def send(self, request: TransportRequest) -> TransportResponse:
        self.requests.append(request)
        answer = self._handler(request)
        if isinstance(answer, TransportResponse):
            return answer
        return await answer

    async def close(self) -> None:
        return None
