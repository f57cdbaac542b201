"""XPath as mapping files write it: tokenising, qualifying names, location paths, JSON paths."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from lxml import etree

from gateway.formats.json_tree import parse_json
from gateway.mapping.paths import (
    XPathSyntaxError,
    collapse_parents,
    json_path_to_xpath,
    location_paths,
    qualify,
    source_text,
    tokenize,
)

SRC = "urn:example:source"


def kinds(expression: str) -> list[tuple[str, str]]:
    return [(token.kind, token.text) for token in tokenize(expression)]


# -- tokenize ----------------------------------------------------------------------------------


def test_tokenize_splits_a_path_with_an_attribute() -> None:
    assert kinds("Value/@currency") == [
        ("nametest", "Value"),
        ("operator", "/"),
        ("punct", "@"),
        ("nametest", "currency"),
    ]


def test_a_name_before_a_parenthesis_is_a_function_or_node_type() -> None:
    assert kinds("count(A)")[0] == ("function", "count")
    assert kinds("text()")[0] == ("nodetype", "text")


def test_a_name_before_double_colon_is_an_axis() -> None:
    assert kinds("ancestor::Item")[:2] == [("axis", "ancestor"), ("punct", "::")]


@pytest.mark.parametrize("operator", ["and", "or", "div", "mod"])
def test_operator_names_after_an_operand_are_operators(operator: str) -> None:
    assert kinds(f"a {operator} b") == [
        ("nametest", "a"),
        ("operator", operator),
        ("nametest", "b"),
    ]


@pytest.mark.parametrize("name", ["and", "or", "div", "mod"])
def test_operator_names_where_an_operand_is_expected_are_element_names(name: str) -> None:
    assert kinds(f"{name}/x")[0] == ("nametest", name)
    assert kinds(f"a/{name}")[-1] == ("nametest", name)


def test_star_after_an_operand_multiplies() -> None:
    assert kinds("a*b")[1] == ("operator", "*")
    assert kinds("2 * 3")[1] == ("operator", "*")


def test_star_where_a_step_is_expected_is_a_name_test() -> None:
    assert kinds("*") == [("nametest", "*")]
    assert kinds("a/*")[-1] == ("nametest", "*")
    assert kinds("@*")[-1] == ("nametest", "*")


def test_a_hyphen_inside_a_name_belongs_to_the_name() -> None:
    assert kinds("foo-bar") == [("nametest", "foo-bar")]


def test_a_hyphen_between_spaced_operands_is_a_minus() -> None:
    assert kinds("a - b") == [("nametest", "a"), ("operator", "-"), ("nametest", "b")]
    # a name cannot start with '-', so '-b' is minus then b
    assert kinds("a -b") == [("nametest", "a"), ("operator", "-"), ("nametest", "b")]


def test_literals_keep_the_other_quote_and_path_characters() -> None:
    assert kinds('"it\'s/a*b"') == [("literal", '"it\'s/a*b"')]
    assert kinds("'say \"hi\"'") == [("literal", "'say \"hi\"'")]


@pytest.mark.parametrize("bad", ["a # b", "'unterminated", "a ; b", "{x}"])
def test_tokenize_refuses_characters_that_are_not_xpath(bad: str) -> None:
    with pytest.raises(XPathSyntaxError, match="position"):
        tokenize(bad)


# -- qualify -----------------------------------------------------------------------------------


def test_qualify_prefixes_element_names_but_not_attributes() -> None:
    out = qualify("Value/@currency", "src")
    assert [t.text for t in tokenize(out)] == ["src:Value", "/", "@", "currency"]


def test_qualify_leaves_attribute_axis_names_functions_and_operators_alone() -> None:
    out = qualify("count(attribute::unit) + sum(Item/Value) div 2", "src")
    texts = [t.text for t in tokenize(out)]
    assert texts == [
        "count", "(", "attribute", "::", "unit", ")", "+",
        "sum", "(", "src:Item", "/", "src:Value", ")", "div", "2",
    ]  # fmt: skip


def test_qualify_leaves_star_and_already_prefixed_names_alone() -> None:
    texts = [t.text for t in tokenize(qualify("other:A/*/B", "src"))]
    assert texts == ["other:A", "/", "*", "/", "src:B"]


def test_qualified_expression_reads_the_namespaced_document() -> None:
    """The point of qualify: the plain expression over a namespaced document finds values."""
    document = etree.fromstring(
        f'<R xmlns="{SRC}"><Item><V unit="g">2</V></Item><Item><V>3</V></Item></R>'
    )
    expression = qualify("sum(Item/V) * count(Item[V/@unit = 'g'])", "src")
    assert document.xpath(expression, namespaces={"src": SRC}) == 5.0


_names = st.from_regex(r"[A-Za-z_][A-Za-z0-9_\-]{0,6}", fullmatch=True).filter(
    lambda name: name not in {"and", "or", "div", "mod"}
)
_XML_CHARS = {"blacklist_categories": ("Cc", "Cs"), "max_codepoint": 0xFFFD}
_single = st.text(st.characters(blacklist_characters="'", **_XML_CHARS), max_size=12)  # type: ignore[arg-type]
_double = st.text(st.characters(blacklist_characters='"', **_XML_CHARS), max_size=12)  # type: ignore[arg-type]
_literals = st.one_of(_single.map(lambda t: f"'{t}'"), _double.map(lambda t: f'"{t}"'))


@st.composite
def _paths(draw: st.DrawFn) -> str:
    steps = draw(st.lists(_names, min_size=1, max_size=3))
    path = "/".join(steps)
    if draw(st.booleans()):
        path += "/@" + draw(_names)
    return path


def _expressions() -> st.SearchStrategy[str]:
    leaves = st.one_of(_paths(), _literals)
    return st.recursive(
        leaves,
        lambda inner: st.one_of(
            st.tuples(inner, st.sampled_from(["=", "and", "or", "|", "!="]), inner).map(" ".join),
            st.tuples(st.sampled_from(["concat", "string", "contains"]), inner, inner).map(
                lambda parts: f"{parts[0]}({parts[1]}, {parts[2]})"
            ),
        ),
        max_leaves=5,
    )


@settings(max_examples=150, deadline=None)
@given(_expressions())
def test_qualify_never_changes_literals(expression: str) -> None:
    before = [t.text for t in tokenize(expression) if t.kind == "literal"]
    after = [t.text for t in tokenize(qualify(expression, "src")) if t.kind == "literal"]
    assert after == before


@settings(max_examples=150, deadline=None)
@given(_expressions())
def test_qualify_is_idempotent_and_keeps_the_token_kinds(expression: str) -> None:
    once = qualify(expression, "src")
    assert qualify(once, "src") == once
    assert [t.kind for t in tokenize(once)] == [t.kind for t in tokenize(expression)]


@settings(max_examples=100, deadline=None)
@given(_expressions())
def test_qualified_expressions_compile_as_xpath(expression: str) -> None:
    etree.XPath(qualify(expression, "src"), namespaces={"src": SRC})


# -- location paths ----------------------------------------------------------------------------


def test_location_paths_of_function_arguments_without_predicates() -> None:
    assert location_paths("concat(Sender/Name, ' ', Sender/City[1])") == [
        "Sender/Name",
        "Sender/City",
    ]


def test_location_paths_keep_attributes_parents_and_prefixes_removed() -> None:
    assert location_paths("src:Value/@currency") == ["Value/@currency"]
    assert location_paths("../MessageHeader/src:Sender") == ["../MessageHeader/Sender"]


def test_location_paths_ignore_literals_and_numbers() -> None:
    assert location_paths("'Sender/Name' = 3") == []


def test_location_paths_ignore_names_inside_predicates() -> None:
    assert location_paths("Content[Value > 0]/Description") == ["Content/Description"]


# -- JSON paths --------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("json_path", "xpath"),
    [
        ("shipper.name", "shipper/name"),
        ("items[*].sku", "items/sku"),
        ("items[0]", "items[1]"),
        ("items[2].sku", "items[3]/sku"),
        ("$.header.id", "/json/header/id"),
        ("$", "/json"),
        ("^.currency", "../currency"),
        ("['odd key']", "_[@key='odd key']"),
        ("x['a b'].y", "x/_[@key='a b']/y"),
    ],
)
def test_json_path_to_xpath(json_path: str, xpath: str) -> None:
    assert json_path_to_xpath(json_path) == xpath


@pytest.mark.parametrize("bad", ["a..b", "1abc", "a[x]", "a.", "[unquoted]"])
def test_json_path_refuses_what_is_not_a_json_path(bad: str) -> None:
    with pytest.raises(XPathSyntaxError, match="not a JSON path"):
        json_path_to_xpath(bad)


@pytest.mark.parametrize(
    "key",
    ["odd key", "it's", "a.b", "xmlData", "prénom", "1st", 'say "hi"'],
)
def test_json_path_finds_the_element_json_tree_writes_for_any_key(key: str) -> None:
    """Whatever the key, the bracketed path reaches the value parse_json stored under it."""
    import json

    document = parse_json(json.dumps({"outer": {key: "found"}}).encode(), "t.json")
    quote = '"' if "'" in key else "'"
    if quote in key:  # a key holding both quotes cannot be written in a bracket step
        pytest.skip("no quote left to write the key with")
    xpath = json_path_to_xpath(f"$.outer[{quote}{key}{quote}]")
    assert document.xpath(f"string({xpath})") == "found"


def test_a_computed_source_is_named_as_an_expression_in_its_item() -> None:
    assert source_text("Item[7]", "Addressee/Name") == "Item[7]/Addressee/Name"
    assert (
        source_text("Item[9]", "sum(Contents/Content/Value)", computed=True)
        == "sum(Contents/Content/Value) in Item[9]"
    )
    assert source_text("", "count(Item)", computed=True) == "count(Item)"
    assert source_text("Item[2]", "") == "Item[2]"


@pytest.mark.parametrize(
    ("path", "expected"),
    [
        ("A[1]/B[2]/../C", "A[1]/C"),
        ("A/B/C/../../D", "A/D"),
        ("mwb:Master[1]/Rating/Item[1]/../../Value", "mwb:Master[1]/Value"),
        (
            "/hwb:Waybill/hwb:Master/House[1]/Item[1]/../Value",
            "/hwb:Waybill/hwb:Master/House[1]/Value",
        ),
        ("A[1]/B[not(../c)]/../D", "A[1]/D"),
        ("A/B/..", "A"),
        ("../X", "../X"),
        ("A/../../X", "../X"),
        ("Item[{$p0}]/../X", "X"),
        ("Item[3]/Contents/Content[2]/Value", "Item[3]/Contents/Content[2]/Value"),
    ],
)
def test_collapse_parents_names_where_a_climbing_path_lands(path: str, expected: str) -> None:
    assert collapse_parents(path) == expected


@given(st.lists(st.sampled_from(["A", "B[2]", "c:D", "..", "E[{$p1}]"]), min_size=1, max_size=8))
def test_collapse_parents_selects_what_the_path_selects(steps: list[str]) -> None:
    """On a tree where every name exists at every level, the collapsed path selects the same
    element as the path (positions kept as written; AVT positions read as 1)."""
    path = "/".join(steps)
    collapsed = collapse_parents(path)
    assert len(collapsed) <= len(path)

    def resolve(text: str) -> list[str]:
        stack: list[str] = []
        for step in text.split("/"):
            if step == ".." and stack and stack[-1] != "..":
                stack.pop()
            elif step:
                stack.append(step)
        return stack

    assert resolve(collapsed) == resolve(path)
