"""JSON messages as element trees: the shape mapping files address with JSON paths."""

from __future__ import annotations

import json
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from lxml import etree

from gateway.errors import InputError
from gateway.formats.json_tree import ENTRY_ATTR, INDEX_ATTR, json_source, parse_json
from gateway.formats.xml import MAX_DEPTH


def tree(data: str | bytes) -> etree._Element:
    return parse_json(data.encode() if isinstance(data, str) else data, "order.json")


def shape(data: str) -> str:
    """The tree as XML, without the array index bookkeeping (tested on its own below)."""
    root = tree(data)
    for element in root.iter():
        for name in (INDEX_ATTR, ENTRY_ATTR):
            element.attrib.pop(name, None)
    etree.cleanup_namespaces(root)
    return etree.tostring(root, encoding="unicode")


def test_array_entries_carry_their_json_index_nulls_counted() -> None:
    root = tree('{"a": [null, {"b": 1}, [2, 3]], "c": {"d": [5]}, "e": {"f": 1}}')
    entries = root.findall("a")
    assert [entry.get(INDEX_ATTR) for entry in entries] == ["1", "2"]
    assert [item.get(ENTRY_ATTR) for item in entries[1]] == ["0", "1"]
    assert root.find("c/d").get(INDEX_ATTR) == "0"  # type: ignore[union-attr]
    assert root.find("e").get(INDEX_ATTR) is None  # type: ignore[union-attr]
    top = tree('[{"x": 1}, 2]')
    assert [item.get(ENTRY_ATTR) for item in top] == ["0", "1"]


def refused(data: str | bytes) -> InputError:
    with pytest.raises(InputError) as caught:
        tree(data)
    return caught.value


def test_an_object_becomes_elements_named_after_its_keys() -> None:
    assert shape('{"shipper": {"name": "Ann", "city": "Leeds"}}') == (
        "<json><shipper><name>Ann</name><city>Leeds</city></shipper></json>"
    )


def test_an_array_repeats_its_keys_element_once_per_entry() -> None:
    root = tree('{"items": [{"sku": "A"}, {"sku": "B"}, {"sku": "C"}]}')
    assert [item.findtext("sku") for item in root.findall("items")] == ["A", "B", "C"]


def test_a_nested_array_becomes_one_element_holding_item_entries() -> None:
    assert shape('{"grid": [[1, 2], [3]]}') == (
        "<json><grid><item>1</item><item>2</item></grid><grid><item>3</item></grid></json>"
    )


def test_a_top_level_array_gives_item_elements() -> None:
    assert shape('[{"id": "a"}, {"id": "b"}]') == (
        "<json><item><id>a</id></item><item><id>b</id></item></json>"
    )


@pytest.mark.parametrize("number", ["1.50", "0.1", "1e3", "-0", "12345678901234567890.000001"])
def test_numbers_are_kept_exactly_as_written(number: str) -> None:
    assert tree(f'{{"value": {number}}}').findtext("value") == number


def test_booleans_are_true_and_false() -> None:
    root = tree('{"insured": true, "gift": false}')
    assert (root.findtext("insured"), root.findtext("gift")) == ("true", "false")


def test_null_members_are_left_out() -> None:
    root = tree('{"a": null, "b": "kept", "c": [null, "x"]}')
    assert root.find("a") is None
    assert root.findtext("b") == "kept"
    assert [c.text for c in root.findall("c")] == ["x"]


@pytest.mark.parametrize("key", ["odd key", "1st", "a/b", "xmlish", "prénom", "a:b"])
def test_keys_that_are_not_xml_names_keep_the_key_in_an_attribute(key: str) -> None:
    root = tree(json.dumps({key: "v"}))
    (child,) = root
    assert child.tag == "_"
    assert child.get("key") == key
    assert child.text == "v"


def test_control_characters_and_lone_surrogates_are_removed_not_fatal() -> None:
    root = tree('{"a": "x\\u0001y\\ud800z", "k\\u0002": 1}')
    assert root.findtext("a") == "xyz"
    odd = root.find("_")
    assert odd is not None
    assert odd.get("key") == "k"


def test_duplicate_keys_are_refused_naming_the_key() -> None:
    error = refused('{"id": "1", "id": "2"}')
    assert "'id'" in str(error)
    assert error.problems[0].code == "json.duplicate-key"


def test_invalid_json_names_line_and_column() -> None:
    error = refused('{\n  "a": 1,\n  "b": \n}')
    (problem,) = error.problems
    assert problem.code == "json.syntax"
    assert problem.line == 4
    assert "line 4, column 1" in problem.message
    assert problem.message.startswith("order.json ")


@pytest.mark.parametrize("constant", ["NaN", "Infinity", "-Infinity"])
def test_non_json_number_constants_are_refused_as_input_errors(constant: str) -> None:
    assert refused(f'{{"a": {constant}}}').problems[0].code == "json.syntax"


def test_text_that_is_not_utf8_is_refused() -> None:
    assert refused(b'{"a": "\xff"}').problems[0].code == "json.encoding"


def test_empty_input_is_refused() -> None:
    assert refused(b"").problems[0].code == "input.empty"


def test_nesting_deeper_than_the_limit_is_refused() -> None:
    deep = '{"a": ' * (MAX_DEPTH + 5) + "1" + "}" * (MAX_DEPTH + 5)
    assert refused(deep).problems[0].code == "json.too-deep"
    shallow = '{"a": ' * 10 + "1" + "}" * 10
    assert tree(shallow) is not None


_json = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(max_size=8),
    lambda inner: (
        st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=6), inner, max_size=3)
    ),
    max_leaves=12,
)


@settings(max_examples=150, deadline=None)
@given(_json)
def test_any_json_document_becomes_a_tree_or_an_input_error(value: Any) -> None:
    """Never a foreign exception, whatever the keys and strings hold."""
    try:
        root = tree(json.dumps(value))
    except InputError:
        return
    etree.tostring(root)  # the tree is serialisable XML


@pytest.mark.parametrize(
    ("base", "tail", "computed", "expected"),
    [
        ("$.lines[3]", "description", False, "$.lines[3].description"),
        ("$.shipping.trackingNumbers[0]", "^.^.lines[*]", False, "$.lines[*]"),
        ("$.shipments[1]", "items[*]", False, "$.shipments[1].items[*]"),
        ('$[2].a["odd key"][1]', "^.b", False, "$[2].a.b"),
        ("$[2]", "^", False, "$"),
        ("$.x[1]", "", False, "$.x[1]"),
        ("$.x[1]", "sum(a)", True, "sum(a) in $.x[1]"),
    ],
)
def test_a_mapping_source_is_named_from_the_json_path_it_was_read_at(
    base: str, tail: str, computed: bool, expected: str
) -> None:
    assert json_source(base, tail, computed=computed) == expected
