"""The lean forms of generated stylesheets write exactly what the plain forms write.

The stylesheet writer saves libxslt work with equivalent forms: a value only the next step
reads is written into that step instead of a variable, presence tests read ``string($v)``
instead of comparing with ``''``, constant attributes and the declaration's own attributes
are written on the start tag, a condition decided already is not tested, and ``decimal``
tests for NaN without writing the number out.
``StylesheetWriter.lean = False`` writes the plain forms; these tests compare the two, byte
for byte and problem markers included, on arbitrary values and on the bundled mappings.
"""

from __future__ import annotations

import io
from collections.abc import Iterator
from typing import Any
from xml.sax.saxutils import escape

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from lxml import etree

from gateway.errors import InputError
from gateway.mapping.catalog import _EXTENSIONS, MappingCatalog
from gateway.mapping.functions import _is_number
from gateway.mapping.spec import MappingSpec, read_mapping
from gateway.mapping.xslt import StylesheetWriter, _absent, _present, _returns_string
from gateway.pipeline import Pipeline
from gateway.sample_feeds import itmatt_batch_bytes

CATALOG = MappingCatalog()

_TEXT = st.text(
    alphabet=st.sampled_from(
        [*"aAxzZ059 .,-+eE\t\n\r", "é", "ß", "Σ", "€", "\u00a0", "😀", "{", "}", "'"]
    ),
    max_size=12,
)
_NUMBERISH = st.lists(
    st.sampled_from(
        [
            *("1", "12.50", "-0", ".5", "5.", "-", ".", "1e3", "1e999", "-1e999", "NaN"),
            *("Infinity", "-Infinity", "0x10", " ", "\t", "\n", "+1", "1,5", "007", "9" * 30),
        ]
    ),
    max_size=3,
).map("".join)
"""Values near the edges of ``number()``: signs, exponents, huge and odd numbers, spaces."""


def _evaluate(expression: str, value: str) -> Any:
    return etree.XPath(expression)(etree.Element("x"), s=value)


@settings(max_examples=400, deadline=None)
@given(value=_NUMBERISH | _TEXT)
def test_the_nan_test_of_decimal_gives_what_writing_the_number_out_gives(value: str) -> None:
    assert _evaluate(_is_number("$s"), value) == _evaluate("string(number($s)) != 'NaN'", value)


_TESTS = etree.XSLT(
    etree.fromstring(
        f"""<xsl:stylesheet version="1.0" xmlns:xsl="http://www.w3.org/1999/XSL/Transform">
  <xsl:param name="s" select="''"/>
  <xsl:template match="/">
    <xsl:variable name="t"><xsl:value-of select="$s"/></xsl:variable>
    <r>
      <xsl:for-each select="/">
        <a><xsl:value-of select="boolean({_present("$s")})"/><xsl:value-of select="boolean({_present("$s", False)})"/></a>
        <b><xsl:value-of select="boolean({_absent("$s")})"/><xsl:value-of select="boolean({_absent("$s", False)})"/></b>
        <c><xsl:value-of select="boolean({_present("$t")})"/><xsl:value-of select="boolean({_present("$t", False)})"/></c>
        <d><xsl:value-of select="boolean({_absent("$t")})"/><xsl:value-of select="boolean({_absent("$t", False)})"/></d>
        <e><xsl:value-of select="boolean({_present("$s", is_string=True)})"/><xsl:value-of select="boolean({_present("$s", False)})"/></e>
        <f><xsl:value-of select="boolean({_absent("$s", is_string=True)})"/><xsl:value-of select="boolean({_absent("$s", False)})"/></f>
      </xsl:for-each>
    </r>
  </xsl:template>
</xsl:stylesheet>""".encode()
    )
)


@settings(max_examples=200, deadline=None)
@given(value=_TEXT)
def test_string_tests_give_what_comparing_with_the_empty_string_gives(value: str) -> None:
    """``string($v)`` for a string and for a result tree fragment (a variable with content)
    alike, and ``$v`` alone for a string."""
    result = _TESTS(etree.fromstring(b"<x/>"), s=etree.XSLT.strparam(value))
    root = result.getroot()
    assert root is not None
    for pair in root:
        assert pair.text in ("truetrue", "falsefalse"), (pair.tag, pair.text)


@pytest.mark.parametrize(
    "expression,expected",
    [
        ("normalize-space(a / b)", True),
        ("concat($v1, substring('x', 1, 999 * ($v1 = '')))", True),
        ("substring-before('a)', ')')", True),
        ('translate($v, ")", "(")', True),
        ("format-number(number($v), '0.##')", True),
        ("string(a) = 'x'", False),
        ("concat(a, b) | c", False),
        ("substring(a, 1) and b", False),
        ("number($v)", False),
        ("count(a)", False),
        ("sum(a)", False),
        ("$v", False),
        ("gwf:join(a, ', ')", False),
    ],
)
def test_only_one_call_of_a_string_function_counts_as_a_string(
    expression: str, expected: bool
) -> None:
    assert _returns_string(expression) is expected


def _texts(spec: MappingSpec, order: Any = None) -> tuple[str, str]:
    """The lean and the plain stylesheet of a spec."""
    plain = StylesheetWriter(spec, order=order, trace=False)
    plain.lean = False
    return StylesheetWriter(spec, order=order, trace=False).stylesheet(), plain.stylesheet()


def _compiled(spec: MappingSpec, order: Any = None) -> tuple[etree.XSLT, etree.XSLT]:
    lean, plain = _texts(spec, order)
    assert lean != plain
    return (
        etree.XSLT(etree.fromstring(lean.encode()), extensions=_EXTENSIONS),
        etree.XSLT(etree.fromstring(plain.encode()), extensions=_EXTENSIONS),
    )


_FEED = """\
name: tiny
kind: feed
input: {format: xml, root: Batch}
declarations:
  for_each: Item
  id: V
  consignment: W
  template:
    A: {from: V, apply: [upper, trim], required: true}
    B: {from: V, apply: [upper, decimal, {round: 2}]}
    C: {from: V, apply: [lower, {prefix: "x"}, {substring: {start: 1, length: 4}}]}
    D: {from: V, apply: [decimal], raw: true, "@unit": KGM, "@kind": {from: W}}
    E: {from: W, apply: [{remove: "x"}, upper, {codelist: cn23-categories}]}
    F: {from: V, apply: [{datetime: {formats: [iso], timezone: UTC}}], "@a": " ", "@b": "1"}
    G: {from: V, apply: [join, upper]}
    H: {from: V, apply: [upper], default: "none"}
    I: {from: W, apply: [decimal, {convert_unit: {from_path: W/@unit, to: KGM}}]}
    Group:
      "@fixed": "a {b} & c"
      "@line": "x\\ny"
      J: {from: W, apply: [trim, {suffix: "!"}]}
      K: {from: V}
      L: {xpath: "concat(V, W)", apply: [upper]}
    Other:
      M: {from: W, apply: [upper]}
      N: Constant
      Q: {from: V, when: "true()", required: true}
      R: {from: W, when: "false()", required: true}
      S: {when: "true()", T: {from: W}}
    Lines:
      for_each: V
      P: {from: ".", apply: [upper, decimal]}
"""

_LEAN_FEED, _PLAIN_FEED = _compiled(read_mapping(_FEED, "tiny.yaml"))

_VALUES = st.lists(
    st.sampled_from(
        [
            *(" ", "  ", "\t", "x", "X", "a", "c", "S", "5", "12.50", "-0", "1,5", "e", "é", "ß"),
            *("2026-01-02T03:04:05Z", "2026-02-30", "KGM", "grm", "lbr", "{", "}"),
        ]
    ),
    max_size=5,
).map("".join)
"""Values made of pieces that matter here: spaces, cases, numbers, dates, units, codes."""


@st.composite
def _items(draw: st.DrawFn) -> str:
    """An item with zero or more V and W elements (W with a unit or none)."""
    parts = []
    for name in draw(st.lists(st.sampled_from(["V", "W"]), max_size=4)):
        value = escape(draw(_VALUES | _TEXT)).replace("\r", "&#13;")
        unit = draw(st.none() | st.sampled_from(["KGM", "grm", "lbr", "", "x"]))
        attribute = f' unit="{unit}"' if unit is not None and name == "W" else ""
        parts.append(f"<{name}{attribute}>{value}</{name}>")
    return "<Item>" + "".join(parts) + "</Item>"


@settings(max_examples=300, deadline=None)
@given(items=st.lists(_items(), min_size=1, max_size=3))
def test_a_lean_feed_stylesheet_writes_what_the_plain_one_writes(items: list[str]) -> None:
    """Chains of steps with and without failures, a Python step, join, a default, raw
    values, constant and computed attributes, groups with presence tests, conditions
    decided already (``true()``, ``false()``) and a for_each."""
    document = etree.fromstring(f"<Batch>{''.join(items)}</Batch>".encode())
    assert etree.tostring(_LEAN_FEED(document)) == etree.tostring(_PLAIN_FEED(document))


def _problem_batches() -> Iterator[bytes]:
    for seed in range(3):
        yield itmatt_batch_bytes(40, seed=seed, problem_rate=0.3)


def test_the_bundled_postal_feed_writes_the_same_bytes_lean_and_plain() -> None:
    """Generated postal batches where about one item in three lacks something or is wrong."""
    mapping = CATALOG.get("upu-itmatt", "feed")
    lean, plain = _compiled(mapping.spec, mapping._order)
    for data in _problem_batches():
        document = etree.fromstring(data)
        assert etree.tostring(lean(document)) == etree.tostring(plain(document))


def _canonical_batches() -> Iterator[etree._Element]:
    pipeline = Pipeline(CATALOG)
    for data in _problem_batches():
        try:
            for chunk in pipeline.iter_feed("upu-itmatt", io.BytesIO(data)):
                if chunk.declarations:
                    parent = chunk.declarations[0].element.getparent()
                    assert parent is not None
                    yield parent
        except InputError:  # pragma: no cover - the generated batches are readable
            continue


@pytest.mark.parametrize("destination", CATALOG.names("destination"))
def test_each_destination_writes_the_same_bytes_lean_and_plain(destination: str) -> None:
    """The general destination stylesheets on canonical batches with problems, with and
    without parameter values."""
    mapping = CATALOG.get(destination, "destination")
    lean, plain = _compiled(mapping.spec, mapping._order)
    given_values: dict[str, Any] = {
        f"param-{name}": etree.XSLT.strparam(f"GB{index}X")
        for index, name in enumerate(mapping.spec.parameters)
    }
    for batch in _canonical_batches():
        for parameters in ({}, given_values):
            tree = batch.getroottree()
            assert etree.tostring(lean(tree, **parameters)) == etree.tostring(
                plain(tree, **parameters)
            )
