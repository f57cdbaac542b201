"""Default checks on numbers: no negative or non-numeric amounts, net mass within gross mass.

The XPaths pick candidates inside libxml2 (a superset of the failures); Python then decides
exactly, with :class:`~decimal.Decimal` arithmetic and unit conversion from ``units.csv``.
"""

from __future__ import annotations

import re
from collections.abc import Iterator, Mapping
from decimal import Decimal
from typing import Any, cast

from lxml import etree

from gateway.canonical import CANONICAL_NS

from .registry import NAMESPACES, CheckInput, DeclarationXPath, Finding, node_text, register

__all__ = ["net_not_above_gross", "not_negative"]

NUMERIC_ELEMENTS = (
    "InvoiceAmount",
    "TotalGrossMassMeasure",
    "FreightChargeAmount",
    "CustomsValueAmount",
    "StatisticalValueAmount",
    "GrossMassMeasure",
    "NetNetWeightMeasure",
    "TariffQuantity",
    "ItemChargeAmount",
    "Quantity",
    "PaidAmount",
)
"""Canonical amounts, measures and quantities: each must be a decimal number, zero or more."""

_DECIMAL = re.compile(r"\s*(-?)(\d+(?:\.\d*)?|\.\d+)\s*")
"""A decimal number as XPath reads one: optional minus, digits, optional fraction."""

_NUMERIC_TAGS = tuple(f"{{{CANONICAL_NS}}}{name}" for name in NUMERIC_ELEMENTS)
_PLAIN_NUMBER = re.compile(r"\s*(?:\d+(?:\.\d*)?|\.\d+)\s*")
"""A decimal number that is zero or more: what nearly every value is, so tested first."""

_ITEM_MEASURES = "c:GoodsShipment/c:GovernmentAgencyGoodsItem/c:Commodity/c:GoodsMeasure"
_NET = "c:NetNetWeightMeasure"
_GROSS = "c:GrossMassMeasure"
_NET_ABOVE_GROSS = DeclarationXPath(
    f".//c:GoodsMeasure[{_NET} and {_GROSS}]"
    f"[number({_NET}) > number({_GROSS})"
    f" or string({_NET}/@unitCode) != string({_GROSS}/@unitCode)]"
)
_ALL_NET = f"{_ITEM_MEASURES}/{_NET}"
_TOTAL = "c:TotalGrossMassMeasure"
_NET_ABOVE_TOTAL = DeclarationXPath(
    f"{{d}}[{_TOTAL}][sum({_ALL_NET}) > number({_TOTAL})]"
    f" | {{d}}[{_TOTAL}][{_TOTAL}[not(@unitCode = 'KGM')] or {_ALL_NET}[not(@unitCode = 'KGM')]]"
)
"""Declarations to check exactly in Python: raw sum above total, or any unit but KGM."""

_OTHER_UNITS = DeclarationXPath("boolean(.//@unitCode[. != 'KGM'])")
"""Whether any unit in the batch is not kilograms (then the exact, slower XPaths run).

Without it the KGM XPaths below are still a superset of the failures: a missing unitCode
only makes two masses comparable when both lack one, and then the raw numbers compare.
"""
_KGM_NET_ABOVE_GROSS = DeclarationXPath(f".//c:GoodsMeasure[{_NET} > {_GROSS}]")
_KGM_NET_ABOVE_TOTAL = DeclarationXPath(f"{{d}}[sum({_ALL_NET}) > {_TOTAL}]")
"""When every mass is in KGM, the numbers compare as they are (a superset: Python decides)."""
_NET_TAG = f"{{{CANONICAL_NS}}}NetNetWeightMeasure"
_GROSS_TAG = f"{{{CANONICAL_NS}}}GrossMassMeasure"
_TOTAL_TAG = f"{{{CANONICAL_NS}}}TotalGrossMassMeasure"
_ALL_NET_XPATH = etree.XPath(_ALL_NET, namespaces=NAMESPACES)


def parse_decimal(text: str) -> Decimal | None:
    """The number in ``text`` (surrounding blanks allowed), or None when it is no number."""
    if _DECIMAL.fullmatch(text) is None:
        return None
    return Decimal(text.strip())


@register("not-negative", default=True)
def not_negative(check: CheckInput) -> Iterator[Finding]:
    """Amounts, masses and quantities must be decimal numbers, zero or more."""
    plain = _PLAIN_NUMBER.fullmatch
    for node in check.batch.iter(*_NUMERIC_TAGS):
        text = node.text
        if text is not None and plain(text) is not None:
            continue
        if len(node):
            continue  # a group, not a number (no such canonical element today)
        location = check.locate(node)
        if location is None:
            continue
        value = node_text(node)
        number = parse_decimal(value)
        if number is not None and number >= 0:
            continue  # "-0"
        if number is None:
            yield check.problem(
                location,
                "value.not-a-number",
                f"'{value}' is not a number; amounts, masses and quantities must be decimal "
                "numbers such as 12.50, with a point for decimals and no unit or currency sign.",
                value,
            )
        else:
            yield check.problem(
                location,
                "value.negative",
                f"The value {value.strip()} is negative; amounts, masses and quantities must "
                "be zero or more.",
                value,
            )


def _mass(element: Any) -> tuple[Decimal, str] | None:
    """The number and unit code of a measure element, or None when it is no number."""
    if element is None:
        return None
    number = parse_decimal(node_text(element))
    if number is None:
        return None
    return number, str(element.get("unitCode") or "")


def _comparable(
    first: tuple[Decimal, str], second: tuple[Decimal, str], factors: Mapping[str, Decimal]
) -> tuple[Decimal, Decimal] | None:
    """Both masses in one unit: as they are when units agree, else converted to kilograms."""
    (a, unit_a), (b, unit_b) = first, second
    if unit_a == unit_b:
        return a, b
    if unit_a in factors and unit_b in factors:
        return a * factors[unit_a], b * factors[unit_b]
    return None


def _show(mass: tuple[Decimal, str]) -> str:
    return f"{mass[0]} {mass[1]}".strip()


@register("net-not-above-gross", default=True)
def net_not_above_gross(check: CheckInput) -> Iterator[Finding]:
    """Per goods item net mass <= gross mass; the items' net masses <= total gross mass."""
    factors = check.reference.mass_factors
    all_kilograms = not check.batch.any(_OTHER_UNITS)
    per_item = _KGM_NET_ABOVE_GROSS if all_kilograms else _NET_ABOVE_GROSS
    for measure in check.select(per_item):
        net_element = measure.find(_NET_TAG)
        net, gross = _mass(net_element), _mass(measure.find(_GROSS_TAG))
        if net is None or gross is None:
            continue
        pair = _comparable(net, gross, factors)
        if pair is None or pair[0] <= pair[1]:
            continue
        location = check.locate(net_element)
        if location is None:
            continue
        yield check.problem(
            location,
            "mass.net-above-gross",
            f"The net mass {_show(net)} of this goods item is above its gross mass "
            f"{_show(gross)}; the net mass cannot exceed the gross mass.",
            node_text(net_element),
        )
    for declaration in check.select(_KGM_NET_ABOVE_TOTAL if all_kilograms else _NET_ABOVE_TOTAL):
        finding = _net_above_total(check, declaration, factors)
        if finding is not None:
            yield finding


def _net_above_total(
    check: CheckInput, declaration: Any, factors: Mapping[str, Decimal]
) -> Finding | None:
    total_element = declaration.find(_TOTAL_TAG)
    total = _mass(total_element)
    if total is None:
        return None
    net_sum = Decimal(0)
    for net_element in cast("list[Any]", _ALL_NET_XPATH(declaration)):
        net = _mass(net_element)
        if net is None:
            return None  # reported by not-negative; no meaningful sum
        pair = _comparable(net, total, factors)
        if pair is None:
            return None  # a unit that cannot be compared: say nothing rather than guess
        net_sum += pair[0] if net[1] == total[1] else pair[0] / factors[total[1]]
    if net_sum <= total[0]:
        return None
    location = check.locate(total_element)
    if location is None:
        return None
    shown_sum = _show((net_sum.normalize(), total[1]))
    return check.problem(
        location,
        "mass.net-above-gross",
        f"The net masses of the goods items add up to {shown_sum}, above the total gross "
        f"mass {_show(total)} of the declaration; the net mass cannot exceed the gross mass.",
        node_text(total_element),
    )
