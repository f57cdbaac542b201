"""Default checks on codes: HS commodity codes, ISO 3166-1 countries, ISO 4217 currencies.

Two passes: the first pulls every value of the field in the batch as plain strings and
tests the distinct ones with Python sets (valid batches stop there); only when some value
fails does the second pass fetch the nodes to say where. Elements with no text at all are
left to the schema and to the ``required`` check.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator

from .registry import CheckInput, DeclarationXPath, Finding, node_text, register

__all__ = ["country_codes", "currency_codes", "hs_code"]

NON_HS_CLASSIFICATIONS = ("TRA", "TRN")
"""Classification type codes of additional codes (TARIC, national), which are not HS codes."""

_NOT_HS_TYPE = " and ".join(
    f"not(c:IdentificationTypeCode = '{code}')" for code in NON_HS_CLASSIFICATIONS
)
_HS_IDS = f".//c:Commodity/c:Classification[{_NOT_HS_TYPE}]/c:ID"
_HS_VALUES = DeclarationXPath(f"{_HS_IDS}/text()", strings=True)
_HS_NODES = DeclarationXPath(_HS_IDS)
_HS_CODE = re.compile(r"\s*\d{6,10}\s*")

_COUNTRY_FIELDS = ".//c:CountryCode | .//c:RoutingCountryCode | .//c:ExportCountry/c:ID"
_COUNTRY_VALUES = DeclarationXPath(
    ".//c:CountryCode/text() | .//c:RoutingCountryCode/text() | .//c:ExportCountry/c:ID/text()",
    strings=True,
)
_COUNTRY_NODES = DeclarationXPath(_COUNTRY_FIELDS)
_CURRENCY_VALUES = DeclarationXPath(".//@currencyID", strings=True)
_CURRENCY_NODES = DeclarationXPath(".//@currencyID")


def _outside(values: Iterable[str], codes: frozenset[str]) -> bool:
    """Whether any value, blanks stripped, is not in ``codes`` (the fast first pass)."""
    return any(value.strip() not in codes for value in set(values) - codes)


@register("hs-code", default=True)
def hs_code(check: CheckInput) -> Iterator[Finding]:
    """Commodity classification IDs must be 6 to 10 digits (HS 6, CN 8, TARIC 10)."""
    shape = _HS_CODE.fullmatch
    values = set(check.select(_HS_VALUES))
    if all(shape(value) for value in values):
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
    if not _outside(check.select(_COUNTRY_VALUES), countries):
        return
    for node in check.select(_COUNTRY_NODES):
        value = node_text(node)
        if value.strip() in countries:
            continue
        location = check.locate(node)
        if location is None:
            continue
        yield check.problem(
            location,
            "codelist.country",
            f"'{value}' is not an ISO 3166-1 alpha-2 country code; use two capital letters "
            "such as GB, DE or CN.",
            value,
        )


@register("currency-codes", default=True)
def currency_codes(check: CheckInput) -> Iterator[Finding]:
    """Every currencyID attribute must be an ISO 4217 currency code."""
    currencies = check.reference.currencies
    if not _outside(check.select(_CURRENCY_VALUES), currencies):
        return
    for node in check.select(_CURRENCY_NODES):
        value = node_text(node)
        if value.strip() in currencies:
            continue
        location = check.locate(node)
        if location is None:
            continue
        yield check.problem(
            location,
            "codelist.currency",
            f"'{value}' is not an ISO 4217 currency code; use three capital letters such "
            "as EUR, GBP or USD.",
            value,
        )
