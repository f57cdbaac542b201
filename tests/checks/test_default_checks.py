"""The default checks: each finds its problem with item, indexed path, value and message."""

from __future__ import annotations

import pytest
from lxml import etree

from gateway.checks import CheckSuite
from gateway.problems import Problem, Severity
from tests.checks.canonical_xml import batch, declaration, ids, item

ITEM2 = "GoodsShipment/GovernmentAgencyGoodsItem[2]"


def run(*declarations: str) -> list[list[Problem]]:
    elements = batch(*declarations)
    return CheckSuite().run(elements, ids(len(elements)))


def only(problems: list[Problem], code: str) -> list[Problem]:
    return [problem for problem in problems if problem.code == code]


def test_valid_declarations_have_no_problems() -> None:
    assert run(declaration(), declaration(item(), item("Leather wallet", ("42023100",)))) == [
        [],
        [],
    ]


def test_hs_code_of_wrong_shape_is_reported_at_its_indexed_path() -> None:
    found = run(declaration(item(), item(hs=("1234567890", "12345"))))[0]
    (problem,) = only(found, "hs.shape")
    assert problem.item == "D1"
    assert problem.canonical_path == f"{ITEM2}/Commodity/Classification[2]/ID"
    assert problem.value == "12345"
    assert problem.rule == "hs-code"
    assert problem.severity is Severity.ERROR
    assert "'12345'" in problem.message and "6 to 10 digits" in problem.message


@pytest.mark.parametrize("code", ["61091", "12345678901", "6109.10", "61O910", ""])
def test_hs_codes_that_are_not_6_to_10_digits_fail(code: str) -> None:
    found = run(declaration(item(hs=(code,))))[0]
    assert [problem.value for problem in only(found, "hs.shape")] == ([code] if code else [])


def test_hs_additional_codes_are_not_checked_as_hs() -> None:
    extra = item().replace(
        "</Commodity>",
        "<Classification><ID>4001</ID><IdentificationTypeCode>TRA</IdentificationTypeCode>"
        "</Classification></Commodity>",
    )
    assert only(run(declaration(extra))[0], "hs.shape") == []


def test_unknown_country_codes_are_reported_wherever_they_are() -> None:
    extra = "<ExportCountry><ID>ZZ</ID></ExportCountry>"
    text = declaration(item(), item(origin="gb"), destination="XX").replace(
        "</GoodsShipment>", f"{extra}</GoodsShipment>"
    )
    found = only(run(text)[0], "codelist.country")
    assert sorted((problem.canonical_path, problem.value) for problem in found) == [
        ("GoodsShipment/Destination/CountryCode", "XX"),
        ("GoodsShipment/ExportCountry/ID", "ZZ"),
        (f"{ITEM2}/Origin[1]/CountryCode", "gb"),
    ]
    assert all("ISO 3166-1" in problem.message for problem in found)


def test_unknown_currency_attribute_is_reported_with_attribute_path() -> None:
    found = run(declaration(item(), item(currency="USX"), invoice_currency="eur"))[0]
    problems = only(found, "codelist.currency")
    assert sorted((problem.canonical_path, problem.value) for problem in problems) == [
        ("GoodsShipment/GovernmentAgencyGoodsItem[2]/CustomsValueAmount/@currencyID", "USX"),
        ("InvoiceAmount/@currencyID", "eur"),
    ]
    assert "ISO 4217" in problems[0].message


def test_net_mass_above_gross_mass_of_an_item() -> None:
    found = run(declaration(item(), item(gross="1.5", net="2")))[0]
    (problem,) = only(found, "mass.net-above-gross")
    assert problem.canonical_path == f"{ITEM2}/Commodity/GoodsMeasure/NetNetWeightMeasure"
    assert problem.value == "2"
    assert "2 KGM" in problem.message and "1.5 KGM" in problem.message


def test_masses_in_different_mass_units_are_converted_before_comparing() -> None:
    # 600 g net against 0.5 kg gross is too much; 400 g against 0.5 kg is fine.
    heavy = item(gross="0.5", net="600", net_unit="GRM")
    light = item(gross="0.5", net="400", net_unit="GRM")
    assert len(only(run(declaration(heavy))[0], "mass.net-above-gross")) == 1
    assert only(run(declaration(light))[0], "mass.net-above-gross") == []


def test_masses_in_units_that_cannot_be_compared_are_left_alone() -> None:
    found = run(declaration(item(net="9", net_unit="LTR")))[0]
    assert [problem for problem in found if problem.code.startswith("mass.")] == []


def test_sum_of_net_masses_above_total_gross_mass() -> None:
    found = run(declaration(item(net="0.3"), item(net="0.3"), total_gross="0.5"))[0]
    (problem,) = only(found, "mass.net-above-gross")
    assert problem.canonical_path == "TotalGrossMassMeasure"
    assert problem.value == "0.5"
    assert "0.6 KGM" in problem.message
    ok = run(declaration(item(net="0.1"), item(net="0.2"), total_gross="0.3"))[0]
    assert only(ok, "mass.net-above-gross") == []  # exact decimals: 0.1 + 0.2 is 0.3


def test_total_gross_mass_in_another_unit_is_converted() -> None:
    found = run(declaration(item(net="0.3"), item(net="0.3"), total_gross="500", total_unit="GRM"))
    assert [problem.value for problem in only(found[0], "mass.net-above-gross")] == ["500"]


def test_negative_and_non_numeric_values() -> None:
    found = run(declaration(item(), item(value="-1", quantity="two"), invoice="-0"))[0]
    negative = only(found, "value.negative")
    assert [(problem.canonical_path, problem.value) for problem in negative] == [
        (f"{ITEM2}/CustomsValueAmount", "-1")
    ]
    assert "negative" in negative[0].message
    (not_number,) = only(found, "value.not-a-number")
    assert not_number.canonical_path == f"{ITEM2}/Commodity/InvoiceLine/Quantity"
    assert not_number.value == "two"
    assert not_number.rule == "not-negative"


def test_item_without_description_is_reported_at_the_description_path() -> None:
    found = run(declaration(item(), item(description=None), item(description="  ")))[0]
    problems = only(found, "description.missing")
    assert [problem.canonical_path for problem in problems] == [
        f"{ITEM2}/Commodity/Description",
        "GoodsShipment/GovernmentAgencyGoodsItem[3]/Commodity/Description",
    ]
    assert all(problem.value is None for problem in problems)


def test_all_problems_of_all_declarations_are_reported_at_once() -> None:
    found = run(
        declaration(),
        declaration(item(description="gift", hs=("1",)), destination="XX"),
        declaration(),
        declaration(item(currency="ABC"), item(description="Toys")),
    )
    assert found[0] == [] and found[2] == []
    assert sorted(problem.code for problem in found[1]) == [
        "codelist.country",
        "description.vague",
        "hs.shape",
    ]
    assert {problem.item for problem in found[1]} == {"D2"}
    assert sorted(problem.code for problem in found[3]) == [
        "codelist.currency",
        "description.vague",
    ]
    assert {problem.item for problem in found[3]} == {"D4"}


def test_batch_that_is_a_subset_of_its_parent_only_reports_its_own_declarations() -> None:
    elements = batch(*(declaration(destination="XX") for _ in range(10)))
    found = CheckSuite().run([elements[3]], ["only"])
    assert [problem.item for problem in found[0]] == ["only"]


def test_declaration_without_a_parent_is_checked_too() -> None:
    (element,) = batch(declaration(destination="XX"))
    lone = etree.fromstring(etree.tostring(element))
    (problems,) = CheckSuite().run([lone], ["L"])
    assert [(problem.code, problem.canonical_path) for problem in problems] == [
        ("codelist.country", "GoodsShipment/Destination/CountryCode")
    ]


def test_disabled_default_check_does_not_run() -> None:
    elements = batch(declaration(destination="XX"))
    assert CheckSuite(disabled=["country-codes"]).run(elements, ["D1"]) == [[]]
    assert CheckSuite(defaults=False).run(elements, ["D1"]) == [[]]


def test_ids_must_match_the_batch() -> None:
    with pytest.raises(ValueError, match="2 declarations came with 1 ids"):
        CheckSuite().run(batch(declaration(), declaration()), ["D1"])


def test_masses_without_unit_codes_compare_only_with_each_other() -> None:
    both_bare = item(gross="1", net="2").replace(' unitCode="KGM"', "")
    one_bare = item(gross="1", net="2").replace(
        '<NetNetWeightMeasure unitCode="KGM">', "<NetNetWeightMeasure>"
    )
    assert len(only(run(declaration(both_bare))[0], "mass.net-above-gross")) == 1
    assert only(run(declaration(one_bare))[0], "mass.net-above-gross") == []


def test_empty_batch_gives_no_problems() -> None:
    assert CheckSuite().run([], []) == []
