"""Vague goods descriptions: the list is data, and filler words do not hide a vague term."""

from __future__ import annotations

import pytest

from gateway.checks import CheckSuite
from gateway.checks.descriptions import vagueness
from gateway.checks.reference import load_reference_data
from gateway.codelists import load_codelist
from tests.checks.canonical_xml import batch, declaration, item

TERMS = load_reference_data().vague_terms


@pytest.mark.parametrize(
    "description",
    [
        "Gift", "GIFTS", "gift.", "Goods", "parts", "Spare parts", "spare-parts", "accessories",
        "Samples", "various", "General cargo", "Said to contain", "S.T.C.", "clothes",
        "electronics", "stuff", "items", "merchandise", "Personal effects", "household goods",
        "toys", "tools", "equipment", "fashion", "some gifts", "Assorted misc toys",
        "2 x gifts", "a gift", "N/A", "ab", "??", "misc",
    ],
)  # fmt: skip
def test_vague_descriptions_are_recognised(description: str) -> None:
    assert vagueness(description, TERMS) is not None


@pytest.mark.parametrize(
    "description",
    [
        "Cotton T-shirts", "Leather wallet", "Gift box of dark chocolate", "Car spare parts: "
        "brake pads", "Toy cars made of plastic", "Wooden tools handles", "Tea", "USB cables",
    ],
)  # fmt: skip
def test_precise_descriptions_pass(description: str) -> None:
    assert vagueness(description, TERMS) is None


def test_every_term_of_the_bundled_list_is_vague_with_its_reason() -> None:
    terms = load_codelist("vague-descriptions")
    assert terms.columns == ("term", "reason")
    for term in terms.codes:
        assert vagueness(term, TERMS) == terms.get(term, "reason"), term


def test_vague_description_problem_names_value_path_and_reason() -> None:
    elements = batch(declaration(item(), item(description="Said to contain")))
    (problems,) = CheckSuite().run(elements, ["RR123456785GB"])
    (problem,) = problems
    assert problem.code == "description.vague"
    assert problem.rule == "vague-description"
    assert problem.item == "RR123456785GB"
    assert (
        problem.canonical_path == "GoodsShipment/GovernmentAgencyGoodsItem[2]/Commodity/Description"
    )
    assert problem.value == "Said to contain"
    assert "carrier's disclaimer" in problem.message
    assert problem.message.endswith(".")
