"""The project's UK CDS schema against the official WCO DEC-DMS schema and HMRC's samples.

Pins: both official samples are valid against the official driver schema and against ours;
a declaration using every element our schema declares is valid against the official schema
(so what validates here validates there); every element path, order and cardinality in our
schema is allowed by the official one; broken declarations fail ours with errors naming the
line and the element, and the official schema refuses them too.
"""

from __future__ import annotations

import copy
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import xmlschema
from lxml import etree

from gateway.resources import bundled_schemas_dir
from gateway.schemas import SchemaPack, load_schema, validation_errors

UK_CDS_SCHEMA = "destinations/uk-cds/uk-cds-declaration.xsd"
DEC = "urn:wco:datamodel:WCO:DEC-DMS:2"
MD = "urn:wco:datamodel:WCO:DocumentMetaData-DMS:2"
SAMPLE_NAMES = ["TT_IM124a_postal_B2C_SRDS_H7.xml", "TT_IM079a_C2C_low_value_SRDS.xml"]

# Every element of our schema, in its order, with values that respect the UK CDS rules.
FULL_DECLARATION = f"""<?xml version="1.0" encoding="UTF-8"?>
<md:MetaData xmlns:md="{MD}" xmlns="{DEC}">
  <md:WCODataModelVersionCode>3.6</md:WCODataModelVersionCode>
  <md:WCOTypeName>DEC</md:WCOTypeName>
  <md:ResponsibleCountryCode>GB</md:ResponsibleCountryCode>
  <md:ResponsibleAgencyName>HMRC</md:ResponsibleAgencyName>
  <md:AgencyAssignedCustomizationCode>H7</md:AgencyAssignedCustomizationCode>
  <md:AgencyAssignedCustomizationVersionCode>v2.1</md:AgencyAssignedCustomizationVersionCode>
  <Declaration>
    <FunctionCode>9</FunctionCode>
    <FunctionalReferenceID>GW.RR123456785GB</FunctionalReferenceID>
    <TypeCode>IMA</TypeCode>
    <GoodsItemQuantity>1</GoodsItemQuantity>
    <InvoiceAmount currencyID="GBP">25.50</InvoiceAmount>
    <TotalGrossMassMeasure unitCode="KGM">0.45</TotalGrossMassMeasure>
    <TotalPackageQuantity>1</TotalPackageQuantity>
    <Agent><FunctionCode>2</FunctionCode></Agent>
    <BorderTransportMeans><ModeCode>5</ModeCode></BorderTransportMeans>
    <Declarant>
      <Name>Royal Mail Group Ltd</Name>
      <ID>GB123456789000</ID>
      <Address>
        <CityName>London</CityName><CountryCode>GB</CountryCode>
        <CountrySubDivisionCode>ENG</CountrySubDivisionCode>
        <CountrySubDivisionName>England</CountrySubDivisionName>
        <Line>185 Farringdon Road</Line><PostcodeID>EC1A 1AA</PostcodeID>
      </Address>
    </Declarant>
    <Exporter>
      <Name>Shop Example Co</Name><ID>CN1234567</ID>
      <Address><CityName>Shenzhen</CityName><CountryCode>CN</CountryCode>
        <Line>1 Example Road</Line><PostcodeID>518000</PostcodeID></Address>
    </Exporter>
    <GoodsShipment>
      <Buyer><Name>Jane Buyer</Name><Address><CityName>Leeds</CityName>
        <CountryCode>GB</CountryCode><Line>2 High Street</Line><PostcodeID>LS1 1AA</PostcodeID>
      </Address></Buyer>
      <Consignee><Name>Jane Buyer</Name><Address><CityName>Leeds</CityName>
        <CountryCode>GB</CountryCode><Line>2 High Street</Line><PostcodeID>LS1 1AA</PostcodeID>
      </Address></Consignee>
      <Consignment>
        <GoodsLocation>
          <Name>LHRLHRLHR</Name><TypeCode>A</TypeCode>
          <Address><TypeCode>U</TypeCode><CountryCode>GB</CountryCode></Address>
        </GoodsLocation>
      </Consignment>
      <Consignor><Name>Shop Example Co</Name><Address><CityName>Shenzhen</CityName>
        <CountryCode>CN</CountryCode><Line>1 Example Road</Line></Address></Consignor>
      <CustomsValuation>
        <FreightChargeAmount currencyID="GBP">3.20</FreightChargeAmount>
      </CustomsValuation>
      <Destination><CountryCode>GB</CountryCode></Destination>
      <DomesticDutyTaxParty><ID>GB123456789</ID><RoleCode>FR1</RoleCode></DomesticDutyTaxParty>
      <ExportCountry><ID>CN</ID></ExportCountry>
      <GovernmentAgencyGoodsItem>
        <CustomsValueAmount currencyID="GBP">25.50</CustomsValueAmount>
        <SequenceNumeric>1</SequenceNumeric>
        <AdditionalDocument><CategoryCode>9</CategoryCode><ID>RR123456785GB</ID>
          <Name>Postal item</Name><TypeCode>WKS</TypeCode><LPCOExemptionCode>AE</LPCOExemptionCode>
        </AdditionalDocument>
        <AdditionalInformation><StatementCode>NIIMP</StatementCode>
          <StatementDescription>Imported by post</StatementDescription>
          <StatementTypeCode>AES</StatementTypeCode></AdditionalInformation>
        <Commodity>
          <Description>Cotton T-shirts for men</Description>
          <Classification><ID>6109100010</ID><IdentificationTypeCode>TSP</IdentificationTypeCode></Classification>
          <GoodsMeasure>
            <GrossMassMeasure unitCode="KGM">0.45</GrossMassMeasure>
            <NetNetWeightMeasure unitCode="KGM">0.4</NetNetWeightMeasure>
          </GoodsMeasure>
          <InvoiceLine><ItemChargeAmount currencyID="GBP">25.50</ItemChargeAmount></InvoiceLine>
        </Commodity>
        <GovernmentProcedure><CurrentCode>40</CurrentCode><PreviousCode>00</PreviousCode></GovernmentProcedure>
        <GovernmentProcedure><CurrentCode>1H7</CurrentCode></GovernmentProcedure>
        <Origin><CountryCode>CN</CountryCode><TypeCode>1</TypeCode></Origin>
        <Packaging><SequenceNumeric>1</SequenceNumeric><MarksNumbersID>RR123456785GB</MarksNumbersID>
          <QuantityQuantity>1</QuantityQuantity><TypeCode>PK</TypeCode></Packaging>
        <PreviousDocument><CategoryCode>Z</CategoryCode><ID>RR123456785GB</ID>
          <TypeCode>271</TypeCode><LineNumeric>1</LineNumeric></PreviousDocument>
      </GovernmentAgencyGoodsItem>
      <Importer><Name>Jane Buyer</Name><ID>GB987654321000</ID>
        <Address><CityName>Leeds</CityName><CountryCode>GB</CountryCode>
        <Line>2 High Street</Line><PostcodeID>LS1 1AA</PostcodeID></Address></Importer>
      <PreviousDocument><CategoryCode>Z</CategoryCode><ID>PL-1</ID><TypeCode>271</TypeCode></PreviousDocument>
      <Seller><Name>Shop Example Co</Name><ID>CN1234567</ID></Seller>
    </GoodsShipment>
  </Declaration>
</md:MetaData>
""".encode()


def _parse(xml_bytes: bytes) -> etree._Element:
    parser = etree.XMLParser(no_network=True, resolve_entities=False, load_dtd=False)
    return etree.fromstring(xml_bytes, parser)


def _sample_bytes(pack: SchemaPack, name: str) -> bytes:
    return (pack.folder / "wco-dm-hmrc-cds" / "samples" / name).read_bytes()


def _reparsed(root: etree._Element) -> etree._Element:
    """Serialise and parse again so that line numbers match the text that is validated."""
    return _parse(etree.tostring(root, pretty_print=True))


def _dec(root: etree._Element, path: str) -> etree._Element:
    found = root.find(path, {"d": DEC, "md": MD})
    assert found is not None, path
    return found


# ----------------------------------------------------------------- samples validate


@pytest.mark.parametrize("sample", SAMPLE_NAMES)
def test_official_sample_is_valid_against_the_official_driver_schema(
    sample: str, official_pack: SchemaPack, assert_valid_official: object
) -> None:
    """HMRC's own low-value samples pass the official WCO DEC + MetaData driver schema."""
    assert callable(assert_valid_official)
    assert_valid_official("uk-cds", _sample_bytes(official_pack, sample))


@pytest.mark.parametrize("sample", SAMPLE_NAMES)
def test_official_sample_is_valid_against_the_project_schema(
    sample: str, official_pack: SchemaPack
) -> None:
    """Our tighter UK CDS schema still accepts HMRC's own low-value samples."""
    errors = validation_errors(
        load_schema(UK_CDS_SCHEMA), _parse(_sample_bytes(official_pack, sample))
    )
    assert errors == []


def test_declaration_using_every_project_element_is_valid_against_both_schemas(
    assert_valid_official: object,
) -> None:
    """A declaration with every element our schema knows validates here and officially."""
    assert callable(assert_valid_official)
    assert validation_errors(load_schema(UK_CDS_SCHEMA), _parse(FULL_DECLARATION)) == []
    assert_valid_official("uk-cds", FULL_DECLARATION)


# --------------------------------------------- structure is a subset of the official


def _children(element: Any) -> list[Any]:
    """The child element declarations of an xmlschema element, in document order."""
    element_type: Any = element.type
    if not element_type.is_complex() or element_type.has_simple_content():
        return []
    return [c for c in element_type.content.iter_elements() if hasattr(c, "local_name")]


def _max(value: int | None) -> float:
    return float("inf") if value is None else float(value)


def _structure_mismatches(ours: Any, official: Any, path: str) -> Iterator[str]:
    official_children = _children(official)
    official_names = [child.local_name for child in official_children]
    position = -1
    for child in _children(ours):
        where = f"{path}/{child.local_name}"
        if child.local_name not in official_names:
            yield f"{where} is not in the official schema"
            continue
        index = official_names.index(child.local_name)
        if index <= position:
            yield f"{where} comes earlier in the official order"
        position = index
        match = official_children[index]
        if child.min_occurs < match.min_occurs or _max(child.max_occurs) > _max(match.max_occurs):
            yield (
                f"{where} occurs {child.min_occurs}..{child.max_occurs}, officially "
                f"{match.min_occurs}..{match.max_occurs}"
            )
        yield from _structure_mismatches(child, match, where)


def test_every_project_element_has_the_official_name_position_and_cardinality(
    official_pack: SchemaPack,
) -> None:
    """Walks our schema: each element exists at the same path, in the same relative order,
    and occurs no more freely than the official WCO DEC-DMS and MetaData schemas allow."""
    ours = xmlschema.XMLSchema(str(bundled_schemas_dir() / UK_CDS_SCHEMA))
    folder = official_pack.folder / "wco-dm-hmrc-cds"
    official_dec = xmlschema.XMLSchema(str(folder / "WCO_DEC_2_DMS.xsd"))
    official_md = xmlschema.XMLSchema(str(folder / "DocumentMetaData_2_DMS.xsd"))

    our_metadata = ours.elements["MetaData"]
    header = [c for c in _children(our_metadata) if c.local_name != "Declaration"]
    official_header = [c.local_name for c in _children(official_md.elements["MetaData"])]
    assert [c.local_name for c in header] == [
        n for n in official_header if n in {c.local_name for c in header}
    ]
    assert _children(our_metadata)[-1].local_name == "Declaration"

    our_declaration = ours.maps.elements[f"{{{DEC}}}Declaration"]
    mismatches = list(
        _structure_mismatches(our_declaration, official_dec.elements["Declaration"], "Declaration")
    )
    assert mismatches == []


# --------------------------------------------------- broken declarations are refused


def test_missing_function_code_is_refused_naming_the_line_and_element(
    official_pack: SchemaPack,
) -> None:
    """Without FunctionCode the first child is refused, and the error says FunctionCode."""
    root = _parse(_sample_bytes(official_pack, SAMPLE_NAMES[0]))
    function_code = _dec(root, "d:Declaration/d:FunctionCode")
    function_code.getparent().remove(function_code)  # type: ignore[union-attr]
    broken = _reparsed(root)
    expected_line = _dec(broken, "d:Declaration/d:FunctionalReferenceID").sourceline

    errors = validation_errors(load_schema(UK_CDS_SCHEMA), broken)

    assert any(
        e.startswith(f"line {expected_line}:")
        and "FunctionalReferenceID" in e
        and "FunctionCode" in e
        for e in errors
    ), errors
    assert validation_errors(official_pack.validator("uk-cds"), broken)


def test_elements_out_of_order_are_refused_naming_the_line_and_element(
    official_pack: SchemaPack,
) -> None:
    """TypeCode placed before FunctionalReferenceID breaks the official order and is refused."""
    root = _parse(_sample_bytes(official_pack, SAMPLE_NAMES[0]))
    type_code = _dec(root, "d:Declaration/d:TypeCode")
    _dec(root, "d:Declaration/d:FunctionalReferenceID").addprevious(type_code)
    broken = _reparsed(root)
    misplaced = _dec(broken, "d:Declaration/d:TypeCode")

    errors = validation_errors(load_schema(UK_CDS_SCHEMA), broken)

    assert errors, "an out-of-order declaration was accepted"
    assert errors[0].startswith(f"line {misplaced.sourceline}: Element 'TypeCode'"), errors
    assert "Expected is ( FunctionalReferenceID )" in errors[0]
    assert errors[0].endswith("(at /MetaData/Declaration/TypeCode)")
    assert validation_errors(official_pack.validator("uk-cds"), broken)


def test_bad_currency_code_is_refused_naming_the_line_and_attribute(
    official_pack: SchemaPack,
) -> None:
    """A currency that is not three upper-case ISO 4217 letters is refused on its line."""
    root = _parse(_sample_bytes(official_pack, SAMPLE_NAMES[0]))
    _dec(root, ".//d:CustomsValueAmount").set("currencyID", "usd")
    broken = _reparsed(root)
    amount_line = _dec(broken, ".//d:CustomsValueAmount").sourceline

    errors = validation_errors(load_schema(UK_CDS_SCHEMA), broken)

    assert len(errors) == 1, errors
    assert errors[0].startswith(f"line {amount_line}:")
    assert "currencyID" in errors[0] and "usd" in errors[0]
    assert validation_errors(official_pack.validator("uk-cds"), broken)


@pytest.mark.parametrize(
    ("path", "value", "reason"),
    [
        ("d:Declaration/d:FunctionCode", "13", "only originals (9) are sent"),
        (".//d:Exporter/d:Address/d:CountryCode", "au", "country codes are upper case"),
        (".//d:Classification/d:ID", "97AB00", "commodity codes are digits"),
        (".//d:Commodity/d:Description", "x" * 513, "descriptions are at most 512 characters"),
        (".//d:BorderTransportMeans/d:ModeCode", "6", "6 is not a UK transport mode"),
    ],
)
def test_project_schema_is_tighter_than_the_official_one_where_uk_rules_are_known(
    path: str, value: str, reason: str, official_pack: SchemaPack
) -> None:
    """Values the loose official schema accepts but UK CDS H7 rules forbid fail ours only."""
    root = _parse(_sample_bytes(official_pack, SAMPLE_NAMES[0]))
    target = _dec(root, path)
    target.text = value
    changed = _reparsed(root)
    local_name = etree.QName(target).localname

    ours = validation_errors(load_schema(UK_CDS_SCHEMA), changed)
    official = validation_errors(official_pack.validator("uk-cds"), changed)

    assert ours, f"our schema accepted a value although {reason}"
    assert any(local_name in e for e in ours), ours
    if local_name != "Description":  # the official schema caps descriptions at 512 too
        assert official == [], official


def test_full_declaration_fixture_is_not_trivially_valid() -> None:
    """The all-elements fixture is checked for real: dropping its goods item makes it fail."""
    root = _parse(FULL_DECLARATION)
    item = _dec(root, ".//d:GovernmentAgencyGoodsItem")
    item.getparent().remove(item)  # type: ignore[union-attr]
    assert validation_errors(load_schema(UK_CDS_SCHEMA), copy.deepcopy(root))


def test_official_pack_folder_is_the_reference_standards(official_pack: SchemaPack) -> None:
    """The pack fixture points at the shared standards folder next to the repository."""
    expected = Path(__file__).resolve().parents[3] / "shared" / "standards"
    assert official_pack.folder.resolve() == expected.resolve()
