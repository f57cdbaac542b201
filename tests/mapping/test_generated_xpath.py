"""Cheaper XPath in generated stylesheets gives exactly what the plain form gives.

``upper`` and ``lower`` translate with digits and letters already in the wanted case first
(mapped to themselves), and a step leaves out ``normalize-space()`` of a value that is
normalised already. Both are pinned against the plain form on arbitrary text.
"""

from __future__ import annotations

from typing import Any

from hypothesis import given, settings
from hypothesis import strategies as st
from lxml import etree

from gateway.mapping.functions import _LOWER, _UPPER, FUNCTIONS
from gateway.mapping.spec import read_mapping
from gateway.mapping.xslt import StylesheetWriter

_TEXT = st.text(
    alphabet=st.sampled_from(
        list("aAxzZ059 .,-+\t\n\r")
        + list(_LOWER[26:30] + _UPPER[26:30])
        + ["ÿ", "ß", "Ā", "ā", "Σ", "σ", "€", "\u00a0", "ǅ", "😀"]
    ),
    max_size=20,
)


def _evaluate(expression: str, value: str) -> Any:
    return etree.XPath(expression)(etree.Element("x"), s=value)


def _step(name: str) -> str:
    return FUNCTIONS[name](None, lambda path: path).build("$s")


@settings(max_examples=300, deadline=None)
@given(value=_TEXT)
def test_upper_and_lower_give_what_translating_the_other_case_alone_gives(value: str) -> None:
    assert _evaluate(_step("upper"), value) == _evaluate(
        f"translate($s, '{_LOWER}', '{_UPPER}')", value
    )
    assert _evaluate(_step("lower"), value) == _evaluate(
        f"translate($s, '{_UPPER}', '{_LOWER}')", value
    )


_FEED = """\
name: tiny
kind: feed
input: {format: xml, root: Batch}
declarations:
  for_each: Item
  id: V
  template:
    A: {from: V, apply: [decimal]}
    B: {from: V, apply: [upper, decimal]}
    C: {from: V, apply: [trim, integer]}
    D: {from: V, apply: [decimal], raw: true}
    E: {from: V, apply: [{remove: "x"}, decimal]}
    F: {from: V, apply: [lower, trim, {decimal: {separator: ","}}]}
    G: {from: V, apply: [upper, {prefix: " "}, trim]}
"""


class _Forgetful(set[str]):
    """A set of normalised variables that remembers none: the plain stylesheet."""

    def add(self, element: str) -> None:
        return None


def _stylesheets() -> tuple[str, str]:
    spec = read_mapping(_FEED, "tiny.yaml")
    plain = StylesheetWriter(spec, order=None, trace=False)
    plain.normalised = _Forgetful()
    return StylesheetWriter(spec, order=None, trace=False).stylesheet(), plain.stylesheet()


def test_a_step_leaves_out_normalize_space_of_a_normalised_value() -> None:
    lean, plain = _stylesheets()
    assert lean.count("normalize-space($v") < plain.count("normalize-space($v")


_LEAN, _PLAIN = (etree.XSLT(etree.fromstring(text.encode())) for text in _stylesheets())


_PIECES = st.lists(
    st.sampled_from(
        ["x", " ", "  ", "\t", "\n", "5", "12.50", "-0", ",", ".", "a", "é", "ß", "1,5"]
    ),
    max_size=6,
).map("".join)
"""Values made of pieces that matter here: spaces to normalise, numbers, letters to remove."""


@settings(max_examples=300, deadline=None)
@given(values=st.lists(_PIECES | _TEXT, min_size=1, max_size=4))
def test_leaving_out_normalize_space_writes_the_same_bytes(values: list[str]) -> None:
    items = "".join(f"<Item><V>{_escape(value)}</V></Item>" for value in values)
    document = etree.fromstring(f"<Batch>{items}</Batch>".encode())
    assert etree.tostring(_LEAN(document)) == etree.tostring(_PLAIN(document))


def _escape(value: str) -> str:
    from xml.sax.saxutils import escape

    return escape(value).replace("\r", "&#13;")
