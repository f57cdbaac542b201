"""Default checks on codes: HS commodity codes, ISO 3166-1 countries, ISO 4217 currencies.

Two passes: the first (the screen) pulls every value of the field in the batch as plain
strings, a superset of what the check covers, and tests the distinct ones with Python sets
(valid batches stop there); only when some value fails does the second pass select exactly
the fields checked and fetch their nodes to say where. Elements with no text at all are left
to the schema and to the ``required`` check.
"""

from __future__ import annotations

import re
from collections.abc import Collection, Iterable, Iterator

from gateway.canonical import CANONICAL_NS

from .registry import CheckInput, DeclarationXPath, Finding, node_text, register

__all__ = ["country_codes", "currency_codes", "hs_code"]

NON_HS_CLASSIFICATIONS = ("TRA", "TRN")
"""Classification type codes of additional codes (TARIC, national), which are not HS codes."""

_NOT_HS_TYPE = " and ".join(
    f"not(c:IdentificationTypeCode = '{code}')" for code in NON_HS_CLASSIFICATIONS
)
_HS_IDS = f".//c:Commodity/c:Classification[{_NOT_HS_TYPE}]/c:ID"
_ALL_CLASSIFICATION_IDS = DeclarationXPath(".//c:Classification/c:ID/text()", strings=True)
"""The screen: every classification ID, additional codes too (a superset of the HS codes)."""
_HS_VALUES = DeclarationXPath(f"{_HS_IDS}/text()", strings=True)
_HS_NODES = DeclarationXPath(_HS_IDS)
_HS_CODE = re.compile(r"\s*\d{6,10}\s*")

_COUNTRY_FIELDS = ".//c:CountryCode | .//c:RoutingCountryCode | .//c:ExportCountry/c:ID"
_EXPORT_COUNTRY_TAG = f"{{{CANONICAL_NS}}}ExportCountry"
_COUNTRY_TAGS = (
    f"{{{CANONICAL_NS}}}CountryCode",
    f"{{{CANONICAL_NS}}}RoutingCountryCode",
    _EXPORT_COUNTRY_TAG,
)
_EXPORT_COUNTRY_IDS = DeclarationXPath(".//c:ExportCountry/c:ID/text()", strings=True)
_COUNTRY_NODES = DeclarationXPath(_COUNTRY_FIELDS)
_CURRENCY_VALUES = DeclarationXPath("descendant-or-self::*/@currencyID", strings=True)
_CURRENCY_NODES = DeclarationXPath("descendant-or-self::*/@currencyID")
"""Every currencyID (as ``.//@currencyID``, but libxml2 skips the text nodes: 15% faster)."""


def _outside(values: Iterable[str], codes: frozenset[str]) -> bool:
    """Whether any value, blanks stripped, is not in ``codes`` (the fast first pass)."""
    return any(value.strip() not in codes for value in set(values) - codes)


@register("hs-code", default=True)
def hs_code(check: CheckInput) -> Iterator[Finding]:
    """Commodity classification IDs must be 6 to 10 digits (HS 6, CN 8, TARIC 10)."""
    shape = _HS_CODE.fullmatch
    if all(shape(value) for value in set(check.select(_ALL_CLASSIFICATION_IDS))):
        return
    if all(shape(value) for value in set(check.select(_HS_VALUES))):
        return
    for node in check.select(_HS_NODES):
        value = node_text(node)
        if shape(value):
            continue
        location = check.locate(node)
        if location is None:
            continue
        yield check.problem(
            location,
            "hs.shape",
            f"The commodity code '{value}' is not a valid HS code: it must be 6 to 10 "
            "digits with nothing else (HS 6, CN 8 or TARIC 10 digits).",
            value,
        )


@register("country-codes", default=True)
def country_codes(check: CheckInput) -> Iterator[Finding]:
    """Every country code must be an ISO 3166-1 alpha-2 code of the countries list."""
    countries = check.reference.countries
    if not _outside(_country_texts(check), countries):
        return
    yield from _unknown_codes(
        check,
        _COUNTRY_NODES,
        countries,
        "codelist.country",
        "'{value}' is not an ISO 3166-1 alpha-2 country code; use two capital letters "
        "such as GB, DE or CN.",
    )


def _country_texts(check: CheckInput) -> list[str]:
    """The screen: the text of every country code element (the same ones the check covers).

    One scan finds the code elements and the ExportCountry groups (which have no text of
    their own); only when there are groups does an XPath pull their IDs.
    """
    batch = check.batch
    texts = batch.texts(*_COUNTRY_TAGS)
    values = [text for text in texts if text is not None]
    if len(values) < len(texts) and any(
        element.tag == _EXPORT_COUNTRY_TAG
        for element, text in zip(batch.elements(*_COUNTRY_TAGS), texts, strict=True)
        if text is None
    ):
        values.extend(check.select(_EXPORT_COUNTRY_IDS))
    return values


@register("currency-codes", default=True)
def currency_codes(check: CheckInput) -> Iterator[Finding]:
    """Every currencyID attribute must be an ISO 4217 currency code."""
    currencies = check.reference.currencies
    if not _outside(check.select(_CURRENCY_VALUES), currencies):
        return
    yield from _unknown_codes(
        check,
        _CURRENCY_NODES,
        currencies,
        "codelist.currency",
        "'{value}' is not an ISO 4217 currency code; use three capital letters such "
        "as EUR, GBP or USD.",
    )


def _unknown_codes(
    check: CheckInput,
    nodes: DeclarationXPath,
    codes: Collection[str],
    code: str,
    message: str,
) -> Iterator[Finding]:
    """A finding for each node whose value is not among ``codes`` (``{value}`` in the message)."""
    for node in check.select(nodes):
        value = node_text(node)
        if value.strip() in codes:
            continue
        location = check.locate(node)
        if location is None:
            continue
        yield check.problem(location, code, message.format(value=value), value)
