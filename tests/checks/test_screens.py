"""The fast screens in front of the default checks never hide a problem the check would find.

Each default check first tests a cheap superset of its fields (shared batch-wide scans, floats,
one regular expression) and only then the exact rule. These tests put problems where a screen
could miss them: near-ties that floats cannot tell apart, fields outside their usual place,
values only the exact rule accepts, and batches mixing units.
"""

from __future__ import annotations

from decimal import Decimal

from hypothesis import given, settings
from hypothesis import strategies as st

from gateway.canonical import CANONICAL_NS
from gateway.checks import CheckSuite
from gateway.checks.identifiers import s10_check_digit
from gateway.checks.registry import BatchView
from gateway.problems import Problem
from tests.checks.canonical_xml import batch, declaration, ids, item

MASS = "mass.net-above-gross"


def run(*declarations: str) -> list[list[Problem]]:
    elements = batch(*declarations)
    return CheckSuite().run(elements, ids(len(elements)))


def codes(problems: list[Problem], code: str) -> list[tuple[str | None, str | None]]:
    return [(p.canonical_path, p.value) for p in problems if p.code == code]


def test_net_sum_above_total_by_less_than_float_precision_is_reported() -> None:
    # 0.3 + 0.30000000000000001 is above 0.6, though as floats the two sides are equal.
    text = declaration(item(net="0.3"), item(net="0.30000000000000001"), total_gross="0.6")
    assert codes(run(text)[0], MASS) == [("TotalGrossMassMeasure", "0.6")]


def test_item_net_above_gross_by_less_than_float_precision_is_reported() -> None:
    text = declaration(item(gross="0.3", net="0.30000000000000001"))
    found = codes(run(text)[0], MASS)
    assert found == [
        (
            "GoodsShipment/GovernmentAgencyGoodsItem[1]/Commodity/GoodsMeasure/NetNetWeightMeasure",
            "0.30000000000000001",
        )
    ]


def test_equal_net_and_gross_masses_pass() -> None:
    assert codes(run(declaration(item(gross="0.3", net="0.300"), total_gross="0.3"))[0], MASS) == []


def test_goods_measure_outside_a_goods_item_is_still_compared() -> None:
    measure = (
        '<GoodsMeasure><GrossMassMeasure unitCode="KGM">1</GrossMassMeasure>'
        '<NetNetWeightMeasure unitCode="KGM">2</NetNetWeightMeasure></GoodsMeasure>'
    )
    found = codes(run(declaration(extra=measure))[0], MASS)
    assert found == [("GoodsMeasure/NetNetWeightMeasure", "2")]


def test_batch_mixing_grams_and_kilograms_reports_both_kinds_of_excess() -> None:
    grams = declaration(item(gross="0.5", net="600", net_unit="GRM"))
    kilograms = declaration(item(gross="0.5", net="0.6"))
    found = run(grams, kilograms)
    assert [len(codes(problems, MASS)) for problems in found] == [1, 1]


def test_vague_description_outside_goods_items_is_not_reported() -> None:
    note = "<AdditionalInformation><Description>gift</Description></AdditionalInformation>"
    precise = item().replace("</Commodity>", f"{note}</Commodity>")
    assert codes(run(declaration(precise))[0], "description.vague") == []
    vague = item(description="gift").replace("</Commodity>", f"{note}</Commodity>")
    found = codes(run(declaration(vague))[0], "description.vague")
    assert found == [("GoodsShipment/GovernmentAgencyGoodsItem[1]/Commodity/Description", "gift")]


def test_item_described_only_outside_its_commodity_misses_its_description() -> None:
    note = (
        "<AdditionalInformation><Description>Cotton T-shirts</Description></AdditionalInformation>"
    )
    text = item(description=None).replace("</Commodity>", f"{note}</Commodity>")
    found = codes(run(declaration(item(), text))[0], "description.missing")
    assert found == [("GoodsShipment/GovernmentAgencyGoodsItem[2]/Commodity/Description", None)]


def test_blank_description_is_missing_but_non_breaking_space_is_text() -> None:
    # normalize-space() strips only XML blanks; U+00A0 is a character like any other.
    blank = run(declaration(item(description=" \t ")))[0]
    assert len(codes(blank, "description.missing")) == 1
    nbsp = run(declaration(item(description="\u00a0Cotton T-shirts")))[0]
    assert codes(nbsp, "description.missing") == []


def test_numbers_with_blanks_or_other_decimal_digits_are_numbers() -> None:
    # The screen refuses them; the exact rule accepts them, as it always did.
    text = declaration(item(value=" 12.50 ", quantity="\u0661\u0662"), invoice="5.")
    assert [p.code for p in run(text)[0] if p.rule == "not-negative"] == []


def test_negative_zero_and_bare_point_are_told_apart() -> None:
    found = run(declaration(item(quantity="-0", value=".")))[0]
    assert [(p.code, p.value) for p in found if p.rule == "not-negative"] == [
        ("value.not-a-number", ".")
    ]


def test_s10_check_digit_reads_non_ascii_digits_like_ascii_ones() -> None:
    assert s10_check_digit("\u0661\u0662\u0663\u0664\u0665\u0666\u0667\u0668") == 5
    assert s10_check_digit("12345678") == 5


def test_batch_view_scans_each_element_name_once_per_run() -> None:
    elements = batch(declaration(item(), item()), declaration())
    view = BatchView(elements, ids(2))
    tag = f"{{{CANONICAL_NS}}}CountryCode"
    first = view.elements(tag)
    assert view.elements(tag) is first
    assert len(first) == (3 + 2) + (3 + 1)  # consignee, consignor, destination; origins
    assert view.texts(tag) == [element.text for element in first]


_MASSES = st.decimals(min_value=0, max_value=100, places=4, allow_nan=False).map(str)


@settings(max_examples=150, deadline=None)
@given(net=_MASSES, gross=_MASSES)
def test_item_net_above_gross_is_reported_exactly_when_decimals_say_so(
    net: str, gross: str
) -> None:
    found = codes(run(declaration(item(net=net, gross=gross)))[0], MASS)
    assert len(found) == (1 if Decimal(net) > Decimal(gross) else 0)


@settings(max_examples=150, deadline=None)
@given(nets=st.lists(_MASSES, min_size=1, max_size=4), total=_MASSES)
def test_net_sum_above_total_is_reported_exactly_when_decimals_say_so(
    nets: list[str], total: str
) -> None:
    items = [item(net=net, gross=None) for net in nets]
    found = codes(run(declaration(*items, total_gross=total))[0], MASS)
    above = sum(Decimal(net) for net in nets) > Decimal(total)
    assert found == ([("TotalGrossMassMeasure", total)] if above else [])


def test_batch_view_elements_of_lone_declarations_and_batch_roots_keep_scan_order() -> None:
    """Declarations picked out of a big parent are scanned one by one, after the batch roots;
    the shared scan lists their elements in that order, as iterating the view does."""
    small = batch(declaration(item(origin="DE"), item(origin="FR")), declaration())
    big = batch(*(declaration(destination=code) for code in ("GB", "IE", "NL", "BE", "LU")))
    picked = [*small, big[3]]
    view = BatchView(picked, ids(len(picked)))
    tags = (f"{{{CANONICAL_NS}}}CountryCode", f"{{{CANONICAL_NS}}}Origin")
    assert view.elements(*tags) == list(view.iter(*tags))
    assert [element.text for element in view.elements(tags[0])][-4:] == ["GB", "CN", "BE", "CN"]
