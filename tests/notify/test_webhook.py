"""Outcome webhooks, the pure parts: event content, the events the store writes, signed requests,
and the partners' webhook configuration."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from typing import Any

import pytest

from gateway.config import config_from_dict
from gateway.delivery.retry import RetryPolicy
from gateway.errors import ConfigurationError
from gateway.notify import (
    EVENT_ID_HEADER,
    SIGNATURE_HEADER,
    OutcomeEvents,
    SignatureError,
    WebhookPartner,
    build_outcome_event,
    encode_event,
    signed_request,
    verify_signature,
    webhook_partners,
)
from gateway.store.base import ClaimedDelivery, OutcomeSubject
from tests.notify.conftest import SECRET, outcome

OUTCOME = outcome("LRN-42", "released")


def test_event_carries_ids_and_outcome_only() -> None:
    moment = datetime(2025, 2, 1, 8, 0, tzinfo=UTC)
    event = build_outcome_event(
        OUTCOME,
        item_id="RR123456785GB",
        message_id="m-1",
        feed="upu-itmatt",
        destination="uk-cds",
        event_id="e-1",
        occurred_at=moment,
    )
    assert event == {
        "id": "e-1",
        "type": "item.customs_outcome",
        "created_at": "2025-02-01T08:00:00Z",
        "data": {
            "item_id": "RR123456785GB",
            "message_id": "m-1",
            "feed": "upu-itmatt",
            "destination": "uk-cds",
            "declaration_ref": "LRN-42",
            "customs_reference": "25GB0123456789ABCD",
            "outcome": "released",
            "customs_issued_at": "2025-01-31T11:36:14Z",
            "customs_function_code": "09",
        },
    }
    assert json.loads(encode_event(event)) == event


def test_outcome_events_make_an_event_only_for_partners_with_a_webhook() -> None:
    """The factory the store calls: the body is the encoded event, the outcome is by index."""
    outcomes = [outcome("LRN-1", "accepted"), outcome("LRN-1", "released")]
    events = OutcomeEvents(outcomes, destination="uk-cds", partners={"post-a"}, at=1_738_396_800)
    made = events(OutcomeSubject(1, "i1", "m1", "upu-itmatt", "post-a"))
    assert events(OutcomeSubject(0, "i2", "m2", "upu-itmatt", "pull-only")) is None
    assert made is not None
    assert (made.partner, made.item_id, made.outcome) == ("post-a", "i1", "released")
    assert made.created_at == 1_738_396_800
    body = json.loads(made.body)
    assert body["id"] == made.event_id
    assert body["created_at"] == "2025-02-01T08:00:00Z"
    assert body["data"]["outcome"] == "released"
    assert body["data"]["message_id"] == "m1"
    assert made.body == encode_event(body), "the stored bytes are exactly the encoded event"
    assert events.partners_told == {"post-a"}


def _claimed(body: bytes, attempt: int = 1) -> ClaimedDelivery:
    return ClaimedDelivery(7, "i1", "post-a", "event-7", body, "application/json", attempt, 0, 30)


def test_signed_request_signs_the_stored_body_at_each_attempt() -> None:
    """The signature is made when the attempt is sent, so a retry carries a fresh timestamp."""
    now = [1_700_000_000.0]
    partner = WebhookPartner("post-a", "http://127.0.0.1:9/hook", SECRET.encode(), timeout=3)
    build = signed_request(partner, clock=lambda: now[0])
    body = b'{"id":"event-7"}'
    first = build(_claimed(body))
    now[0] += 600
    second = build(_claimed(body, attempt=2))
    assert first.url == "http://127.0.0.1:9/hook" and first.body == body
    assert first.timeout == 3
    assert first.headers[EVENT_ID_HEADER] == second.headers[EVENT_ID_HEADER] == "event-7"
    assert first.headers["Content-Type"] == "application/json"
    assert verify_signature(
        SECRET.encode(), body, second.headers[SIGNATURE_HEADER], now=int(now[0])
    ) == int(now[0])
    with pytest.raises(SignatureError, match="replay"):
        verify_signature(SECRET.encode(), body, first.headers[SIGNATURE_HEADER], now=int(now[0]))


def test_partner_without_secret_cannot_be_built() -> None:
    with pytest.raises(ConfigurationError, match="no webhook secret"):
        WebhookPartner("post-a", "http://127.0.0.1:9/hook", b"")


def _config(partner: dict[str, Any]) -> dict[str, Any]:
    return {"partners": {"post-a": partner}}


def test_webhook_settings_per_partner_with_defaults() -> None:
    config = config_from_dict(
        _config(
            {
                "webhook_url": "https://post-a.example/hook",
                "webhook_secret": "s3cret",
                "webhook_retry": {"base_delay_seconds": 0.1, "max_attempts": 3},
                "webhook_concurrency": 2,
                "webhook_breaker": {"failure_threshold": 3},
            }
        )
    )
    pull_only = config_from_dict({"partners": {"post-b": {"token": "t"}}})
    partners = webhook_partners({**config.partners, **pull_only.partners})
    assert list(partners) == ["post-a"]
    partner = partners["post-a"]
    assert partner.secret == b"s3cret" and partner.concurrency == 2
    assert partner.retry == RetryPolicy(0.1, 300.0, 3, 24 * 3600.0), "unset keys keep defaults"
    assert (partner.breaker_threshold, partner.breaker_reset_seconds) == (3, 10.0)
    default = config_from_dict(_config({"webhook_url": "http://h/x", "webhook_secret": "k"}))
    assert webhook_partners(default.partners)["post-a"].retry == RetryPolicy(1.0, 300.0, 20)
    assert webhook_partners(default.partners)["post-a"].breaker_threshold == 5


@pytest.mark.parametrize(
    ("partner", "message"),
    [
        ({"webhook_url": "https://post-a.example/hook"}, "needs a webhook_secret"),
        (
            {"webhook_url": "ftp://post-a.example/hook", "webhook_secret": "k"},
            "must start with http:// or https://",
        ),
        (
            {
                "webhook_url": "http://h/x",
                "webhook_secret": "k",
                "webhook_retry": {"max_attempts": 0},
            },
            "partners.post-a.webhook_retry.max_attempts",
        ),
        (
            {"webhook_url": "http://h/x", "webhook_secret": "k", "webhook_timeout_seconds": 0},
            "partners.post-a.webhook_timeout_seconds",
        ),
        (
            {
                "webhook_url": "http://h/x",
                "webhook_secret": "k",
                "webhook_breaker": {"reset_seconds": 0},
            },
            "partners.post-a.webhook_breaker.reset_seconds",
        ),
    ],
)
def test_webhook_configuration_is_checked_at_start(partner: dict[str, Any], message: str) -> None:
    with pytest.raises(ConfigurationError, match=message):
        config_from_dict(_config(partner))
