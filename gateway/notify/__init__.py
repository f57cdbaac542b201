"""The sender learns each outcome: signed webhooks from a durable outbox, and the event they carry."""

from gateway.notify.events import EVENT_TYPE, OutcomeEvents, build_outcome_event, encode_event
from gateway.notify.signing import (
    DEFAULT_TOLERANCE_SECONDS,
    SIGNATURE_HEADER,
    SignatureError,
    sign_body,
    verify_signature,
)
from gateway.notify.webhook import (
    EVENT_ID_HEADER,
    WebhookOutbox,
    WebhookPartner,
    signed_request,
    webhook_partners,
    webhook_worker,
)

__all__ = [
    "DEFAULT_TOLERANCE_SECONDS",
    "EVENT_ID_HEADER",
    "EVENT_TYPE",
    "SIGNATURE_HEADER",
    "OutcomeEvents",
    "SignatureError",
    "WebhookOutbox",
    "WebhookPartner",
    "build_outcome_event",
    "encode_event",
    "sign_body",
    "signed_request",
    "verify_signature",
    "webhook_partners",
    "webhook_worker",
]
