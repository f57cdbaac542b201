"""The ITMATT-shaped feed schema: it compiles, documents itself, and takes exactly the shape."""

from __future__ import annotations

import copy
from pathlib import Path

import pytest
import xmlschema
from lxml import etree

from gateway.sample_feeds import ITMATT_NAMESPACE, itmatt_batch_bytes, make_s10

ROOT = Path(__file__).resolve().parents[2]
SCHEMA = ROOT / "schemas" / "feeds" / "upu-itmatt.xsd"
SAMPLES = ROOT / "samples" / "upu-itmatt"
FIXTURES = ROOT / "tests" / "fixtures" / "upu-itmatt"
XS = "http://www.w3.org/2001/XMLSchema"
NS = {"it": ITMATT_NAMESPACE}
SAFE = etree.XMLParser(resolve_entities=False, no_network=True, load_dtd=False)


@pytest.fixture(scope="module")
def schema() -> etree.XMLSchema:
    return etree.XMLSchema(etree.parse(str(SCHEMA), SAFE))


def load(path: Path) -> etree._ElementTree:
    return etree.parse(str(path), SAFE)


def errors(schema: etree.XMLSchema, document: etree._ElementTree) -> list[str]:
    """The schema's complaints about ``document``, empty when it is valid."""
    if schema.validate(document):
        return []
    return str(schema.error_log).splitlines()


def test_schema_is_valid_xsd_for_a_second_independent_processor() -> None:
    """xmlschema checks the schema against the XSD meta-schema, apart from libxml2."""
    compiled = xmlschema.XMLSchema10(str(SCHEMA))
    assert compiled.target_namespace == ITMATT_NAMESPACE
    assert compiled.is_valid(str(FIXTURES / "valid-one-item.xml"))


def test_schema_is_qualified_and_documents_every_element_and_attribute() -> None:
    tree = load(SCHEMA)
    root = tree.getroot()
    assert root.get("targetNamespace") == ITMATT_NAMESPACE
    assert root.get("elementFormDefault") == "qualified"
    declarations = tree.findall(f".//{{{XS}}}element") + tree.findall(f".//{{{XS}}}attribute")
    assert len(declarations) > 30
    undocumented = [
        d.get("name")
        for d in declarations
        if d.find(f"{{{XS}}}annotation/{{{XS}}}documentation") is None
    ]
    assert undocumented == []


SAMPLE_FILES = sorted(SAMPLES.glob("*.xml"))


def test_there_are_three_or_more_samples_and_a_readme_naming_each() -> None:
    assert len(SAMPLE_FILES) >= 3
    readme = (SAMPLES / "README.md").read_text(encoding="utf-8")
    for sample in SAMPLE_FILES:
        assert f"`{sample.name}`" in readme


@pytest.mark.parametrize("path", [*SAMPLE_FILES, FIXTURES / "valid-one-item.xml"], ids=str)
def test_schema_accepts_every_sample_and_the_valid_fixture(
    schema: etree.XMLSchema, path: Path
) -> None:
    assert errors(schema, load(path)) == []


@pytest.mark.parametrize("rate", [0.0, 0.5, 1.0])
def test_schema_accepts_generator_output_with_and_without_problems(
    schema: etree.XMLSchema, rate: float
) -> None:
    document = etree.ElementTree(
        etree.fromstring(itmatt_batch_bytes(60, seed=4, problem_rate=rate))
    )
    assert errors(schema, document) == []


def test_sample_s10_identifiers_have_right_check_digits_except_the_one_meant_wrong() -> None:
    wrong: list[tuple[str, str]] = []
    for sample in SAMPLE_FILES:
        for element in load(sample).iterfind(".//it:ItemID", NS):
            value = element.text or ""
            rebuilt = make_s10(value[:2], int(value[2:10]), value[11:])
            if rebuilt != value:
                wrong.append((sample.name, value))
    assert wrong == [("cn-to-gb-with-problems.xml", "RR220014678CN")]


@pytest.mark.parametrize("name", ["wrong-namespace.xml", "wrong-root.xml"])
def test_schema_refuses_a_foreign_root(schema: etree.XMLSchema, name: str) -> None:
    assert errors(schema, load(FIXTURES / name))


def _valid() -> etree._ElementTree:
    return copy.deepcopy(load(FIXTURES / "valid-one-item.xml"))


@pytest.mark.parametrize(
    "path",
    [
        "it:MessageHeader/it:MessageNumber",
        "it:MessageHeader/it:Sender",
        "it:Item/it:ItemID",
        "it:Item/it:Category",
        "it:Item/it:Addressee",
        "it:Item/it:GrossWeight",
        "it:Item/it:Contents/it:Content/it:Description",
        "it:Item/it:Contents/it:Content/it:Value",
    ],
)
def test_schema_requires_the_mandatory_elements(schema: etree.XMLSchema, path: str) -> None:
    document = _valid()
    element = document.getroot().find(path, NS)
    assert element is not None
    element.getparent().remove(element)  # type: ignore[union-attr]
    assert errors(schema, document)


@pytest.mark.parametrize(
    "path",
    [
        "it:Item/it:PostingDateTime",
        "it:Item/it:Postage",
        "it:Item/it:InsuredValue",
        "it:Item/it:Sender/it:Postcode",
        "it:Item/it:Sender/it:Phone",
        "it:Item/it:Sender/it:Email",
        "it:Item/it:Contents/it:Content/it:HSCode",
        "it:Item/it:Contents/it:Content/it:OriginCountry",
    ],
)
def test_schema_lets_optional_elements_be_left_out(schema: etree.XMLSchema, path: str) -> None:
    document = _valid()
    element = document.getroot().find(path, NS)
    assert element is not None
    element.getparent().remove(element)  # type: ignore[union-attr]
    assert errors(schema, document) == []


def test_schema_refuses_a_weight_without_unit_and_a_fourth_address_line(
    schema: etree.XMLSchema,
) -> None:
    document = _valid()
    gross = document.getroot().find("it:Item/it:GrossWeight", NS)
    assert gross is not None
    del gross.attrib["unit"]
    assert errors(schema, document)

    document = _valid()
    sender = document.getroot().find("it:Item/it:Sender", NS)
    assert sender is not None
    lines = sender.findall("it:AddressLine", NS)
    for extra in ("Line 3", "Line 4"):
        added = etree.Element(f"{{{ITMATT_NAMESPACE}}}AddressLine")
        added.text = extra
        lines[-1].addnext(added)
    assert errors(schema, document)


def test_schema_leaves_business_rules_to_the_checks(schema: etree.XMLSchema) -> None:
    """Unknown country, bad HS code, negative value and empty name are schema-valid."""
    document = _valid()
    root = document.getroot()
    for path, value in [
        ("it:Item/it:Contents/it:Content/it:OriginCountry", "XX"),
        ("it:Item/it:Contents/it:Content/it:HSCode", "61A9"),
        ("it:Item/it:Contents/it:Content/it:Value", "-3.00"),
        ("it:Item/it:Addressee/it:Name", ""),
        ("it:Item/it:ItemID", "RR123456780CN"),
    ]:
        element = root.find(path, NS)
        assert element is not None
        element.text = value
    assert errors(schema, document) == []


@pytest.mark.parametrize(
    "name",
    [
        "xxe.xml",
        "billion-laughs.xml",
        "external-dtd.xml",
        "malformed.xml",
        "latin1-declared-utf8.xml",
        "empty.xml",
        "not-xml.json",
    ],
)
def test_hostile_and_broken_fixtures_exist(name: str) -> None:
    assert (FIXTURES / name).is_file()


def test_hostile_fixtures_carry_what_their_names_say() -> None:
    assert b'SYSTEM "file:///etc/passwd"' in (FIXTURES / "xxe.xml").read_bytes()
    assert b"&lol9;" in (FIXTURES / "billion-laughs.xml").read_bytes()
    assert b'SYSTEM "http://' in (FIXTURES / "external-dtd.xml").read_bytes()
    assert (FIXTURES / "empty.xml").read_bytes() == b""
    latin1 = (FIXTURES / "latin1-declared-utf8.xml").read_bytes()
    assert latin1.startswith(b'<?xml version="1.0" encoding="UTF-8"?>')
    with pytest.raises(UnicodeDecodeError):
        latin1.decode("utf-8")
    assert "Café" in latin1.decode("iso-8859-1")
    with pytest.raises(etree.XMLSyntaxError):
        etree.fromstring((FIXTURES / "malformed.xml").read_bytes(), SAFE)
