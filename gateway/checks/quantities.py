"""Default checks on numbers: no negative or non-numeric amounts, net mass within gross mass.

Screens and XPaths pick candidates (a superset of the failures): ``not-negative`` tests the
distinct texts of the batch with one regular expression; ``net-not-above-gross`` compares
item masses as floats when every mass is in kilograms, else with XPaths inside libxml2.
Python then decides exactly, with :class:`~decimal.Decimal` arithmetic and unit conversion
from ``units.csv``.
"""

from __future__ import annotations

import math
import re
from collections.abc import Iterable, Iterator, Mapping
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
_SCREEN_NUMBER = r"(?:[0-9]++(?:\.[0-9]*+)?+|\.[0-9]++)"
_ALL_PLAIN_NUMBERS = re.compile(rf"{_SCREEN_NUMBER}(?:\x00{_SCREEN_NUMBER})*+")
"""The screen of ``not-negative``: plain ASCII numbers joined by NUL (which XML text cannot
hold). Stricter than :data:`_PLAIN_NUMBER` (no blanks, no other digits), so anything it
refuses goes to the exact test; possessive, so ``re`` never backtracks (twice as fast)."""

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

_MEASURE_TAG = f"{{{CANONICAL_NS}}}GoodsMeasure"
_NET_TAG = f"{{{CANONICAL_NS}}}NetNetWeightMeasure"
_GROSS_TAG = f"{{{CANONICAL_NS}}}GrossMassMeasure"
_TOTAL_TAG = f"{{{CANONICAL_NS}}}TotalGrossMassMeasure"
_MASS_TAGS = (_NET_TAG, _GROSS_TAG, _TOTAL_TAG)
_OTHER_NUMERIC_TAGS = tuple(tag for tag in _NUMERIC_TAGS if tag not in _MASS_TAGS)
_SUM_SLACK = 1e-9
"""Relative slack for float sums of net masses: far above their rounding error."""
_SMALLEST_TOTAL = 1e-200
"""Below this, floats lose relative precision (subnormals): such totals are always checked."""
_KILOGRAM_UNITS = frozenset({None, "KGM"})
"""Unit codes under which masses compare as they are: kilograms, or none at all.

When no net, gross or total mass has another unit, comparing the raw numbers finds every
failure: a missing unitCode only makes two masses comparable when both lack one.
"""
_ALL_NET_XPATH = etree.XPath(_ALL_NET, namespaces=NAMESPACES)


def parse_decimal(text: str) -> Decimal | None:
    """The number in ``text`` (surrounding blanks allowed), or None when it is no number."""
    if _DECIMAL.fullmatch(text) is None:
        return None
    return Decimal(text.strip())


@register("not-negative", default=True)
def not_negative(check: CheckInput) -> Iterator[Finding]:
    """Amounts, masses and quantities must be decimal numbers, zero or more."""
    batch = check.batch
    # The masses are read on their own, shared with net-not-above-gross.
    texts = [
        *batch.texts(*_OTHER_NUMERIC_TAGS),
        *(t for tag in _MASS_TAGS for t in batch.texts(tag)),
    ]
    if _all_plain_numbers(texts):
        return
    plain = _PLAIN_NUMBER.fullmatch
    for node in check.batch.elements(*_NUMERIC_TAGS):
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


def _all_plain_numbers(texts: list[str | None]) -> bool:
    """The screen: whether every text is a plain number, zero or more (none is missing)."""
    if not texts:
        return True
    try:
        joined = "\x00".join(set(texts))  # type: ignore[arg-type]  # None: TypeError
    except TypeError:
        return False
    return _ALL_PLAIN_NUMBERS.fullmatch(joined) is not None


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
    screened = _kilogram_screen(check)
    if screened is None:
        measures: Iterable[Any] = check.select(_NET_ABOVE_GROSS)
    else:
        measures = screened[0]
    for measure in measures:
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
    declarations = check.select(_NET_ABOVE_TOTAL) if screened is None else screened[1]
    for declaration in declarations:
        finding = _net_above_total(check, declaration, factors)
        if finding is not None:
            yield finding


def _kilogram_screen(check: CheckInput) -> tuple[list[Any], list[Any]] | None:
    """The goods measures and declarations whose net mass may be too high, if all are in KGM.

    None when some net, gross or total mass has a unit other than KGM (then the exact
    XPaths run). Otherwise supersets of the failing GoodsMeasure elements and declarations,
    found with floats: correctly rounded conversion keeps the order of the exact numbers, so
    ``>=`` (and a sum with some slack for rounding) misses none; Decimals then decide.
    """
    batch = check.batch
    gross_by_measure: dict[Any, str | None] = {}
    for gross, text in zip(batch.elements(_GROSS_TAG), batch.texts(_GROSS_TAG), strict=True):
        if gross.get("unitCode") not in _KILOGRAM_UNITS:
            return None
        gross_by_measure.setdefault(gross.getparent(), text)
    measures: dict[Any, None] = {}
    net_sums: dict[Any, float] = {}
    for net, text in zip(batch.elements(_NET_TAG), batch.texts(_NET_TAG), strict=True):
        if net.get("unitCode") not in _KILOGRAM_UNITS:
            return None
        measure = net.getparent()
        if measure in gross_by_measure and _may_be_above(text, gross_by_measure[measure]):
            measures[measure] = None
        declaration = _ancestor(measure, 4)  # GoodsMeasure/Commodity/Item/GoodsShipment/...
        if batch.is_declaration(declaration):
            net_sums[declaration] = net_sums.get(declaration, 0.0) + _number(text)
    declarations: dict[Any, None] = {}
    for total, text in zip(batch.elements(_TOTAL_TAG), batch.texts(_TOTAL_TAG), strict=True):
        if total.get("unitCode") not in _KILOGRAM_UNITS:
            return None
        declaration = total.getparent()
        if batch.is_declaration(declaration) and _may_be_above_sum(
            net_sums.get(declaration, 0.0), text
        ):
            declarations[declaration] = None
    return [m for m in measures if m.tag == _MEASURE_TAG], list(declarations)


def _ancestor(element: Any, levels: int) -> Any:
    for _ in range(levels):
        if element is None:
            return None
        element = element.getparent()
    return element


def _number(text: str | None) -> float:
    """A net mass as a float: NaN when unsure (not a plain number zero or more)."""
    try:
        value = float(text)  # type: ignore[arg-type]  # None: TypeError
    except (TypeError, ValueError):
        return math.nan
    return value if value >= 0 else math.nan


def _may_be_above(net: str | None, gross: str | None) -> bool:
    """Whether the net mass text may be above the gross one (True when unsure)."""
    try:
        return float(net) >= float(gross)  # type: ignore[arg-type]  # None: TypeError
    except (TypeError, ValueError):
        return True


def _may_be_above_sum(net_sum: float, total: str | None) -> bool:
    """Whether a float sum of net masses may be above the total (True when unsure)."""
    try:
        limit = float(total)  # type: ignore[arg-type]  # None: TypeError
    except (TypeError, ValueError):
        return True
    if not limit > _SMALLEST_TOTAL:
        return True  # zero, negative, NaN, or too near zero for relative slack: unsure
    return net_sum >= limit * (1 - _SUM_SLACK) or math.isnan(net_sum)


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
