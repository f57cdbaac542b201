"""Value kinds of canonical elements, and the field helper that records their WCO DM metadata.

Every canonical field is declared with :func:`element` (a leaf value) or :func:`group` (a
nested class), which store the field's value kind, WCO DM ID and WCO name in the field's
``json_schema_extra``. The structure view, the XSD and JSON Schema generators and the field
table all read those metadata, so the model classes are the single source of truth.

Value kinds: ``text``, ``code``, ``id``, ``uri`` (non-empty strings), ``integer``, ``decimal``,
``datetime`` (ISO 8601 with a UTC offset, held as a string), ``amount`` (decimal with an
optional ``currencyID``) and ``measure`` (decimal with an optional ``unitCode``).
"""

from __future__ import annotations

import re
from datetime import datetime
from decimal import Decimal
from typing import Annotated, Any, Final

from pydantic import (
    AfterValidator,
    BaseModel,
    ConfigDict,
    Field,
    PlainSerializer,
    StringConstraints,
)

STRING_KINDS: Final = frozenset({"text", "code", "id", "uri"})
"""Kinds held as non-empty strings."""

VALUE_KINDS: Final = (
    "text",
    "code",
    "id",
    "uri",
    "integer",
    "decimal",
    "datetime",
    "amount",
    "measure",
)
"""Every kind a leaf element can have; containers have kind ``group``."""

KIND_ATTRIBUTES: Final[dict[str, tuple[str, ...]]] = {
    "amount": ("currencyID",),
    "measure": ("unitCode",),
}
"""XML attributes (JSON sibling keys of ``value``) carried by each kind."""

DATETIME_PATTERN: Final = (
    r"[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}(:[0-9]{2}(\.[0-9]+)?)?"
    r"(Z|[+\-][0-9]{2}:[0-9]{2})"
)
"""ISO 8601 date and time with a UTC offset; written so it reads the same in XSD and Python."""

_XML_FORBIDDEN = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ud800-\udfff\ufffe\uffff]")


def _xml_safe(value: str) -> str:
    match = _XML_FORBIDDEN.search(value)
    if match:
        raise ValueError(
            f"the character U+{ord(match.group()):04X} at position {match.start() + 1} "
            "cannot be carried in XML"
        )
    return value


def _real_moment(value: str) -> str:
    try:
        datetime.fromisoformat(value)
    except ValueError as exc:
        raise ValueError(f"{value!r} is not a real date and time ({exc})") from exc
    return value


def _decimal_text(value: Decimal) -> str:
    """A decimal in plain notation with its digits as held (``12.50`` stays ``12.50``)."""
    return format(value, "f")


Text = Annotated[str, StringConstraints(min_length=1), AfterValidator(_xml_safe)]
"""A non-empty string of characters XML can carry."""

DecimalValue = Annotated[
    Decimal,
    Field(allow_inf_nan=False),
    PlainSerializer(_decimal_text, return_type=str, when_used="json"),
]
"""A finite decimal, written in JSON as a string so no digit is lost."""

DateTimeText = Annotated[
    str, StringConstraints(pattern=f"^{DATETIME_PATTERN}$"), AfterValidator(_real_moment)
]
"""An ISO 8601 date and time with a UTC offset, e.g. ``2026-11-23T21:17:35+00:00``."""

CANONICAL_CONFIG: Final = ConfigDict(extra="forbid", validate_assignment=True)
"""Model configuration shared by every canonical class: unknown names are refused."""


class Amount(BaseModel):
    """A monetary amount; XML ``<X currencyID="USD">12.50</X>``, JSON ``{"value": "12.50"}``."""

    model_config = CANONICAL_CONFIG

    value: DecimalValue = Field(description="The amount, as a decimal.")
    currencyID: Text | None = Field(
        default=None, description="ISO 4217 currency code of the amount."
    )


class Measure(BaseModel):
    """A measured quantity; XML ``<X unitCode="KGM">1.5</X>``, JSON ``{"value": "1.5"}``."""

    model_config = CANONICAL_CONFIG

    value: DecimalValue = Field(description="The quantity, as a decimal.")
    unitCode: Text | None = Field(
        default=None, description="UN/ECE Recommendation 20 code of the unit of measure."
    )


def _metadata(kind: str, wco_id: str | None, wco_name: str | None) -> dict[str, Any]:
    return {"wco_id": wco_id, "wco_name": wco_name, "kind": kind}


def _describe(wco_id: str | None, wco_name: str | None, description: str | None) -> str:
    if description:
        return description
    if wco_id is None or wco_name is None:
        raise ValueError("A canonical element without a WCO ID needs a description.")
    return f"WCO DM {wco_id}: {wco_name}."


def element(
    kind: str,
    wco_id: str | None,
    wco_name: str | None,
    description: str | None = None,
    *,
    repeating: bool = False,
) -> Any:
    """A leaf field of the given kind, optional (or an empty list when repeating)."""
    if kind not in VALUE_KINDS:
        raise ValueError(f"Unknown canonical value kind {kind!r}.")
    text = _describe(wco_id, wco_name, description)
    extra = _metadata(kind, wco_id, wco_name)
    if repeating:
        return Field(default_factory=list, description=text, json_schema_extra=extra)
    return Field(default=None, description=text, json_schema_extra=extra)


def group(
    wco_id: str | None,
    wco_name: str | None,
    description: str | None = None,
    *,
    repeating: bool = False,
) -> Any:
    """A field holding a nested canonical class, optional (or an empty list when repeating)."""
    text = _describe(wco_id, wco_name, description)
    extra = _metadata("group", wco_id, wco_name)
    if repeating:
        return Field(default_factory=list, description=text, json_schema_extra=extra)
    return Field(default=None, description=text, json_schema_extra=extra)
