"""Child paths read off the parsed tree give what the XPaths give on the renamed tree.

``ResponseMapping.read`` maps a response without renaming its elements when every XPath of
the mapping is a plain child path; these tests pin that it returns exactly what the general
route (rename each element of the mapping's namespaces, then evaluate the XPaths) returns,
problems included, on many generated documents. The reference route here is the one the
gateway used before: ``etree.QName`` per element, ``cleanup_namespaces``, ``evaluate``.
"""

from __future__ import annotations

from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from lxml import etree

from gateway.errors import InputError
from gateway.formats.xml import parse_xml
from gateway.mapping.yaml_lines import load_yaml
from gateway.responses import parse_response, response_mapping
from gateway.responses.child_paths import ChildIndex, ChildPath
from gateway.responses.mapping import ResponseMapping, _texts, compile_response_mapping
from gateway.simulator.notifications import FUNCTION_CODES, build_notification

MD = "urn:wco:datamodel:WCO:DocumentMetaData-DMS:2"
RES = "urn:wco:datamodel:WCO:RES-DMS:2"
DS = "urn:wco:datamodel:WCO:Response_DS:DMS:2"
OTHER = "urn:example:other"
NAMESPACES = (None, MD, RES, DS, OTHER)
NAMES = (
    "MetaData",
    "Response",
    "FunctionCode",
    "Declaration",
    "FunctionalReferenceID",
    "ID",
    "IssueDateTime",
    "DateTimeString",
    "Error",
    "Description",
    "ValidationCode",
    "AdditionalInformation",
    "StatementDescription",
)
CODES = (*FUNCTION_CODES.values(), "13", "99")

# A mapping with deeper paths, [not(...)] tests on several steps and fields tried in order.
DEEP_MAPPING = f"""
response_mapping: 1
endpoint_kind: deep
document:
  roots: [MetaData, Response]
  namespaces: [{MD}, {RES}]
responses: Response/Response
fields:
  function_code: [Error/FunctionCode, FunctionCode]
  declaration_ref:
    - Declaration[not(ID)]/FunctionalReferenceID
    - Declaration/Declaration/ID
    - Declaration/ID
  customs_reference: Declaration[not(Error)]/ID
  issued_at: {{xpath: IssueDateTime/DateTimeString, convert: wco-datetime}}
reasons:
  - Error[not(Description)]/ValidationCode
  - Error/Description
  - AdditionalInformation[not(Error)]/StatementDescription[not(ID)]
functions:
  "01": {{outcome: accepted}}
  "02": {{outcome: acknowledged}}
  "03": {{outcome: rejected, reason: Rejected.}}
  "09": {{outcome: released}}
  "13": {{outcome: null}}
"""


def _deep_mapping() -> ResponseMapping:
    return compile_response_mapping(load_yaml(DEEP_MAPPING, "deep.yaml"), "deep.yaml")


def _reference_texts(result: Any) -> list[str]:
    """The gateway's earlier ``_texts``: itertext for every element."""
    items = result if isinstance(result, list) else [result]
    texts: list[str] = []
    for item in items:
        if isinstance(item, etree._Element):
            text = " ".join("".join(str(part) for part in item.itertext()).split())
        elif isinstance(item, (str, bytes)):
            text = " ".join(str(item).split())
        elif isinstance(item, bool):
            continue
        elif isinstance(item, float):
            text = str(int(item)) if item.is_integer() else str(item)
        else:
            continue
        if text:
            texts.append(text)
    return texts


def _reference_unqualify(mapping: ResponseMapping, root: etree._Element) -> None:
    for element in root.iter(etree.Element):
        qname = etree.QName(element)
        if qname.namespace in mapping.namespaces:
            element.tag = qname.localname
    etree.cleanup_namespaces(root)


def _reference_read(mapping: ResponseMapping, body: bytes) -> Any:
    root = parse_xml(body, "the response")
    _reference_unqualify(mapping, root)
    outcomes, problems = mapping.evaluate(root, "the response")
    return outcomes, [problem.to_dict() for problem in problems]


def _read(mapping: ResponseMapping, body: bytes) -> Any:
    outcomes, problems = mapping.read(parse_xml(body, "the response"), "the response")
    return outcomes, [problem.to_dict() for problem in problems]


_TEXTS = st.one_of(
    st.none(),
    st.sampled_from(CODES),
    st.sampled_from(["LRN-1", " LRN 2 ", "20250131113614Z", "2025-01-31", "\n\t", ""]),
    st.text(alphabet="ab \t\n<&", max_size=6),
)


@st.composite
def _element(draw: st.DrawFn, depth: int) -> etree._Element:
    namespace = draw(st.sampled_from(NAMESPACES))
    name = draw(st.sampled_from(NAMES))
    element = etree.Element(name if namespace is None else f"{{{namespace}}}{name}")
    element.text = draw(_TEXTS)
    if depth > 0:
        for _ in range(draw(st.integers(0, 4))):
            kind = draw(st.integers(0, 9))
            child: etree._Element
            if kind == 0:
                child = etree.Comment("a comment")
            elif kind == 1:
                child = etree.ProcessingInstruction("pi", "x")
            else:
                child = draw(_element(depth - 1))
            child.tail = draw(st.sampled_from([None, "", " tail ", "x"]))
            element.append(child)
    return element


@st.composite
def _document(draw: st.DrawFn, *, nested: bool = False) -> bytes:
    """An envelope, mostly a well-formed notification, now and then an odd one."""
    root = draw(_element(2)) if draw(st.integers(0, 3)) == 3 else etree.Element("x")
    root.tag = draw(
        st.sampled_from(
            [f"{{{MD}}}MetaData"] * 15
            + [
                "MetaData",
                f"{{{RES}}}MetaData",
                f"{{{OTHER}}}MetaData",
                f"{{{RES}}}Response",
                "Other",
            ]
        )
    )
    for _ in range(draw(st.sampled_from([1, 1, 1, 1, 1, 1, 0, 2, 3]))):
        root.append(draw(_response(nested=nested)))
    return etree.tostring(root)


@st.composite
def _response(draw: st.DrawFn, *, nested: bool) -> etree._Element:
    """A Response shaped like a notification, with now and then a piece missing or odd."""
    ns = draw(st.sampled_from([RES] * 12 + [None, MD, OTHER]))
    known = st.sampled_from(["01", "02", "03", "09", "13"])
    reference = st.sampled_from(["LRN-1", " LRN\n2 ", "x"]) | _TEXTS

    def sub(parent: etree._Element, name: str, text: str | None = None) -> etree._Element:
        space = draw(st.sampled_from([ns] * 20 + [None, DS, OTHER]))
        child = etree.SubElement(parent, name if space is None else f"{{{space}}}{name}")
        child.text = text
        return child

    response = etree.Element("Response" if ns is None else f"{{{ns}}}Response")
    if draw(st.integers(0, 9)) < 9:
        sub(response, "FunctionCode", draw(known if draw(st.integers(0, 9)) < 9 else _TEXTS))
    if draw(st.booleans()):
        sub(sub(response, "IssueDateTime"), "DateTimeString", draw(_TEXTS))
    for _ in range(draw(st.integers(0, 2))):
        error = sub(response, "Error")
        for name in ("Description", "ValidationCode", "FunctionCode", "ID"):
            if draw(st.booleans()):
                sub(error, name, draw(_TEXTS))
    if draw(st.booleans()):
        info = sub(response, "AdditionalInformation")
        for _ in range(draw(st.integers(1, 2))):
            statement = sub(info, "StatementDescription", draw(_TEXTS))
            if draw(st.integers(0, 3)) == 3:
                sub(statement, "ID", "inner")
    if draw(st.integers(0, 9)) < 9:
        declaration = sub(response, "Declaration")
        if draw(st.integers(0, 9)) < 9:
            sub(declaration, "FunctionalReferenceID", draw(reference))
        if draw(st.booleans()):
            sub(declaration, "ID", draw(reference))
        if draw(st.integers(0, 3)) == 3:
            inner = sub(declaration, "Declaration")
            sub(inner, "ID", draw(reference))
    if draw(st.integers(0, 3)) == 3:
        response.append(draw(_element(2)))
    if draw(st.integers(0, 2)) == 2:
        response.append(etree.Comment("note"))
    if (draw(st.integers(0, 3)) == 3) != nested:  # for the deep mapping's Response/Response
        outer = etree.Element(response.tag)
        outer.append(response)
        return outer
    return response


_SETTINGS = settings(max_examples=400, deadline=None, suppress_health_check=[HealthCheck.too_slow])


@_SETTINGS
@given(_document())
def test_uk_cds_read_in_place_equals_the_general_route(body: bytes) -> None:
    """Outcomes and problems (messages, paths, lines) are the same either way."""
    mapping = response_mapping("uk-cds")
    assert mapping.child_paths is not None
    assert _read(mapping, body) == _reference_read(mapping, body)


@_SETTINGS
@given(_document(nested=True))
def test_deep_mapping_read_in_place_equals_the_general_route(body: bytes) -> None:
    mapping = _deep_mapping()
    assert mapping.child_paths is not None
    assert _read(mapping, body) == _reference_read(mapping, body)


@_SETTINGS
@given(_document())
def test_unqualify_renames_as_the_reference_does(body: bytes) -> None:
    """The libxml2-filtered renaming leaves the tree the per-element QName loop leaves."""
    for mapping in (response_mapping("uk-cds"), _deep_mapping()):
        ours = parse_xml(body, "x")
        mapping.unqualify(ours)
        theirs = parse_xml(body, "x")
        _reference_unqualify(mapping, theirs)
        assert etree.tostring(ours) == etree.tostring(theirs)


@_SETTINGS
@given(_document(), st.data())
def test_child_path_selects_what_the_xpath_selects_after_renaming(
    body: bytes, data: st.DataObject
) -> None:
    steps = data.draw(
        st.lists(
            st.tuples(st.sampled_from(NAMES), st.none() | st.sampled_from(NAMES)),
            min_size=1,
            max_size=3,
        )
    )
    text = "/".join(
        name if without is None else f"{name}[not({without})]" for name, without in steps
    )
    path = ChildPath.compile(text)
    assert path is not None
    mapping = response_mapping("uk-cds")
    parsed = parse_xml(body, "x")
    renamed = parse_xml(body, "x")
    _reference_unqualify(mapping, renamed)
    index = ChildIndex(mapping.namespaces, {})
    for node, twin in zip(parsed.iter(), renamed.iter(), strict=True):
        if not isinstance(node.tag, str):
            continue
        ours = [renamed_twin(parsed, renamed, found) for found in path.select(node, index)]
        assert ours == etree.XPath(text)(twin)


def renamed_twin(
    parsed: etree._Element, renamed: etree._Element, element: etree._Element
) -> etree._Element:
    """The element of the renamed tree at the place ``element`` has in the parsed one."""
    for node, twin in zip(parsed.iter(), renamed.iter(), strict=True):
        if node is element:
            return twin
    raise AssertionError("the element is not in the parsed tree")


@_SETTINGS
@given(_document())
def test_texts_equal_the_itertext_reference(body: bytes) -> None:
    root = parse_xml(body, "x")
    for element in root.iter():
        assert _outcome_of(_texts, [element]) == _outcome_of(_reference_texts, [element])
    for expression in ("string(.)", "count(*)", "boolean(*)", "*", "//text()", "1.5"):
        result = etree.XPath(expression)(root)
        assert _texts(result) == _reference_texts(result)


def _outcome_of(function: Any, argument: Any) -> Any:
    """What ``function`` returns, or the class of what it raises (a comment has no text)."""
    try:
        return function(argument)
    except Exception as exc:  # the exception is the outcome compared
        return type(exc)


@pytest.mark.parametrize(
    ("text", "steps"),
    [
        ("FunctionCode", (("FunctionCode", None),)),
        (" Declaration/ID ", (("Declaration", None), ("ID", None))),
        (
            "Error[not(Description)]/ValidationCode",
            (("Error", "Description"), ("ValidationCode", None)),
        ),
        ("a-b.c_d", (("a-b.c_d", None),)),
    ],
)
def test_plain_child_paths_compile(text: str, steps: tuple[tuple[str, str | None], ...]) -> None:
    path = ChildPath.compile(text)
    assert path is not None
    assert path.steps == steps
    assert path.path == text


@pytest.mark.parametrize(
    "text",
    [
        "//Response",
        "/MetaData/Response",
        "Response[1]",
        "Response[2]/ID",
        "@code",
        "Declaration/text()",
        "md:Response",
        "Error | Description",
        "..",
        ".",
        "*",
        "Error[not(Description)][1]",
        "Error[not(Description/Text)]",
        "Error[Description]",
        "Declaration/ ID",
        "string(ID)",
        "Declaration//ID",
        "Declaration/",
        "",
    ],
)
def test_other_xpaths_are_not_child_paths(text: str) -> None:
    assert ChildPath.compile(text) is None


def test_a_mapping_with_another_xpath_takes_the_general_route() -> None:
    text = DEEP_MAPPING.replace(
        "customs_reference: Declaration[not(Error)]/ID", "customs_reference: Declaration/ID[1]"
    )
    mapping = compile_response_mapping(load_yaml(text, "deep.yaml"), "deep.yaml")
    assert mapping.child_paths is None
    body = (
        f'<MetaData xmlns="{RES}"><Response><Response><FunctionCode>01</FunctionCode>'
        "<Declaration><ID>MRN</ID></Declaration></Response></Response></MetaData>"
    ).encode()
    assert _read(mapping, body) == _reference_read(mapping, body)
    [outcome], [] = _read(mapping, body)
    assert outcome.declaration_ref == "MRN"
    assert outcome.customs_reference == "MRN"


@pytest.mark.parametrize("kind", sorted(FUNCTION_CODES))
def test_simulator_notifications_read_the_same_either_way(kind: str) -> None:
    mapping = response_mapping("uk-cds")
    body = build_notification(kind, "LRN-1", mrn="25GB0000000000001")
    assert _read(mapping, body) == _reference_read(mapping, body)
    [outcome] = parse_response("uk-cds", body)
    assert outcome.declaration_ref == "LRN-1"


def test_a_problem_is_reported_from_the_renamed_tree() -> None:
    """A response the in-place read cannot map is mapped the general way, problem paths and all."""
    body = (
        f'<md:MetaData xmlns:md="{MD}" xmlns="{RES}"><Response><FunctionCode>77</FunctionCode>'
        "</Response></md:MetaData>"
    ).encode()
    with pytest.raises(InputError) as caught:
        parse_response("uk-cds", body)
    [problem] = caught.value.problems
    assert problem.code == "response.function-code.unknown"
    assert problem.source_path == "/MetaData/Response"
