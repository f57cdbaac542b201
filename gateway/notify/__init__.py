"""The sender learns each outcome: signed webhooks with retries, and the event they carry."""

from gateway.notify.events import EVENT_TYPE, build_outcome_event, encode_event
from gateway.notify.signing import (
    DEFAULT_TOLERANCE_SECONDS,
    SIGNATURE_HEADER,
    SignatureError,
    sign_body,
    verify_signature,
)
from gateway.notify.webhook import (
    EVENT_ID_HEADER,
    PartnerConfig,
    WebhookNotifier,
    WebhookPartner,
    backoff_delay,
)

__all__ = [
    "DEFAULT_TOLERANCE_SECONDS",
    "EVENT_ID_HEADER",
    "EVENT_TYPE",
    "SIGNATURE_HEADER",
    "PartnerConfig",
    "SignatureError",
    "WebhookNotifier",
    "WebhookPartner",
    "backoff_delay",
    "build_outcome_event",
    "encode_event",
    "sign_body",
    "verify_signature",
]
