"""gateway.schemas: loading project schemas, schema packs, hardened loading, error sentences."""

from __future__ import annotations

from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st
from lxml import etree

from gateway.errors import SchemaError
from gateway.schemas import SchemaPack, load_schema, validation_errors

UK_CDS_SCHEMA = "destinations/uk-cds/uk-cds-declaration.xsd"
XS = 'xmlns:xs="http://www.w3.org/2001/XMLSchema"'


def _write_schema(folder: Path, name: str, body: str) -> Path:
    path = folder / name
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(f'<?xml version="1.0"?>\n<xs:schema {XS}>{body}</xs:schema>\n')
    return path


def test_bundled_uk_cds_schema_loads_and_is_cached() -> None:
    """The shipped UK CDS schema compiles, and a second call returns the same object."""
    first = load_schema(UK_CDS_SCHEMA)
    assert isinstance(first, etree.XMLSchema)
    assert load_schema(UK_CDS_SCHEMA) is first


def test_missing_schema_is_a_schema_error_naming_it() -> None:
    """Asking for a schema no folder has raises SchemaError with the name in the sentence."""
    with pytest.raises(SchemaError, match=r"destinations/nowhere\.xsd"):
        load_schema("destinations/nowhere.xsd")


@pytest.mark.parametrize("name", ["../pyproject.toml", "/etc/passwd", "", "a/../../b.xsd"])
def test_schema_names_cannot_leave_the_schema_folders(name: str) -> None:
    """Absolute paths and '..' are refused before any file is touched."""
    with pytest.raises(SchemaError, match="not a relative path"):
        load_schema(name)


def test_operator_schema_folder_is_searched_first(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A schema in GATEWAY_SCHEMAS_PATH shadows the bundled one of the same name."""
    _write_schema(tmp_path, UK_CDS_SCHEMA, '<xs:element name="only" type="xs:string"/>')
    monkeypatch.setenv("GATEWAY_SCHEMAS_PATH", str(tmp_path))
    schema = load_schema(UK_CDS_SCHEMA)
    assert validation_errors(schema, etree.fromstring(b"<only>x</only>")) == []


def test_broken_schema_is_a_schema_error(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """A schema referring to an undefined type does not compile: SchemaError says so."""
    _write_schema(tmp_path, "broken.xsd", '<xs:element name="a" type="nowhere"/>')
    monkeypatch.setenv("GATEWAY_SCHEMAS_PATH", str(tmp_path))
    with pytest.raises(SchemaError, match="does not compile"):
        load_schema("broken.xsd")


def test_not_xml_is_a_schema_error(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """A schema file that is not XML at all is refused with a SchemaError."""
    (tmp_path / "junk.xsd").write_text("this is not xml")
    monkeypatch.setenv("GATEWAY_SCHEMAS_PATH", str(tmp_path))
    with pytest.raises(SchemaError, match="could not be read"):
        load_schema("junk.xsd")


@pytest.mark.parametrize(
    "location",
    [
        "http://127.0.0.1:9/remote.xsd",
        "https://example.invalid/x.xsd",
        "ftp://h/x.xsd",
        "file://otherhost/x.xsd",
    ],
)
def test_imports_from_the_network_are_refused(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, location: str
) -> None:
    """An xs:import of a non-local location is refused before libxml2 could fetch it."""
    body = f'<xs:import namespace="urn:x" schemaLocation="{location}"/>'
    _write_schema(tmp_path, "remote.xsd", body)
    monkeypatch.setenv("GATEWAY_SCHEMAS_PATH", str(tmp_path))
    with pytest.raises(SchemaError, match="imports"):
        load_schema("remote.xsd")


def test_schema_with_a_dtd_is_refused(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """A schema declaring a DTD (a route to entity expansion) is refused."""
    (tmp_path / "dtd.xsd").write_text(
        '<?xml version="1.0"?>\n<!DOCTYPE xs:schema [<!ENTITY e "boom">]>\n'
        f'<xs:schema {XS}><xs:element name="a" type="xs:string"/></xs:schema>\n'
    )
    monkeypatch.setenv("GATEWAY_SCHEMAS_PATH", str(tmp_path))
    with pytest.raises(SchemaError, match="DTD"):
        load_schema("dtd.xsd")


def test_nested_local_imports_are_followed(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """A schema importing a sibling file compiles and validates the imported namespace."""
    (tmp_path / "inner.xsd").write_text(
        f'<xs:schema {XS} targetNamespace="urn:inner" elementFormDefault="qualified">'
        '<xs:element name="b" type="xs:int"/></xs:schema>'
    )
    _write_schema(
        tmp_path,
        "outer.xsd",
        '<xs:import namespace="urn:inner" schemaLocation="inner.xsd"/>',
    )
    monkeypatch.setenv("GATEWAY_SCHEMAS_PATH", str(tmp_path))
    schema = load_schema("outer.xsd")
    assert validation_errors(schema, etree.fromstring(b'<b xmlns="urn:inner">7</b>')) == []
    assert validation_errors(schema, etree.fromstring(b'<b xmlns="urn:inner">x</b>'))


def test_validation_errors_are_line_numbered_sentences_for_every_problem() -> None:
    """Each problem becomes 'line N: ... .' with the element's readable path; all are listed."""
    schema = etree.XMLSchema(
        etree.fromstring(
            f'<xs:schema {XS} targetNamespace="urn:t" xmlns="urn:t" elementFormDefault="qualified">'
            '<xs:element name="r"><xs:complexType><xs:sequence>'
            '<xs:element name="n" type="xs:int" maxOccurs="9"/>'
            "</xs:sequence></xs:complexType></xs:element></xs:schema>"
        )
    )
    document = etree.fromstring(b'<r xmlns="urn:t">\n<n>1</n>\n<n>x</n>\n<n>y</n>\n</r>')
    errors = validation_errors(schema, document)
    assert len(errors) == 2
    assert errors[0].startswith("line 3: Element 'n': 'x' is not a valid value")
    assert errors[0].endswith("(at /r/n[2])")
    assert errors[1].startswith("line 4: ")
    assert "urn:t" not in errors[0]
    assert validation_errors(schema, etree.fromstring(b'<r xmlns="urn:t"><n>1</n></r>')) == []


def test_schema_pack_needs_an_existing_folder(tmp_path: Path) -> None:
    """Pointing a pack at a folder that does not exist is a SchemaError."""
    with pytest.raises(SchemaError, match="does not exist"):
        SchemaPack(tmp_path / "missing")


def test_schema_pack_refuses_unknown_validator_names(tmp_path: Path) -> None:
    """An unknown validator name is refused, listing the names a pack knows."""
    with pytest.raises(SchemaError, match="ens-cc315a, uk-cds, wco-res"):
        SchemaPack(tmp_path).validator("nope")


def test_schema_pack_with_missing_files_says_which(tmp_path: Path) -> None:
    """A pack without the official files names the file the validator needs."""
    with pytest.raises(SchemaError, match=r"DocumentMetaData_2_DMS\.xsd"):
        SchemaPack(tmp_path).validator("uk-cds")


def test_schema_pack_builds_a_driver_over_its_files_once(tmp_path: Path) -> None:
    """A pack with stand-in files builds the uk-cds driver from them and caches it."""
    folder = tmp_path / "wco-dm-hmrc-cds"
    folder.mkdir()
    (folder / "DocumentMetaData_2_DMS.xsd").write_text(
        f'<xs:schema {XS} xmlns:d="urn:wco:datamodel:WCO:DEC-DMS:2" '
        'targetNamespace="urn:wco:datamodel:WCO:DocumentMetaData-DMS:2" '
        'elementFormDefault="qualified"><xs:element name="MetaData"><xs:complexType>'
        '<xs:sequence><xs:any namespace="urn:wco:datamodel:WCO:DEC-DMS:2"/></xs:sequence>'
        "</xs:complexType></xs:element></xs:schema>"
    )
    (folder / "WCO_DEC_2_DMS.xsd").write_text(
        f'<xs:schema {XS} targetNamespace="urn:wco:datamodel:WCO:DEC-DMS:2" '
        'elementFormDefault="qualified"><xs:element name="Declaration" type="xs:int"/>'
        "</xs:schema>"
    )
    pack = SchemaPack(tmp_path)
    validator = pack.validator("uk-cds")
    assert pack.validator("uk-cds") is validator
    good = (
        b'<MetaData xmlns="urn:wco:datamodel:WCO:DocumentMetaData-DMS:2">'
        b'<Declaration xmlns="urn:wco:datamodel:WCO:DEC-DMS:2">1</Declaration></MetaData>'
    )
    assert validation_errors(validator, etree.fromstring(good)) == []
    assert validation_errors(validator, etree.fromstring(good.replace(b">1<", b">x<")))


def _pattern_schema(pattern: str) -> etree.XMLSchema:
    body = f"""<xs:schema {XS}>
      <xs:element name="v"><xs:simpleType><xs:restriction base="xs:string">
        <xs:pattern value="{pattern}"/>
      </xs:restriction></xs:simpleType></xs:element></xs:schema>"""
    return etree.XMLSchema(etree.fromstring(body))


_SAID_TEXT = _pattern_schema(".*\\S.*")
_FAST_TEXT = _pattern_schema("[ \\t]*\\S.*")


@given(
    st.text(
        alphabet=st.sampled_from(
            [" ", "\t", "\n", "\r", "a", "Z", "0", "-", "\u00a0", "é", "\u3000"]
        ),
        max_size=8,
    )
)
def test_fast_text_pattern_accepts_exactly_what_the_plain_one_accepts(value: str) -> None:
    """The UK CDS text types' "[ \\t]*\\S.*" decides every value as ".*\\S.*" does (XSD regex
    semantics: "." is any character but a line break, "\\s" is space, tab, CR and LF)."""
    element = etree.Element("v")
    element.text = value
    assert _FAST_TEXT.validate(element) == _SAID_TEXT.validate(element), repr(value)


def test_uk_cds_text_types_use_the_fast_pattern() -> None:
    """Every text pattern of the shipped UK CDS schemas is the fast form."""
    folder = Path(__file__).resolve().parents[1] / "schemas" / "destinations" / "uk-cds"
    patterns = [
        element.get("value")
        for path in folder.glob("*.xsd")
        for element in etree.parse(str(path)).iter("{http://www.w3.org/2001/XMLSchema}pattern")
    ]
    assert "[ \\t]*\\S.*" in patterns
    assert ".*\\S.*" not in patterns
