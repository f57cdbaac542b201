"""What several test modules read their expectations with, kept in one place.

The unit factors are facts (UN/ECE Recommendation 20 and the definitions of the pound and the
ounce), written here independently of the gateway's code lists so that a test can catch a
wrong conversion rather than repeat it.
"""

from __future__ import annotations

from decimal import Decimal

from lxml import etree

KILOGRAMS_PER_UNIT = {
    "kg": Decimal(1),
    "g": Decimal("0.001"),
    "lb": Decimal("0.45359237"),
    "oz": Decimal("0.028349523125"),
}
"""Kilograms in one of each mass unit the JSON feeds use."""


def elements(
    element: etree._Element, path: str, namespaces: dict[str, str]
) -> list[etree._Element]:
    """The elements ``path`` selects below ``element``."""
    found = element.xpath(path, namespaces=namespaces)
    assert isinstance(found, list)
    return [node for node in found if isinstance(node, etree._Element)]


def text(element: etree._Element, path: str, namespaces: dict[str, str]) -> str:
    """The whitespace-normalised string value of ``path`` below ``element``."""
    found = element.xpath(f"normalize-space({path})", namespaces=namespaces)
    assert isinstance(found, str)
    return found
