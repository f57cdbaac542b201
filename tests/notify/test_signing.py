"""Webhook signatures: HMAC-SHA256 of ``<t>.<body>``, verified in a tolerance window."""

from __future__ import annotations

import hashlib
import hmac

import pytest

from gateway.notify import SignatureError, sign_body, verify_signature

SECRET = b"partner-secret"
BODY = b'{"id":"e1","type":"item.customs_outcome"}'


def test_signature_is_hmac_sha256_of_timestamp_dot_body() -> None:
    """Checked against hmac computed here, independently of the code under test."""
    expected = hmac.new(SECRET, b"1700000000." + BODY, hashlib.sha256).hexdigest()
    assert sign_body(SECRET, BODY, 1700000000) == f"t=1700000000,v1={expected}"


def test_round_trip_returns_the_timestamp() -> None:
    header = sign_body(SECRET, BODY, 1700000000)
    assert verify_signature(SECRET, BODY, header, now=1700000100) == 1700000000


@pytest.mark.parametrize(
    ("secret", "body", "now", "message"),
    [
        (SECRET, BODY + b" ", 1700000000, "does not match"),
        (b"other-secret", BODY, 1700000000, "does not match"),
        (SECRET, BODY, 1700000000 + 301, "outside the 300-second window"),
        (SECRET, BODY, 1700000000 - 301, "outside the 300-second window"),
    ],
)
def test_tampered_foreign_or_stale_signatures_are_refused(
    secret: bytes, body: bytes, now: int, message: str
) -> None:
    header = sign_body(SECRET, BODY, 1700000000)
    with pytest.raises(SignatureError, match=message):
        verify_signature(secret, body, header, now=now)


@pytest.mark.parametrize("header", [None, "", "v1=abc", "t=soon,v1=abc", "t=1700000000"])
def test_missing_or_malformed_headers_are_refused(header: str | None) -> None:
    with pytest.raises(SignatureError):
        verify_signature(SECRET, BODY, header, now=1700000000)


def test_any_matching_v1_entry_is_enough_during_secret_rotation() -> None:
    old = sign_body(b"old-secret", BODY, 1700000000).split(",")[1]
    new = sign_body(SECRET, BODY, 1700000000)
    assert verify_signature(SECRET, BODY, f"{new},{old}", now=1700000000) == 1700000000
    assert verify_signature(b"old-secret", BODY, f"{new},{old}", now=1700000000) == 1700000000


def test_empty_secret_is_refused() -> None:
    with pytest.raises(SignatureError, match="must not be empty"):
        sign_body(b"", BODY, 1)
