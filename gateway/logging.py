"""Logs as JSON lines through structlog, with personal data kept out.

Every line carries the event name and the identifiers that matter (message, item, endpoint).
``redact_personal_data`` runs last before rendering: it drops every key that names personal
data (names, addresses, telephone numbers, e-mail addresses, ID numbers) and masks e-mail
addresses and telephone numbers found inside any other text, so a careless log call cannot
leak them either.
"""

from __future__ import annotations

import logging
import re
import sys
from collections.abc import Mapping, MutableMapping
from typing import Any, TextIO

import structlog

_PERSONAL_KEY = re.compile(
    r"(^|_)(name|names|first_?name|last_?name|surname|address|addresses|street|line|city|"
    r"post_?code|zip|phone|telephone|mobile|fax|e?_?mail|passport|national_id|id_number|"
    r"tax_?id|vat|eori|birth|identity|consignee|consignor|addressee|sender_name)($|_)",
    re.IGNORECASE,
)
_EMAIL = re.compile(r"[A-Za-z0-9._%+-]+@[A-Za-z0-9.-]+\.[A-Za-z]{2,}")
_PHONE = re.compile(r"(?<![\w.])\+?\(?\d[\d ()./-]{6,}\d(?![\w.])")
_ALLOWED_KEYS = frozenset({"event", "level", "timestamp", "logger", "endpoint", "feed"})
REDACTED = "[redacted]"


def _mask(text: str) -> str:
    text = _EMAIL.sub(REDACTED, text)
    return _PHONE.sub(_phone_or_not, text)


def _phone_or_not(match: re.Match[str]) -> str:
    digits = sum(char.isdigit() for char in match.group(0))
    has_separator = any(char in " ()-/+" for char in match.group(0))
    return REDACTED if digits >= 7 and has_separator else match.group(0)


def _clean(value: Any) -> Any:
    if isinstance(value, str):
        return _mask(value)
    if isinstance(value, Mapping):
        return {
            key: _clean(item)
            for key, item in value.items()
            if not (isinstance(key, str) and _is_personal_key(key))
        }
    if isinstance(value, list | tuple):
        return [_clean(item) for item in value]
    return value


def _is_personal_key(key: str) -> bool:
    return key not in _ALLOWED_KEYS and bool(_PERSONAL_KEY.search(key))


def redact_personal_data(
    _logger: Any, _method: str, event_dict: MutableMapping[str, Any]
) -> MutableMapping[str, Any]:
    """A structlog processor: drop personal-data keys, mask e-mails and phone numbers."""
    for key in list(event_dict):
        if _is_personal_key(key):
            del event_dict[key]
        else:
            event_dict[key] = _clean(event_dict[key])
    return event_dict


def configure_logging(level: str = "info", stream: TextIO | None = None) -> None:
    """Send structlog output to ``stream`` (standard error by default) as JSON lines."""
    structlog.configure(
        processors=[
            structlog.contextvars.merge_contextvars,
            structlog.processors.add_log_level,
            structlog.processors.TimeStamper(fmt="iso", utc=True),
            structlog.processors.format_exc_info,
            redact_personal_data,
            structlog.processors.JSONRenderer(),
        ],
        wrapper_class=structlog.make_filtering_bound_logger(
            logging.getLevelNamesMapping()[level.upper()]
        ),
        logger_factory=structlog.WriteLoggerFactory(file=stream or sys.stderr),
        cache_logger_on_first_use=False,
    )
