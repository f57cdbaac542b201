"""canonical -> wco-dec -> canonical keeps every field the WCO DEC profile can carry.

Canonical declarations come from three places: the bundled UPU ITMATT samples (upu-itmatt
feed), HMRC's two DEC samples (wco-dec feed), and one declaration built from the canonical
structure itself with every field filled (so a field added to the canonical model later
fails here until the wco-dec mappings place it or ``NO_PLACE_IN_DEC`` names it). Every
intermediate DEC document must validate against the official WCO DEC schema (the schema
pack's "uk-cds" DEC-DMS driver).
"""

from __future__ import annotations

from pathlib import Path

import pytest
from lxml import etree

from gateway.canonical import CANONICAL_NS
from gateway.canonical.structure import CanonicalElement, canonical_root
from gateway.pipeline import CanonicalDeclaration, FeedResult, Pipeline
from tests.conformance.conftest import UK_CDS_SAMPLES, AssertValidOfficial

REPO_ROOT = Path(__file__).resolve().parents[2]
UPU_SAMPLES = sorted((REPO_ROOT / "samples" / "upu-itmatt").glob("*.xml"))
HMRC_SAMPLES = ["TT_IM124a_postal_B2C_SRDS_H7.xml", "TT_IM079a_C2C_low_value_SRDS.xml"]

NO_PLACE_IN_DEC = (
    # project extensions
    "ECommerce",
    "GoodsShipment/Consignment/CategoryCode",
    "GoodsShipment/Consignment/TransportContractDocument",
    "GoodsShipment/Consignment/UnloadingLocation",
    "GoodsShipment/CustomsValuation/InsuranceChargeAmount",
    "GoodsShipment/GovernmentAgencyGoodsItem/Commodity/ProductID",
    "GoodsShipment/GovernmentAgencyGoodsItem/Commodity/ListingURI",
    "GoodsShipment/GovernmentAgencyGoodsItem/Commodity/InvoiceLine/UnitPriceAmount",
    "GoodsShipment/GovernmentAgencyGoodsItem/Commodity/InvoiceLine/Quantity",
    # WCO DM fields the DEC profile (WCO_DEC_2_DMS.xsd) has no element for at this place
    "GoodsShipment/Consignment/Packaging",
    "GoodsShipment/CustomsValuation/MethodCode",
    "AdditionalDocument/Name",
    "AdditionalDocument/LPCOExemptionCode",
    "Agent/Contact",
    "Agent/Communication",
    "Carrier/Contact",
    "GoodsShipment/Consignor/Contact",
    "GoodsShipment/Consignor/Communication",
    "GoodsShipment/Consignee/Contact",
    "GoodsShipment/Consignee/Communication",
    "GoodsShipment/Consignment/GoodsLocation/Address/CountrySubDivisionCode",
    "GoodsShipment/Consignment/GoodsLocation/Address/CountrySubDivisionName",
)
"""Canonical paths (prefixes) the WCO DEC profile has no place for; the round trip drops them.

Besides these, a party's Address/TypeCode (DEC has none outside the goods location) and a
second or further Communication of a party (DEC carries one) are dropped: see ``_lost``.
"""

Leaf = tuple[str, str]


def _leaves(declaration: etree._Element) -> list[Leaf]:
    """Every value of a canonical declaration as (path with positions, text), in order."""
    found: list[Leaf] = []

    def walk(element: etree._Element, path: str) -> None:
        counts: dict[str, int] = {}
        for child in element:
            if not isinstance(child.tag, str):
                continue
            name = etree.QName(child).localname
            counts[name] = counts.get(name, 0) + 1
            here = f"{path}/{name}[{counts[name]}]" if path else f"{name}[{counts[name]}]"
            if len(child):
                walk(child, here)
            elif (child.text or "").strip():
                found.append((here, (child.text or "").strip()))
            for attribute, value in sorted(child.attrib.items()):
                found.append((f"{here}/@{etree.QName(attribute).localname}", str(value)))

    walk(declaration, "")
    return found


def _generic(path: str) -> str:
    return "/".join(step.split("[")[0] for step in path.split("/"))


def _lost(path: str) -> bool:
    """True for a canonical value the WCO DEC profile cannot carry."""
    generic = _generic(path)
    if any(generic == p or generic.startswith(p + "/") for p in NO_PLACE_IN_DEC):
        return True
    steps = path.split("/")
    if any(step.startswith("Communication[") and step != "Communication[1]" for step in steps):
        return True
    return generic.endswith("/Address/TypeCode") and "GoodsLocation" not in generic


def _round_trip(
    pipeline: Pipeline, feed_result: FeedResult, assert_valid_official: AssertValidOfficial
) -> list[tuple[CanonicalDeclaration, etree._Element]]:
    pairs = []
    rendered = pipeline.render(feed_result, "wco-dec")
    originals = {d.index: d for d in feed_result.declarations}
    for out in rendered:
        original = originals[out.index]
        if not original.accepted:
            continue
        assert out.accepted, [p.message for p in out.problems]
        assert out.output is not None
        assert_valid_official("uk-cds", out.output)
        back = pipeline.read_feed("wco-dec", out.output, source_name=f"{out.declaration_id}.xml")
        assert back.readable, [p.message for p in back.problems]
        assert len(back.declarations) == 1
        returned = back.declarations[0]
        assert returned.accepted, [p.message for p in returned.problems]
        pairs.append((original, returned.element))
    return pairs


def _assert_same_where_dec_can_carry(original: etree._Element, returned: etree._Element) -> None:
    expected = [leaf for leaf in _leaves(original) if not _lost(leaf[0])]
    assert _leaves(returned) == expected


@pytest.mark.parametrize("sample", UPU_SAMPLES, ids=lambda path: path.stem)
def test_upu_declarations_survive_wco_dec_round_trip(
    sample: Path, assert_valid_official: AssertValidOfficial
) -> None:
    """Canonical from a postal feed comes back from DEC unchanged, bar the no-place fields."""
    pipeline = Pipeline()
    feed_result = pipeline.read_feed("upu-itmatt", sample.read_bytes(), source_name=sample.name)
    pairs = _round_trip(pipeline, feed_result, assert_valid_official)
    assert pairs
    for original, returned in pairs:
        _assert_same_where_dec_can_carry(original.element, returned)


def test_upu_round_trip_drops_only_the_no_place_fields() -> None:
    """The postal canonical really holds fields DEC cannot carry, and only those are dropped."""
    pipeline = Pipeline()
    sample = REPO_ROOT / "samples" / "upu-itmatt" / "us-to-gb.xml"
    feed_result = pipeline.read_feed("upu-itmatt", sample.read_bytes())
    dropped = {
        _generic(path)
        for d in feed_result.declarations
        for path, _ in _leaves(d.element)
        if _lost(path)
    }
    assert "GoodsShipment/Consignment/CategoryCode" in dropped
    assert "GoodsShipment/Consignment/TransportContractDocument/ID" in dropped


@pytest.mark.parametrize("sample", HMRC_SAMPLES)
def test_hmrc_declarations_survive_wco_dec_round_trip(
    sample: str, assert_valid_official: AssertValidOfficial
) -> None:
    """A partner's DEC read to canonical and written back reads to the same canonical."""
    data = (UK_CDS_SAMPLES / sample).read_bytes()
    pipeline = Pipeline()
    feed_result = pipeline.read_feed("wco-dec", data, source_name=sample)
    assert feed_result.readable
    pairs = _round_trip(pipeline, feed_result, assert_valid_official)
    assert len(pairs) == 1
    original, returned = pairs[0]
    assert not [leaf for leaf in _leaves(original.element) if _lost(leaf[0])]
    assert _leaves(returned) == _leaves(original.element)


# -- every field of the canonical model ------------------------------------------------------

_SAMPLE_VALUES = {
    "code": "A1",
    "id": "ID-7",
    "text": "Some text",
    "integer": "3",
    "decimal": "2.5",
    "amount": "12.5",
    "measure": "1.25",
    "datetime": "2026-11-19T11:42:00+08:00",
    "uri": "https://shop.example/item/7",
}
_BY_NAME = {
    "CountryCode": "GB",
    "RoutingCountryCode": "FR",
    "RegistrationNationalityCode": "DE",
    "FunctionCode": "9",
    "ID": "ID-7",
    "ContainerCode": "1",
    "ConditionCode": "CIF",
}
_NUMERIC_CODES = {"ModeCode", "TransactionNatureCode", "MethodCode", "CategoryCode"}


def _value(node: CanonicalElement, parent: str) -> str:
    if parent == "Classification" and node.name == "ID":
        return "61091000"
    if node.name == "TotalGrossMassMeasure":
        return "10"
    if node.name in _BY_NAME and not (node.name == "ID" and parent == "ExportCountry"):
        if node.name == "FunctionCode" and parent == "Agent":
            return "2"
        return _BY_NAME[node.name]
    if parent == "ExportCountry":
        return "CN"
    if node.name in _NUMERIC_CODES:
        return "1"
    return _SAMPLE_VALUES.get(node.kind, "X1")


def _fill(node: CanonicalElement, into: etree._Element, parent: str) -> None:
    copies = 2 if node.repeating else 1
    for number in range(1, copies + 1):
        element = etree.SubElement(into, f"{{{CANONICAL_NS}}}{node.name}")
        if node.is_group:
            for child in node.children:
                _fill(child, element, node.name)
            continue
        element.text = str(number) if node.name == "SequenceNumeric" else _value(node, parent)
        for attribute in node.attributes:
            element.set(attribute, {"currencyID": "EUR", "unitCode": "KGM"}.get(attribute, "X"))


def _full_declaration() -> etree._Element:
    batch = etree.Element(f"{{{CANONICAL_NS}}}DeclarationBatch", nsmap={None: CANONICAL_NS})  # type: ignore[dict-item]
    root = canonical_root()
    declaration = etree.SubElement(batch, f"{{{CANONICAL_NS}}}Declaration")
    for child in root.children:
        _fill(child, declaration, "Declaration")
    return declaration


def test_every_canonical_field_dec_can_carry_survives_the_round_trip(
    assert_valid_official: AssertValidOfficial,
) -> None:
    """A declaration with every canonical field filled loses only the no-place fields."""
    declaration = _full_declaration()
    feed_result = FeedResult(
        feed="canonical",
        message_id=None,
        declarations=(CanonicalDeclaration(0, "ID-7", None, declaration, ()),),
    )
    pipeline = Pipeline()
    pairs = _round_trip(pipeline, feed_result, assert_valid_official)
    assert len(pairs) == 1
    kept = [leaf for leaf in _leaves(declaration) if not _lost(leaf[0])]
    assert len(kept) > 200  # the whole model, not an empty shell
    _assert_same_where_dec_can_carry(declaration, pairs[0][1])
