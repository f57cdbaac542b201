"""The wco-dec feed and destination, checked against the inputs read independently with lxml.

Feed: HMRC's DEC samples (a partner administration's WCO DM 3.6 declaration) become canonical
declarations carrying the same identifiers, parties, values, codes and masses; broken copies
are refused with the right problem codes and source paths; envelope elements no rule reads
are reported as unmapped. Destination: canonical declarations from the postal samples become
DEC documents carrying the same values.
"""

from __future__ import annotations

from decimal import Decimal
from pathlib import Path

import pytest
from lxml import etree

from gateway.canonical import CANONICAL_NS
from gateway.pipeline import Pipeline

REPO_ROOT = Path(__file__).resolve().parents[2]
HMRC_SAMPLES = REPO_ROOT.parent / "shared" / "standards" / "wco-dm-hmrc-cds" / "samples"
UPU_SAMPLES = REPO_ROOT / "samples" / "upu-itmatt"
DEC = "urn:wco:datamodel:WCO:DEC-DMS:2"
UPU = "urn:customs-gateway:feed:upu-itmatt:1"
NS = {"d": DEC, "c": CANONICAL_NS, "u": UPU}

pytestmark = pytest.mark.skipif(
    not HMRC_SAMPLES.is_dir(), reason="the reference standards folder is not present"
)


def _sample(name: str) -> bytes:
    return (HMRC_SAMPLES / name).read_bytes()


def _text(element: etree._Element, path: str) -> str:
    found = element.xpath(f"string({path})", namespaces=NS)
    assert isinstance(found, str)
    return found.strip()


@pytest.fixture(scope="module")
def pipeline() -> Pipeline:
    return Pipeline()


@pytest.mark.parametrize(
    "name", ["TT_IM124a_postal_B2C_SRDS_H7.xml", "TT_IM079a_C2C_low_value_SRDS.xml"]
)
def test_hmrc_declaration_values_arrive_in_canonical(pipeline: Pipeline, name: str) -> None:
    """Identifiers, parties, values, codes, masses and documents of the DEC reach canonical."""
    data = _sample(name)
    source = etree.fromstring(data).find(f"{{{DEC}}}Declaration")
    assert source is not None
    result = pipeline.read_feed("wco-dec", data, source_name=name)
    assert result.readable
    assert len(result.declarations) == 1
    declaration = result.declarations[0]
    assert declaration.accepted, [p.message for p in declaration.problems]
    canonical = declaration.element

    lrn = _text(source, "d:FunctionalReferenceID")
    assert declaration.declaration_id == lrn
    pairs = {
        "FunctionalReferenceID": "d:FunctionalReferenceID",
        "FunctionCode": "d:FunctionCode",
        "TypeCode": "d:TypeCode",
        "Declarant/ID": "d:Declarant/d:ID",
        "Agent/FunctionCode": "d:Agent/d:FunctionCode",
        "BorderTransportMeans/ModeCode": "d:BorderTransportMeans/d:ModeCode",
        "Exporter/Name": "d:Exporter/d:Name",
        "Exporter/Address/Line": "d:Exporter/d:Address/d:Line",
        "Exporter/Address/CityName": "d:Exporter/d:Address/d:CityName",
        "Exporter/Address/PostcodeID": "d:Exporter/d:Address/d:PostcodeID",
        "Exporter/Address/CountryCode": "d:Exporter/d:Address/d:CountryCode",
        "GoodsShipment/Importer/ID": "d:GoodsShipment/d:Importer/d:ID",
        "GoodsShipment/Consignment/GoodsLocation/Name": "d:GoodsShipment/d:Consignment/d:GoodsLocation/d:Name",
        "GoodsShipment/PreviousDocument/ID": "d:GoodsShipment/d:PreviousDocument/d:ID",
        "GoodsShipment/PreviousDocument/TypeCode": "d:GoodsShipment/d:PreviousDocument/d:TypeCode",
    }
    for canonical_path, source_path in pairs.items():
        expected = _text(source, source_path)
        assert expected, source_path
        c_path = "/".join(f"c:{step}" for step in canonical_path.split("/"))
        assert _text(canonical, c_path) == expected, canonical_path

    freight = source.find("d:GoodsShipment/d:CustomsValuation/d:FreightChargeAmount", NS)
    c_freight = canonical.find("c:GoodsShipment/c:CustomsValuation/c:FreightChargeAmount", NS)
    assert freight is not None and c_freight is not None
    assert Decimal(c_freight.text or "") == Decimal(freight.text or "")
    assert c_freight.get("currencyID") == freight.get("currencyID")

    items = source.findall("d:GoodsShipment/d:GovernmentAgencyGoodsItem", NS)
    c_items = canonical.findall("c:GoodsShipment/c:GovernmentAgencyGoodsItem", NS)
    assert len(c_items) == len(items) == int(_text(source, "d:GoodsItemQuantity"))
    for item, c_item in zip(items, c_items, strict=True):
        value, c_value = (
            item.find("d:CustomsValueAmount", NS),
            c_item.find("c:CustomsValueAmount", NS),
        )
        assert value is not None and c_value is not None
        assert Decimal(c_value.text or "") == Decimal(value.text or "")
        assert c_value.get("currencyID") == value.get("currencyID")
        assert _text(c_item, "c:Commodity/c:Description") == _text(
            item, "d:Commodity/d:Description"
        )
        assert _text(c_item, "c:Commodity/c:Classification/c:ID") == _text(
            item, "d:Commodity/d:Classification/d:ID"
        )
        gross = item.find("d:Commodity/d:GoodsMeasure/d:GrossMassMeasure", NS)
        c_gross = c_item.find("c:Commodity/c:GoodsMeasure/c:GrossMassMeasure", NS)
        assert gross is not None and c_gross is not None
        assert Decimal(c_gross.text or "") == Decimal(gross.text or "")
        assert c_gross.get("unitCode") == "KGM" == gross.get("unitCode")
        procedures = [
            (_text(p, "d:CurrentCode"), _text(p, "d:PreviousCode"))
            for p in item.findall("d:GovernmentProcedure", NS)
        ]
        c_procedures = [
            (_text(p, "c:CurrentCode"), _text(p, "c:PreviousCode"))
            for p in c_item.findall("c:GovernmentProcedure", NS)
        ]
        assert c_procedures == procedures
        assert [
            _text(a, "c:StatementCode") for a in c_item.findall("c:AdditionalInformation", NS)
        ] == [_text(a, "d:StatementCode") for a in item.findall("d:AdditionalInformation", NS)]
        assert [_text(a, "c:ID") for a in c_item.findall("c:AdditionalDocument", NS)] == [
            _text(a, "d:ID") for a in item.findall("d:AdditionalDocument", NS)
        ]


def test_envelope_elements_no_rule_reads_are_reported_unmapped(pipeline: Pipeline) -> None:
    """The md: envelope is not part of the canonical model: --trace lists it as unmapped."""
    result = pipeline.read_feed("wco-dec", _sample("TT_IM124a_postal_B2C_SRDS_H7.xml"), trace=True)
    assert "WCOTypeName" in result.unmapped
    assert "ResponsibleAgencyName" in result.unmapped
    assert not any(path.startswith("Declaration/GoodsShipment") for path in result.unmapped)


def _broken(edit: str) -> bytes:
    """The H7 sample with one change applied (edit names which)."""
    root = etree.fromstring(_sample("TT_IM124a_postal_B2C_SRDS_H7.xml"))
    declaration = root.find(f"{{{DEC}}}Declaration")
    assert declaration is not None
    if edit == "no-lrn":
        lrn = declaration.find("d:FunctionalReferenceID", NS)
        assert lrn is not None
        declaration.remove(lrn)
    elif edit == "bad-hs":
        code = declaration.find(
            "d:GoodsShipment/d:GovernmentAgencyGoodsItem/d:Commodity/d:Classification/d:ID", NS
        )
        assert code is not None
        code.text = "97A2"
    elif edit == "bad-value":
        value = declaration.find(
            "d:GoodsShipment/d:GovernmentAgencyGoodsItem/d:CustomsValueAmount", NS
        )
        assert value is not None
        value.text = "one hundred"
    return etree.tostring(root)


@pytest.mark.parametrize(
    ("edit", "code", "source_path"),
    [
        ("no-lrn", "required.missing", "Declaration[1]/FunctionalReferenceID"),
        (
            "bad-hs",
            "hs.shape",
            "Declaration[1]/GoodsShipment/GovernmentAgencyGoodsItem[1]/Commodity/Classification[1]/ID",
        ),
        (
            "bad-value",
            "value.not-a-number",
            "Declaration[1]/GoodsShipment/GovernmentAgencyGoodsItem[1]/CustomsValueAmount",
        ),
    ],
)
def test_broken_declarations_are_refused_with_code_and_source_path(
    pipeline: Pipeline, edit: str, code: str, source_path: str
) -> None:
    """A DEC missing its LRN, with a malformed HS code or a non-numeric value is refused."""
    result = pipeline.read_feed("wco-dec", _broken(edit), source_name=f"{edit}.xml")
    assert len(result.declarations) == 1
    declaration = result.declarations[0]
    assert not declaration.accepted
    found = [(p.code, p.source_path) for p in declaration.problems if p.is_error]
    assert any(c == code for c, _ in found), found
    assert any(c == code and (path or "").startswith(source_path) for c, path in found), found


def test_not_a_dec_message_is_refused_as_a_whole(pipeline: Pipeline) -> None:
    """A document whose root is not md:MetaData is refused with an xml.root problem."""
    result = pipeline.read_feed(
        "wco-dec", b"<Declaration xmlns='urn:wco:datamodel:WCO:DEC-DMS:2'/>"
    )
    assert not result.readable
    assert [p.code for p in result.problems] == ["xml.root"]


def test_postal_declarations_arrive_in_the_dec_document(pipeline: Pipeline) -> None:
    """Item ID, parties, values, HS codes and masses of the ITMATT input are in the DEC output."""
    data = (UPU_SAMPLES / "us-to-gb.xml").read_bytes()
    source_items = {
        _text(item, "u:ItemID"): item for item in etree.fromstring(data).findall("u:Item", NS)
    }
    rendered = [
        d for d in pipeline.translate("upu-itmatt", "wco-dec", data).declarations if d.accepted
    ]
    assert rendered
    pounds = {"LBR": Decimal("0.45359237"), "ONZ": Decimal("0.028349523125"), "KGM": Decimal(1)}
    for declaration in rendered:
        assert declaration.output is not None
        out = etree.fromstring(declaration.output).find("d:Declaration", NS)
        assert out is not None
        item = source_items[declaration.declaration_id]
        assert _text(out, "d:FunctionalReferenceID") == _text(item, "u:ItemID")
        assert _text(out, "d:GoodsShipment/d:Consignor/d:Name") == _text(item, "u:Sender/u:Name")
        assert _text(out, "d:GoodsShipment/d:Consignee/d:Name") == _text(item, "u:Addressee/u:Name")
        assert _text(out, "d:GoodsShipment/d:ExportCountry/d:ID") == _text(item, "u:OriginCountry")
        weight = item.find("u:GrossWeight", NS)
        assert weight is not None
        expected_kg = Decimal(weight.text or "") * pounds[weight.get("unit", "KGM")]
        assert abs(Decimal(_text(out, "d:TotalGrossMassMeasure")) - expected_kg) < Decimal(
            "0.000001"
        )
        contents = item.findall("u:Contents/u:Content", NS)
        goods = out.findall("d:GoodsShipment/d:GovernmentAgencyGoodsItem", NS)
        assert len(goods) == len(contents)
        for content, good in zip(contents, goods, strict=True):
            assert Decimal(_text(good, "d:CustomsValueAmount")) == Decimal(
                _text(content, "u:Value")
            )
            value = good.find("d:CustomsValueAmount", NS)
            source_value = content.find("u:Value", NS)
            assert value is not None and source_value is not None
            assert value.get("currencyID") == source_value.get("currency")
            assert _text(good, "d:Commodity/d:Classification/d:ID") == _text(content, "u:HSCode")
            assert _text(good, "d:Commodity/d:Description") == _text(content, "u:Description")
