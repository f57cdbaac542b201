"""Invalid canonical input: every problem is reported at once, each naming its path and reason."""

from __future__ import annotations

import pytest

from gateway.canonical import CANONICAL_NS
from gateway.canonical.json import batch_from_json, declaration_from_json
from gateway.canonical.xml import batch_from_xml, declaration_from_xml
from gateway.errors import InputError
from gateway.problems import Problem

ITEM = "GoodsShipment/GovernmentAgencyGoodsItem"


def _problems(call: object, data: bytes) -> list[Problem]:
    with pytest.raises(InputError) as caught:
        call(data)  # type: ignore[operator]
    assert caught.value.problems, "an InputError must carry its problems"
    assert all(problem.is_error for problem in caught.value.problems)
    return list(caught.value.problems)


def _paths(problems: list[Problem]) -> dict[str | None, str]:
    return {problem.canonical_path: problem.code for problem in problems}


def test_xml_reports_every_structural_and_value_problem_with_its_path() -> None:
    """Unknown, repeated, out-of-order elements and bad values are all reported, with paths."""
    data = (
        f'<Declaration xmlns="{CANONICAL_NS}">'
        "<ID>1</ID><FunctionCode>9</FunctionCode>"  # out of order
        "<TypeCode/>"  # empty
        "<GoodsItemQuantity>many</GoodsItemQuantity>"  # not an integer
        "<Nonsense/>"  # unknown
        "<GoodsShipment>"
        f"<{ITEM.split('/')[1]}><CustomsValueAmount currencyID='USD'>1.0</CustomsValueAmount>"
        f"</{ITEM.split('/')[1]}>"
        f"<{ITEM.split('/')[1]}><CustomsValueAmount currencyID='' rate='2'>ten</CustomsValueAmount>"
        f"</{ITEM.split('/')[1]}>"
        "<UCR><ID>a</ID></UCR><UCR><ID>b</ID></UCR>"  # repeated
        "</GoodsShipment>"
        "<IssueDateTime>yesterday</IssueDateTime>"
        "</Declaration>"
    ).encode()
    problems = _problems(declaration_from_xml, data)
    paths = _paths(problems)
    assert paths["FunctionCode"] == "canonical.order"
    assert paths["TypeCode"] == "canonical.string_too_short"
    assert paths["GoodsItemQuantity"] == "canonical.int_parsing"
    assert paths["Nonsense"] == "canonical.unknown-element"
    amount_codes = {
        problem.code
        for problem in problems
        if problem.canonical_path == f"{ITEM}[2]/CustomsValueAmount"
    }
    assert amount_codes == {"canonical.attribute", "canonical.decimal_parsing"}
    assert f"{ITEM}[2]/CustomsValueAmount/@currencyID" in paths
    assert paths["GoodsShipment/UCR"] == "canonical.repeated"
    assert "IssueDateTime" in paths
    assert f"{ITEM}[1]/CustomsValueAmount" not in paths
    messages = [problem.message for problem in problems]
    assert any("ten" in (problem.value or "") for problem in problems)
    assert all(message.endswith(".") for message in messages)
    order = next(problem for problem in problems if problem.code == "canonical.order")
    assert order.line == 1


def test_json_reports_every_error_with_a_canonical_path() -> None:
    """Pydantic errors become one Problem each, located as canonical paths with 1-based items."""
    data = (
        b'{"GoodsShipment": {"GovernmentAgencyGoodsItem": [{}, {"SequenceNumeric": "x",'
        b' "Commodity": {"GoodsMeasure": {"GrossMassMeasure": {"value": "1", "unitCode": ""}}},'
        b' "Extra": 1}]}, "IssueDateTime": "2026-01-01"}'
    )
    problems = _problems(declaration_from_json, data)
    paths = _paths(problems)
    assert paths == {
        f"{ITEM}[2]/SequenceNumeric": "canonical.int_parsing",
        f"{ITEM}[2]/Commodity/GoodsMeasure/GrossMassMeasure/@unitCode": (
            "canonical.string_too_short"
        ),
        f"{ITEM}[2]/Extra": "canonical.extra_forbidden",
        "IssueDateTime": "canonical.string_pattern_mismatch",
    }
    dated = next(problem for problem in problems if problem.canonical_path == "IssueDateTime")
    assert "ISO 8601" in dated.message


def test_json_that_is_not_json_is_an_input_error() -> None:
    """Malformed JSON raises InputError, not a pydantic or json exception."""
    problems = _problems(declaration_from_json, b'{"ID": ')
    assert problems[0].code == "canonical.json_invalid"


def test_xml_control_characters_and_missing_amount_value_are_refused() -> None:
    """Text XML cannot carry is refused; an amount needs its value."""
    problems = _problems(declaration_from_json, b'{"ID": "a\\u0001b", "InvoiceAmount": {}}')
    paths = _paths(problems)
    assert paths["ID"] == "canonical.value_error"
    assert paths["InvoiceAmount"] == "canonical.missing"


def test_impossible_dates_are_refused() -> None:
    """A date-time that matches the ISO 8601 shape but names no real moment is refused."""
    problems = _problems(
        declaration_from_json,
        b'{"IssueDateTime": "2026-02-30T10:00:00+01:00",'
        b' "GoodsShipment": {"Invoice": {"IssueDateTime": "2026-11-23T10:00:00Z"}}}',
    )
    assert _paths(problems) == {"IssueDateTime": "canonical.value_error"}
    assert "day is out of range" in problems[0].message


def test_doctype_is_refused_before_parsing() -> None:
    """A DOCTYPE (entity expansion, external DTDs) is refused outright."""
    data = (
        b'<?xml version="1.0"?><!DOCTYPE d [<!ENTITY x "boom">]>'
        b'<Declaration xmlns="urn:customs-gateway:canonical:1"><ID>&x;</ID></Declaration>'
    )
    problems = _problems(declaration_from_xml, data)
    assert problems[0].code == "xml.doctype"


def test_wrong_root_or_namespace_is_refused() -> None:
    """Only {CANONICAL_NS}Declaration is a declaration, and only DeclarationBatch a batch."""
    problems = _problems(declaration_from_xml, b"<Declaration><ID>1</ID></Declaration>")
    assert problems[0].code == "canonical.root"
    batch_problems = _problems(batch_from_xml, f'<Declaration xmlns="{CANONICAL_NS}"/>'.encode())
    assert batch_problems[0].code == "canonical.root"


def test_batch_problems_name_the_declaration_they_belong_to() -> None:
    """In a batch, each problem's item says which declaration (1-based) it is in."""
    xml = (
        f'<DeclarationBatch xmlns="{CANONICAL_NS}" feed="f" colour="red">'
        "<Declaration><ID>ok</ID></Declaration>"
        "<Declaration><GoodsItemQuantity>x</GoodsItemQuantity></Declaration>"
        "</DeclarationBatch>"
    ).encode()
    problems = _problems(batch_from_xml, xml)
    assert {(problem.item, problem.code) for problem in problems} == {
        (None, "canonical.attribute"),
        ("Declaration[2]", "canonical.int_parsing"),
    }
    json_problems = _problems(
        batch_from_json, b'{"declarations": [{}, {}, {"TypeCode": ""}], "feed": ""}'
    )
    assert {(problem.item, problem.canonical_path) for problem in json_problems} == {
        ("Declaration[3]", "TypeCode"),
        (None, "feed"),
    }
