"""The project's own IE315 schema (schemas/destinations/ens-cc315a) against the official CC315A.

What validates against the project schema must validate against the official one: the
structure (names, nesting, order, cardinalities) is compared element by element, HMRC's valid
sample passes both and its invalid sample fails both, a declaration shaped like the gateway's
output passes both, and every value the project schema refuses that the official one takes is
a deliberate narrowing listed here.
"""

from __future__ import annotations

import copy
from pathlib import Path
from typing import Any

import pytest
import xmlschema
from lxml import etree

from gateway.schemas import SchemaPack, load_schema, validation_errors

REPO_ROOT = Path(__file__).resolve().parents[2]
STANDARDS_DIR = REPO_ROOT.parent / "shared" / "standards"
ENS_DIR = STANDARDS_DIR / "ens-uk-ics-hmrc"
PROJECT_SCHEMA_NAME = "destinations/ens-cc315a/ens-cc315a.xsd"
PROJECT_SCHEMA_FILE = REPO_ROOT / "schemas" / PROJECT_SCHEMA_NAME
ENS_NS = "http://ics.dgtaxud.ec/CC315A"
SAFE = etree.XMLParser(no_network=True, resolve_entities=False, load_dtd=False)

pytestmark = pytest.mark.skipif(
    not ENS_DIR.is_dir(), reason=f"the reference standards are not at {ENS_DIR}"
)


@pytest.fixture(scope="module")
def ours() -> etree.XMLSchema:
    return load_schema(PROJECT_SCHEMA_NAME)


@pytest.fixture(scope="module")
def official() -> etree.XMLSchema:
    return SchemaPack(STANDARDS_DIR).validator("ens-cc315a")


def _sample(name: str) -> etree._ElementTree:
    return etree.parse(str(ENS_DIR / "samples" / name), SAFE)


def _structure(element: Any, path: str = "") -> dict[str, list[tuple[str, int, int | None]]]:
    """Every complex element's path mapped to its children: (name, minOccurs, maxOccurs)."""
    here = f"{path}/{element.local_name}"
    if not element.type.has_complex_content():
        return {}
    children = list(element.type.content.iter_elements())
    found = {here: [(c.local_name, c.min_occurs, c.max_occurs) for c in children]}
    for child in children:
        found.update(_structure(child, here))
    return found


def test_structure_matches_the_official_schema_element_by_element() -> None:
    """Same element names, nesting, order and cardinalities as CC315A-v11-2.xsd."""
    official_schema = xmlschema.XMLSchema10(str(ENS_DIR / "CC315A-v11-2.xsd"))
    project_schema = xmlschema.XMLSchema10(str(PROJECT_SCHEMA_FILE))
    assert project_schema.target_namespace == ENS_NS
    expected = _structure(official_schema.elements["CC315A"])
    actual = _structure(project_schema.elements["CC315A"])
    assert len(expected) > 20
    assert actual == expected


def test_official_valid_sample_passes_both_schemas(
    ours: etree.XMLSchema, official: etree.XMLSchema
) -> None:
    sample = _sample("CC315A-schemaValidSample-v11-2.xml")
    assert validation_errors(official, sample) == []
    assert validation_errors(ours, sample) == []


def test_official_invalid_sample_fails_both_schemas(
    ours: etree.XMLSchema, official: etree.XMLSchema
) -> None:
    """HMRC's negative sample ('XXX' as counts) is refused by the official schema and ours."""
    sample = _sample("CC315A-schemaInvalidSample-v11-2.xml")
    assert validation_errors(official, sample)
    ours_errors = validation_errors(ours, sample)
    assert any("TotNumOfIteHEA305" in error for error in ours_errors)


GATEWAY_SHAPED = f"""<ens:CC315A xmlns:ens="{ENS_NS}">
  <MesSenMES3>GATEWAY</MesSenMES3>
  <DatOfPreMES9>240402</DatOfPreMES9>
  <TimOfPreMES10>0930</TimOfPreMES10>
  <MesIdeMES19>MSG000000001</MesIdeMES19>
  <MesTypMES20>CC315A</MesTypMES20>
  <HEAHEA>
    <RefNumHEA4>888-31415926</RefNumHEA4>
    <TraModAtBorHEA76>4</TraModAtBorHEA76>
    <IdeOfMeaOfTraCroHEA85>XQ2081</IdeOfMeaOfTraCroHEA85>
    <TotNumOfIteHEA305>2</TotNumOfIteHEA305>
    <TotNumOfPacHEA306>3</TotNumOfPacHEA306>
    <TotGroMasHEA307>24.6</TotGroMasHEA307>
    <DecPlaHEA394>LONDON</DecPlaHEA394>
    <SpeCirIndHEA1>A</SpeCirIndHEA1>
    <ComRefNumHEA>888-31415926</ComRefNumHEA>
    <ConRefNumHEA>XQ2081</ConRefNumHEA>
    <PlaLoaGOOITE334>HKHKG</PlaLoaGOOITE334>
    <PlaUnlGOOITE334>GBLHR</PlaUnlGOOITE334>
    <DecDatTimHEA114>202404020930</DecDatTimHEA114>
  </HEAHEA>
  <GOOITEGDS>
    <IteNumGDS7>1</IteNumGDS7>
    <GooDesGDS23>WIRELESS HEADPHONES</GooDesGDS23>
    <GroMasGDS46>18.2</GroMasGDS46>
    <ComRefNumGIM1>HKG00000101</ComRefNumGIM1>
    <TRACONCO2><NamCO27>HARBOURLIGHT AUDIO</NamCO27><StrAndNumCO222>23 SAMPLE STREET</StrAndNumCO222>
      <CitCO224>KOWLOON</CitCO224><CouCO225>HK</CouCO225></TRACONCO2>
    <COMCODGODITM><ComNomCMD1>851830</ComNomCMD1></COMCODGODITM>
    <TRACONCE2><NamCE27>NORTHGATE EXAMPLE</NamCE27><StrAndNumCE222>14 EXAMPLE TERRACE</StrAndNumCE222>
      <PosCodCE223>LS1 4AB</PosCodCE223><CitCE224>LEEDS</CitCE224><CouCE225>GB</CouCE225>
      <TINCE259>GB000000000000</TINCE259></TRACONCE2>
    <PACGS2><KinOfPacGS23>PK</KinOfPacGS23><NumOfPacGS24>2</NumOfPacGS24></PACGS2>
  </GOOITEGDS>
  <GOOITEGDS>
    <IteNumGDS7>2</IteNumGDS7>
    <GooDesGDS23>USB-C CHARGING CABLES</GooDesGDS23>
    <GroMasGDS46>6.4</GroMasGDS46>
    <COMCODGODITM><ComNomCMD1>85444290</ComNomCMD1></COMCODGODITM>
    <PACGS2><KinOfPacGS23>PK</KinOfPacGS23><NumOfPacGS24>1</NumOfPacGS24></PACGS2>
  </GOOITEGDS>
  <ITI><CouOfRouCodITI1>HK</CouOfRouCodITI1></ITI>
  <ITI><CouOfRouCodITI1>GB</CouOfRouCodITI1></ITI>
  <PERLODSUMDEC><NamPLD1>EXAMPLE FORWARDING (UK) LTD</NamPLD1><TINPLD1>GB000000000001</TINPLD1>
  </PERLODSUMDEC>
  <CUSOFFFENT730>
    <RefNumCUSOFFFENT731>GB000060</RefNumCUSOFFFENT731>
    <ExpDatOfArrFIRENT733>202404021840</ExpDatOfArrFIRENT733>
  </CUSOFFFENT730>
</ens:CC315A>
"""


def _gateway_shaped() -> etree._ElementTree:
    return etree.ElementTree(etree.fromstring(GATEWAY_SHAPED.encode(), SAFE))


def test_a_declaration_shaped_like_gateway_output_passes_both(
    ours: etree.XMLSchema, official: etree.XMLSchema
) -> None:
    """Header, per-item consignor/consignee, commodity code, mass, packages, itinerary,
    person lodging, office of first entry and transport mode: valid here and there."""
    document = _gateway_shaped()
    assert validation_errors(ours, document) == []
    assert validation_errors(official, document) == []


def _with(path: str, value: str | None) -> etree._ElementTree:
    """The gateway-shaped declaration with the element at ``path`` set to ``value``
    (removed when ``value`` is None)."""
    document = copy.deepcopy(_gateway_shaped())
    element = document.getroot().find(path)
    assert element is not None, path
    if value is None:
        parent = element.getparent()
        assert parent is not None
        parent.remove(element)
    else:
        element.text = value
    return document


@pytest.mark.parametrize(
    ("path", "value"),
    [
        ("HEAHEA/TotNumOfIteHEA305", "two"),
        ("HEAHEA/TraModAtBorHEA76", "400"),
        ("HEAHEA/DecDatTimHEA114", "202402301200"),
        ("HEAHEA/PlaLoaGOOITE334", "1KHKG"),
        ("GOOITEGDS/GroMasGDS46", "1.2345"),
        ("GOOITEGDS/COMCODGODITM/ComNomCMD1", "851"),
        ("GOOITEGDS/TRACONCE2/TINCE259", "gb1"),
        ("GOOITEGDS/PACGS2/KinOfPacGS23", "PKG"),
        ("CUSOFFFENT730/RefNumCUSOFFFENT731", "GB0000601"),
        ("ITI/CouOfRouCodITI1", "hk"),
        ("DatOfPreMES9", "240230"),
        ("HEAHEA/RefNumHEA4", None),
        ("PERLODSUMDEC/TINPLD1", None),
        ("CUSOFFFENT730", None),
    ],
)
def test_both_schemas_refuse_the_same_broken_declarations(
    ours: etree.XMLSchema, official: etree.XMLSchema, path: str, value: str | None
) -> None:
    document = _with(path, value)
    assert validation_errors(official, document), "the official schema should refuse this"
    assert validation_errors(ours, document), "the project schema should refuse this"


def test_message_type_is_narrowed_to_cc315a(
    ours: etree.XMLSchema, official: etree.XMLSchema
) -> None:
    """The one deliberate narrowing: another ICS message type is official-valid, not ours."""
    document = _with("MesTypMES20", "CC313A")
    assert validation_errors(official, document) == []
    assert validation_errors(ours, document)
