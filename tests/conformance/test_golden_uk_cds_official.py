"""Golden UK CDS outputs are valid against HMRC's official WCO DEC-DMS schema, and say what
the postal feed said (checked here independently of the engine, from the input XML)."""

from __future__ import annotations

from decimal import Decimal
from pathlib import Path

import pytest
from lxml import etree

from tests.conformance.conftest import AssertValidOfficial

REPO = Path(__file__).resolve().parents[2]
GOLDEN = REPO / "tests" / "golden" / "upu-itmatt" / "uk-cds"
OFFICIAL = {"uk-cds": "uk-cds", "wco-dec": "uk-cds", "ens-cc315a": "ens-cc315a"}
"""Destination -> the official validator its documents must pass (a DEC-DMS driver for both WCO forms)."""
OUTPUTS = sorted(
    path
    for destination in OFFICIAL
    for path in (REPO / "tests" / "golden").glob(f"*/{destination}/*/expected/*.xml")
)
ITM = "{urn:customs-gateway:feed:upu-itmatt:1}"
DEC = "{urn:wco:datamodel:WCO:DEC-DMS:2}"
TO_KG = {
    "KGM": Decimal(1),
    "GRM": Decimal("0.001"),
    "LBR": Decimal("0.45359237"),
    "ONZ": Decimal("0.028349523125"),
}


def test_every_destination_has_golden_outputs_to_check() -> None:
    for destination in OFFICIAL:
        assert any(path.parts[-4] == destination for path in OUTPUTS), destination


@pytest.mark.parametrize(
    "output", OUTPUTS, ids=[str(p.relative_to(REPO / "tests" / "golden")) for p in OUTPUTS]
)
def test_golden_output_is_valid_against_the_official_schema(
    output: Path, assert_valid_official: AssertValidOfficial
) -> None:
    """Every reviewed golden document of every feed passes the official schema of its format."""
    assert_valid_official(OFFICIAL[output.parts[-4]], output.read_bytes())


def _items(sample: Path) -> dict[str, etree._Element]:
    root = etree.parse(str(sample)).getroot()
    return {item.findtext(f"{ITM}ItemID", "").strip(): item for item in root.iter(f"{ITM}Item")}


@pytest.mark.parametrize("case", ["cn-to-gb-small", "us-to-gb"])
def test_uk_cds_declarations_carry_the_feed_values(case: Path) -> None:
    """Per item: LRN, item count, values, currencies, HS codes, net mass in kg, addressee."""
    items = _items(REPO / "samples" / "upu-itmatt" / f"{case}.xml")
    outputs = sorted((GOLDEN / str(case) / "expected").glob("*.xml"))
    assert outputs
    for output in outputs:
        declaration = etree.parse(str(output)).getroot().find(f"{DEC}Declaration")
        assert declaration is not None
        item_id = declaration.findtext(f"{DEC}FunctionalReferenceID")
        assert item_id in items
        item = items[item_id]
        contents = item.findall(f"{ITM}Contents/{ITM}Content")
        goods = declaration.findall(f"{DEC}GoodsShipment/{DEC}GovernmentAgencyGoodsItem")
        assert (
            declaration.findtext(f"{DEC}GoodsItemQuantity") == str(len(contents)) == str(len(goods))
        )
        for content, good in zip(contents, goods, strict=True):
            value = good.find(f"{DEC}CustomsValueAmount")
            assert value is not None
            assert Decimal(value.text or "") == Decimal(content.findtext(f"{ITM}Value", ""))
            assert value.get("currencyID") == content.find(f"{ITM}Value").get("currency")  # type: ignore[union-attr]
            assert good.findtext(f"{DEC}Commodity/{DEC}Classification/{DEC}ID") == content.findtext(
                f"{ITM}HSCode"
            )
            weight = content.find(f"{ITM}NetWeight")
            if weight is not None:
                expected = (Decimal(weight.text or "") * TO_KG[weight.get("unit", "")]).quantize(
                    Decimal("0.000001")
                )
                written = good.findtext(
                    f"{DEC}Commodity/{DEC}GoodsMeasure/{DEC}NetNetWeightMeasure"
                )
                assert Decimal(written or "") == expected
        importer = declaration.findtext(f"{DEC}GoodsShipment/{DEC}Importer/{DEC}Name")
        assert importer == item.findtext(f"{ITM}Addressee/{ITM}Name")
        codes = [c.text for c in declaration.iter(f"{DEC}CurrentCode")]
        assert {"40", "1H7", "C07"} <= set(codes)
