"""Default checks on goods descriptions: present, and precise enough for customs.

EU ICS2 and most customs administrations refuse descriptions such as "gift", "parts" or
"said to contain". The vague terms are data: ``mappings/codelists/vague-descriptions.csv``
(``term,reason``), so an operator can extend them without code.
"""

from __future__ import annotations

import functools
from collections.abc import Iterator, Mapping

from lxml import etree

from gateway.canonical import CANONICAL_NS

from .reference import normalise_description
from .registry import CheckInput, DeclarationXPath, Finding, node_text, register

__all__ = ["FILLER_WORDS", "description_missing", "vague_description", "vagueness"]

FILLER_WORDS = frozenset(
    {
        *("a", "an", "the", "some", "misc", "miscellaneous", "assorted", "various", "mixed"),
        *("other", "others", "and", "of", "for", "with", "set", "sets", "lot", "lots"),
        *("box", "boxes", "bag", "bags", "pack", "packs", "pc", "pcs", "piece", "pieces"),
        *("new", "used", "x"),
    }
)
"""Words that add nothing to a description: "some assorted gifts" is as vague as "gifts"."""

MINIMUM_LENGTH = 3
"""A description shorter than this (blanks stripped) says nothing about the goods."""

_DESCRIPTION_TAG = f"{{{CANONICAL_NS}}}Description"
_COMMODITY_TAG = f"{{{CANONICAL_NS}}}Commodity"
_ITEM_TAG = f"{{{CANONICAL_NS}}}GovernmentAgencyGoodsItem"
_XML_BLANKS = " \t\r\n"
"""The characters XPath's normalize-space() strips."""
_DESCRIPTION_VALUES = DeclarationXPath(
    ".//c:GovernmentAgencyGoodsItem/c:Commodity/c:Description/text()", strings=True
)
_DESCRIPTIONS = DeclarationXPath(
    ".//c:GovernmentAgencyGoodsItem/c:Commodity/c:Description[normalize-space()]"
)
_ITEMS_WITHOUT_DESCRIPTION = DeclarationXPath(
    ".//c:GovernmentAgencyGoodsItem[not(c:Commodity/c:Description[normalize-space()])]"
)


def _is_filler(word: str) -> bool:
    return (
        word in FILLER_WORDS
        or word.isdigit()
        or (word[:1] == "x" and word[1:].isdigit())
        or (word[-1:] == "x" and word[:-1].isdigit())
    )


def vagueness(description: str, terms: Mapping[str, str]) -> str | None:
    """Why ``description`` is too vague for customs, or None when it is precise enough.

    Vague means: shorter than 3 characters; or, lowercased and without punctuation, equal
    to a listed term (or its singular or plural), possibly surrounded by filler words and
    counts ("2 x assorted gifts"); or nothing but filler words.
    """
    return _vagueness(description, _TermsKey(terms))


class _TermsKey:
    """Wraps the terms mapping so that the cached classifier can key on it by identity."""

    __slots__ = ("terms",)

    def __init__(self, terms: Mapping[str, str]) -> None:
        self.terms = terms

    def __hash__(self) -> int:
        return id(self.terms)

    def __eq__(self, other: object) -> bool:
        return isinstance(other, _TermsKey) and other.terms is self.terms


@functools.lru_cache(maxsize=8192)
def _vagueness(description: str, key: _TermsKey) -> str | None:
    terms = key.terms
    spaced, glued = normalise_description(description)
    for phrase in (spaced, glued):
        reason = _term_reason(phrase, terms)
        if reason is not None:
            return reason
    if len(description.strip()) < MINIMUM_LENGTH:
        return "it is shorter than 3 characters"
    words = [word for word in spaced.split() if not _is_filler(word)]
    if not words:
        return "it has nothing but filler words and numbers"
    return _term_reason(" ".join(words), terms)


def _term_reason(phrase: str, terms: Mapping[str, str]) -> str | None:
    for candidate in (phrase, phrase.removesuffix("s"), phrase + "s"):
        reason = terms.get(candidate)
        if reason is not None:
            return reason
    return None


@register("vague-description", default=True)
def vague_description(check: CheckInput) -> Iterator[Finding]:
    """Goods descriptions must say what the goods are, not "gift", "parts" or "various"."""
    terms = check.reference.vague_terms
    key = _TermsKey(terms)
    # The screen: every Description element, of goods items or not (a superset).
    screened = {text for text in check.batch.texts(_DESCRIPTION_TAG) if text is not None}
    if not any(_vagueness(value, key) for value in screened):
        return
    distinct = set(check.select(_DESCRIPTION_VALUES))
    if not any(_vagueness(value, key) for value in distinct):
        return  # the fast pass: every distinct text is precise enough
    for node in check.select(_DESCRIPTIONS):
        value = node_text(node)
        reason = _vagueness(value, key)
        if reason is None:
            continue
        location = check.locate(node)
        if location is None:
            continue
        yield check.problem(
            location,
            "description.vague",
            f"The goods description '{value}' is too vague for customs: {reason}. Say what "
            "the goods are and what they are made of, for example 'cotton T-shirts'.",
            value,
        )


@register("description-missing", default=True)
def description_missing(check: CheckInput) -> Iterator[Finding]:
    """Every goods item must carry a description of its goods."""
    if _every_item_described(check):
        return
    for item in check.select(_ITEMS_WITHOUT_DESCRIPTION):
        location = check.locate(item)
        if location is None:
            continue
        yield check.problem(
            location,
            "description.missing",
            "This goods item has no description of its goods; customs need a plain "
            "description such as 'cotton T-shirts' for every item.",
            path=f"{location.path}/Commodity/Description",
        )


def _every_item_described(check: CheckInput) -> bool:
    """The screen: whether each goods item has a Commodity with a Description that has text.

    True only when sure; a description whose text is in child nodes, or anything unusual,
    leaves it to the exact selection.
    """
    batch = check.batch
    items = batch.elements(_ITEM_TAG)
    if not items:
        return True
    commodity_of: dict[etree._Element | None, etree._Element] = {}
    for description, text in zip(
        batch.elements(_DESCRIPTION_TAG), batch.texts(_DESCRIPTION_TAG), strict=True
    ):
        if text is None or not text.strip(_XML_BLANKS):
            continue
        commodity = description.getparent()
        if commodity is not None:
            commodity_of[commodity.getparent()] = commodity
    for item in items:
        commodity = commodity_of.get(item)
        if commodity is None or commodity.tag != _COMMODITY_TAG:
            return False
    return True
