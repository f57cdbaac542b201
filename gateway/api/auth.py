"""Who is calling the API, and what they may see: bearer tokens, roles, callback secrets.

Authentication is on when any partner in the configuration has a token ("auth on"):

- ``GET /v1/health/*``, ``GET /v1/health``, ``GET /v1/openapi.json`` and ``GET /metrics`` stay
  open (probes and Prometheus scrapers carry no token; metrics hold counts, never data).
- ``POST /v1/responses/{endpoint}`` (customs callbacks) is checked against the endpoint's own
  ``callback_secret``, sent as ``Authorization: Bearer <secret>``, whenever the endpoint has
  one, auth on or off; an endpoint without one takes callbacks unauthenticated.
- Every other route needs ``Authorization: Bearer <token>`` naming a partner; a missing or
  wrong token is a 401 problem with ``WWW-Authenticate: Bearer``.

Tokens are compared as SHA-256 digests with ``hmac.compare_digest``, against every partner
without stopping at the first match, so timing tells nothing about which digits were right.

Authorisation: a partner (``role: partner``) sees and replays only the messages and items it
sent; anything else answers 404, exactly as if it did not exist, so IDs do not leak. An
operator (``role: operator``) sees everything and may bulk-replay.

With auth off (no partner has a token: the demo, local development) the API is open as it
always was: the sender is the ``X-Gateway-Sender`` header or "anonymous", and every caller
may see and replay everything. ``build_app`` logs one warning saying so.
"""

from __future__ import annotations

import hashlib
import hmac
from collections.abc import Mapping
from dataclasses import dataclass

import structlog
from aiohttp import web
from aiohttp.typedefs import Handler, Middleware

from gateway.api.problems import problem_response
from gateway.config import EndpointConfig, GatewayConfig, PartnerConfig

log = structlog.get_logger("gateway.api")

ANONYMOUS = "anonymous"
"""The sender of a request when authentication is off and no ``X-Gateway-Sender`` is given."""

SENDER_HEADER = "X-Gateway-Sender"
"""Names the sender when authentication is off (ignored when it is on)."""

OPEN_ROUTES = frozenset(
    {
        ("GET", "/v1/health"),
        ("GET", "/v1/health/live"),
        ("GET", "/v1/health/ready"),
        ("GET", "/v1/openapi.json"),
        ("GET", "/metrics"),
    }
)
"""Routes (method, route pattern) that never need a token."""

CALLBACK_ROUTE = ("POST", "/v1/responses/{endpoint}")
"""The customs callback route, authenticated by each endpoint's own secret."""

REALM = "customs-gateway"


@dataclass(frozen=True)
class Caller:
    """The authenticated caller of one request."""

    name: str
    """The partner's configured name (the sender stored with its messages)."""
    operator: bool = False
    """Operators see every message and may bulk-replay."""

    def may_see(self, sender: str) -> bool:
        """Whether this caller may read or replay something the given sender sent."""
        return self.operator or sender == self.name


CALLER = web.RequestKey("caller", Caller)
"""Where the auth middleware leaves the caller of each request it let through."""


class Authenticator:
    """Recognises partners by bearer token and endpoints by callback secret."""

    def __init__(
        self,
        partners: Mapping[str, PartnerConfig],
        endpoints: Mapping[str, EndpointConfig],
    ) -> None:
        self._partners = [
            (bytes.fromhex(digest), Caller(name, operator=partner.role == "operator"))
            for name, partner in partners.items()
            if (digest := partner.token_digest) is not None
        ]
        self._callback_digests = {
            name: _digest(endpoint.callback_secret)
            for name, endpoint in endpoints.items()
            if endpoint.callback_secret is not None
        }

    @classmethod
    def from_config(cls, config: GatewayConfig) -> Authenticator:
        """The authenticator for a gateway configuration."""
        return cls(config.partners, config.endpoints)

    @property
    def enabled(self) -> bool:
        """Whether partners must authenticate (any partner has a token)."""
        return bool(self._partners)

    def identify(self, authorization: str | None) -> Caller | None:
        """The partner whose token an ``Authorization`` header carries; None if none does."""
        token = bearer_token(authorization)
        if token is None:
            return None
        presented = _digest(token)
        found: Caller | None = None
        for digest, caller in self._partners:
            if hmac.compare_digest(presented, digest):
                found = caller
        return found

    def callback_allowed(self, endpoint: str, authorization: str | None) -> bool:
        """Whether a notification to ``endpoint`` carries the endpoint's secret, if it has one."""
        expected = self._callback_digests.get(endpoint)
        if expected is None:
            return True
        token = bearer_token(authorization)
        return token is not None and hmac.compare_digest(_digest(token), expected)


def bearer_token(authorization: str | None) -> str | None:
    """The token of an ``Authorization: Bearer <token>`` header value, or None."""
    if not authorization:
        return None
    scheme, _, token = authorization.strip().partition(" ")
    token = token.strip()
    if scheme.lower() != "bearer" or not token:
        return None
    return token


def _digest(secret: str) -> bytes:
    return hashlib.sha256(secret.encode("utf-8")).digest()


def unauthorised(detail: str, *, invalid: bool) -> web.Response:
    """A 401 problem with the ``WWW-Authenticate: Bearer`` challenge (RFC 6750)."""
    response = problem_response(401, "unauthorized", "Not authorised", detail)
    challenge = f'Bearer realm="{REALM}"'
    if invalid:
        challenge += ', error="invalid_token"'
    response.headers["WWW-Authenticate"] = challenge
    return response


def auth_middleware(authenticator: Authenticator) -> Middleware:
    """The middleware that authenticates every request and records its ``Caller``."""

    @web.middleware
    async def authenticate(request: web.Request, handler: Handler) -> web.StreamResponse:
        route = (request.method, _route_pattern(request))
        if route in OPEN_ROUTES or (request.method == "HEAD" and ("GET", route[1]) in OPEN_ROUTES):
            return await handler(request)
        authorization = request.headers.get("Authorization")
        if route == CALLBACK_ROUTE:
            endpoint = request.match_info.get("endpoint", "")
            if not authenticator.callback_allowed(endpoint, authorization):
                return unauthorised(
                    f"The notification to /v1/responses/{endpoint} must carry the endpoint's "
                    "callback secret as 'Authorization: Bearer <secret>'.",
                    invalid=authorization is not None,
                )
            return await handler(request)
        if not authenticator.enabled:
            sender = request.headers.get(SENDER_HEADER, "")[:100] or ANONYMOUS
            request[CALLER] = Caller(sender, operator=True)
            return await handler(request)
        caller = authenticator.identify(authorization)
        if caller is None:
            if authorization is None:
                detail = (
                    f"The request to {request.path} needs the partner's token as "
                    "'Authorization: Bearer <token>'."
                )
            else:
                detail = (
                    f"The token sent to {request.path} is not the token of any partner; "
                    "send a partner's token as 'Authorization: Bearer <token>'."
                )
            return unauthorised(detail, invalid=authorization is not None)
        request[CALLER] = caller
        return await handler(request)

    return authenticate


def _route_pattern(request: web.Request) -> str:
    """The pattern of the matched route (``/v1/messages/{message_id}``), or the raw path."""
    resource = request.match_info.route.resource
    return resource.canonical if resource is not None else request.path


def caller_of(request: web.Request) -> Caller:
    """The caller the auth middleware recorded for this request."""
    return request[CALLER]


def log_auth_state(config: GatewayConfig) -> None:
    """One start-up line: a warning when the API is open, or which callbacks are unprotected."""
    authenticator = Authenticator.from_config(config)
    if not authenticator.enabled:
        log.warning(
            "api.open",
            detail="No partner has a token, so the API accepts every request unauthenticated; "
            "configure partners.<name>.token_sha256 before exposing the gateway.",
        )
        return
    open_callbacks = sorted(
        name
        for name, endpoint in config.endpoints.items()
        if endpoint.response_mode == "callback" and endpoint.callback_secret is None
    )
    if open_callbacks:
        log.warning(
            "api.callbacks_open",
            endpoints=open_callbacks,
            detail="These endpoints have no callback_secret, so anyone reaching the gateway "
            "can post customs notifications for them.",
        )
