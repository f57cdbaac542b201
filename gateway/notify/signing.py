"""Webhook signatures: HMAC-SHA256 over the timestamp and the body, checked in constant time.

The header value is ``t=<unix seconds>,v1=<hex digest>`` where the digest is
``HMAC-SHA256(secret, b"<t>." + body)``. Signing the timestamp with the body lets a receiver
refuse replays older than its tolerance window; several ``v1=`` entries may appear (one
per secret while a secret is being rotated), and any one matching is enough.
"""

from __future__ import annotations

import hashlib
import hmac
import time

from gateway.errors import GatewayError

__all__ = [
    "DEFAULT_TOLERANCE_SECONDS",
    "SIGNATURE_HEADER",
    "SignatureError",
    "sign_body",
    "verify_signature",
]

SIGNATURE_HEADER = "Gateway-Signature"
"""The HTTP header carrying the signature of a webhook body."""

DEFAULT_TOLERANCE_SECONDS = 300
"""How far a signature's timestamp may be from the receiver's clock (five minutes)."""


class SignatureError(GatewayError):
    """A webhook signature is missing, malformed, stale or does not match the body."""


def _digest(secret: bytes, body: bytes, timestamp: int) -> str:
    return hmac.new(secret, f"{timestamp}.".encode("ascii") + body, hashlib.sha256).hexdigest()


def sign_body(secret: bytes, body: bytes, timestamp: int) -> str:
    """The signature header value for ``body`` sent at ``timestamp`` (unix seconds)."""
    if not secret:
        raise SignatureError("A webhook secret must not be empty; configure one per partner.")
    return f"t={timestamp},v1={_digest(secret, body, timestamp)}"


def verify_signature(
    secret: bytes,
    body: bytes,
    header: str | None,
    *,
    now: int | None = None,
    tolerance_seconds: int = DEFAULT_TOLERANCE_SECONDS,
) -> int:
    """Check a signature header against ``body``; return its timestamp, or raise SignatureError.

    The comparison is constant-time; a timestamp more than ``tolerance_seconds`` away from
    ``now`` (default: the current time) is refused even when the digest matches.
    """
    if not secret:
        raise SignatureError("A webhook secret must not be empty; configure one per partner.")
    if not header:
        raise SignatureError(f"The request has no {SIGNATURE_HEADER} header, so it is refused.")
    timestamp: int | None = None
    candidates: list[str] = []
    for part in header.split(","):
        name, _, value = part.strip().partition("=")
        if name == "t":
            try:
                timestamp = int(value)
            except ValueError:
                timestamp = None
        elif name == "v1" and value:
            candidates.append(value)
    if timestamp is None or not candidates:
        raise SignatureError(
            f"The {SIGNATURE_HEADER} header {header[:120]!r} is not of the form "
            "t=<unix seconds>,v1=<hex digest>."
        )
    current = int(time.time()) if now is None else now
    if abs(current - timestamp) > tolerance_seconds:
        raise SignatureError(
            f"The signature was made at {timestamp}, {abs(current - timestamp)} seconds from "
            f"now, outside the {tolerance_seconds}-second window; it may be a replay."
        )
    expected = _digest(secret, body, timestamp)
    matched = False
    for candidate in candidates:
        # Compare every candidate so the time taken does not depend on which one matched.
        matched |= hmac.compare_digest(expected, candidate)
    if not matched:
        raise SignatureError(
            "The signature does not match the body: the body was changed or signed with "
            "another secret."
        )
    return timestamp
