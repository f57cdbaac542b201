"""Default checks on codes: HS commodity codes, ISO 3166-1 countries, ISO 4217 currencies.

Each XPath keeps only the failing values (membership in a code list is a substring test
against ``|AD|AE|...|``), so valid data never reaches Python.
"""

from __future__ import annotations

from collections.abc import Iterator

from .registry import CheckInput, DeclarationXPath, Finding, node_text, register

__all__ = ["country_codes", "currency_codes", "hs_code"]

NON_HS_CLASSIFICATIONS = ("TRA", "TRN")
"""Classification type codes of additional codes (TARIC, national), which are not HS codes."""

_NOT_HS_TYPE = " and ".join(
    f"not(c:IdentificationTypeCode = '{code}')" for code in NON_HS_CLASSIFICATIONS
)
_BAD_HS_CODES = DeclarationXPath(
    "{d}/c:GoodsShipment/c:GovernmentAgencyGoodsItem/c:Commodity"
    f"/c:Classification[{_NOT_HS_TYPE}]/c:ID"
    "[string-length(normalize-space()) < 6 or string-length(normalize-space()) > 10"
    " or translate(normalize-space(), '0123456789', '') != '']"
)

_NOT_IN_BAG = (
    "[string-length(normalize-space()) != {length}"
    " or not(contains($codes, concat('|', normalize-space(), '|')))]"
)
_BAD_COUNTRIES = DeclarationXPath(
    "{d}/descendant::c:*[self::c:CountryCode or self::c:RoutingCountryCode"
    " or (self::c:ID and parent::c:ExportCountry)]" + _NOT_IN_BAG.format(length=2)
)
_BAD_CURRENCIES = DeclarationXPath("{d}/descendant::*/@currencyID" + _NOT_IN_BAG.format(length=3))


@register("hs-code", default=True)
def hs_code(check: CheckInput) -> Iterator[Finding]:
    """Commodity classification IDs must be 6 to 10 digits (HS 6, CN 8, TARIC 10)."""
    for node in check.select(_BAD_HS_CODES):
        location = check.locate(node)
        if location is None:
            continue
        value = node_text(node)
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
    for node in check.select(_BAD_COUNTRIES, codes=check.reference.country_bag):
        location = check.locate(node)
        if location is None:
            continue
        value = node_text(node)
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
    for node in check.select(_BAD_CURRENCIES, codes=check.reference.currency_bag):
        location = check.locate(node)
        if location is None:
            continue
        value = node_text(node)
        yield check.problem(
            location,
            "codelist.currency",
            f"'{value}' is not an ISO 4217 currency code; use three capital letters such "
            "as EUR, GBP or USD.",
            value,
        )
