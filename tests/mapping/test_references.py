"""Reference documents: a feed mapping reads another document as ``$ref-NAME``.

Pins the engine feature on a small feed of its own (in a temporary mapping folder), so that it
does not depend on the IATA mappings: declaring references, reading them, their absence,
mistakes in mapping files, the CLI option, and list entries keeping their own source paths.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from gateway.canonical import CANONICAL_NS
from gateway.cli import main
from gateway.commands.translate import read_references
from gateway.errors import ConfigurationError, MappingError
from gateway.mapping.catalog import MappingCatalog
from gateway.mapping.paths import qualify
from gateway.mapping.references import bound_references, reference_root
from gateway.mapping.spec import read_mapping
from gateway.pipeline import Pipeline

C = {"c": CANONICAL_NS}

HOUSE_FEED = """\
name: house
kind: feed
input: {format: xml, namespaces: {"": "urn:t:house"}, root: Houses}
references:
  master: {feed: master, description: the master document}
declarations:
  for_each: House
  id: ID
  template:
    FunctionalReferenceID: {from: ID, required: true}
    BorderTransportMeans/ID: {from: "$ref-master/m:Flight[last()]/m:Number"}
    Carrier: {required: true, ID: {from: "$ref-master/m:Carrier"}}
    GoodsShipment/Consignment/TransportContractDocument:
      - {ID: {from: ID}, TypeCode: "703"}
      - {ID: {from: "$ref-master/m:AWB"}, TypeCode: "741"}
"""
MASTER_FEED = """\
name: master
kind: feed
input: {format: xml, namespaces: {m: "urn:t:master"}, root: m:Master}
declarations:
  for_each: m:AWB
  id: .
  template:
    FunctionalReferenceID: {from: .}
"""
HOUSES = (
    b'<Houses xmlns="urn:t:house"><House><ID>H1</ID></House><House><ID>H2</ID></House></Houses>'
)
MASTER = (
    b'<Master xmlns="urn:t:master"><AWB>888-31415926</AWB><Carrier>XQ</Carrier>'
    b"<Flight><Number>XQ1</Number></Flight><Flight><Number>XQ2</Number></Flight></Master>"
)


@pytest.fixture
def folder(tmp_path: Path) -> Path:
    feeds = tmp_path / "feeds"
    feeds.mkdir()
    (feeds / "house.yaml").write_text(HOUSE_FEED, encoding="utf-8")
    (feeds / "master.yaml").write_text(MASTER_FEED, encoding="utf-8")
    (tmp_path / "destinations").mkdir()
    return tmp_path


@pytest.fixture
def pipeline(folder: Path) -> Pipeline:
    return Pipeline(MappingCatalog([folder]))


def _house_feed_with_master_prefix(folder: Path) -> None:
    text = HOUSE_FEED.replace('{"": "urn:t:house"}', '{"": "urn:t:house", m: "urn:t:master"}')
    (folder / "feeds" / "house.yaml").write_text(text, encoding="utf-8")


def test_rules_read_the_reference_document_for_every_item(folder: Path) -> None:
    """$ref-master is the master's root for every house of the message."""
    _house_feed_with_master_prefix(folder)
    pipeline = Pipeline(MappingCatalog([folder]))
    result = pipeline.read_feed("house", HOUSES, references={"master": MASTER})
    assert result.readable, result.problems
    for declaration in result.declarations:
        assert declaration.accepted, declaration.problems
        element = declaration.element
        assert element.findtext("c:BorderTransportMeans/c:ID", namespaces=C) == "XQ2"
        assert element.findtext("c:Carrier/c:ID", namespaces=C) == "XQ"
        ids = element.xpath(
            "c:GoodsShipment/c:Consignment/c:TransportContractDocument/c:ID/text()", namespaces=C
        )
        assert ids == [declaration.declaration_id, "888-31415926"]


def test_an_absent_reference_leaves_its_fields_empty_and_required_says_so(folder: Path) -> None:
    _house_feed_with_master_prefix(folder)
    pipeline = Pipeline(MappingCatalog([folder]))
    result = pipeline.read_feed("house", HOUSES)
    declaration = result.declarations[0]
    assert declaration.element.find("c:BorderTransportMeans", C) is None
    [problem] = [p for p in declaration.problems if p.is_error]
    assert problem.code == "required.missing"
    assert problem.canonical_path == "Carrier"


def test_a_list_entry_keeps_its_own_source_path(folder: Path) -> None:
    """Two entries of one list (TransportContractDocument[1] and [2]) each name their source."""
    _house_feed_with_master_prefix(folder)
    mapping = MappingCatalog([folder]).get("house", "feed")
    path = "GoodsShipment/Consignment/TransportContractDocument"
    assert mapping.source_path(f"{path}[1]/ID", 2) == "House[2]/ID"
    assert mapping.source_path(f"{path}[2]/ID", 2) == "House[2]/$ref-master/m:AWB"


def test_the_reference_document_is_parsed_hardened_and_its_root_checked(
    pipeline: Pipeline,
) -> None:
    entity = b'<!DOCTYPE m [<!ENTITY x "y">]><Master xmlns="urn:t:master"/>'
    result = pipeline.read_feed("house", HOUSES, references={"master": entity})
    assert not result.readable
    assert "reference document 'master'" in result.problems[0].message
    wrong = pipeline.read_feed("house", HOUSES, references={"master": HOUSES})
    assert [p.code for p in wrong.problems] == ["xml.root"]


def test_a_reference_the_feed_does_not_declare_is_refused(pipeline: Pipeline) -> None:
    with pytest.raises(ConfigurationError, match="reference documents it takes are: master"):
        pipeline.read_feed("house", HOUSES, references={"other": MASTER})


def test_mapping_files_must_declare_what_they_read() -> None:
    """$ref-NAME without a 'references' entry, and a reference without 'feed', are reported."""
    text = HOUSE_FEED.replace(
        "  master: {feed: master, description: the master document}\n", "  other: {about: x}\n"
    )
    with pytest.raises(MappingError) as caught:
        read_mapping(text, "/m/feeds/house.yaml")
    messages = "\n".join(issue.message for issue in caught.value.issues)
    assert "each reference needs 'feed'" in messages
    assert "reads the reference document 'master' ($ref-master)" in messages


def test_names_after_a_reference_variable_are_qualified() -> None:
    qualified = qualify("$ref-master/Flight[last()]/ID", "src").replace(" ", "")
    assert qualified == "$ref-master/src:Flight[last()]/src:ID"


def test_bound_references_are_undone_after_the_block() -> None:
    from lxml import etree

    root = etree.fromstring(b"<m/>")
    with bound_references({"master": root}):
        assert reference_root("master") == [root]
    assert reference_root("master") == []


def test_the_cli_reads_reference_options(tmp_path: Path) -> None:
    master = tmp_path / "m.xml"
    master.write_bytes(MASTER)
    assert read_references([f"master={master}"]) == {"master": MASTER}
    with pytest.raises(ConfigurationError, match="is not NAME=FILE"):
        read_references(["master"])
    with pytest.raises(ConfigurationError, match="cannot be read"):
        read_references([f"master={tmp_path / 'missing.xml'}"])


def test_gateway_translate_takes_a_reference_option(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """End to end: the bundled iata-xfzb feed with --reference master=XFWB."""
    root = Path(__file__).resolve().parents[2]
    house = root / "samples" / "iata-xfzb" / "house-waybill-minimal.xml"
    master = root / "samples" / "iata-xfwb" / "master-consolidation-hkg-lhr.xml"
    out = tmp_path / "out"
    code = main(
        [
            "translate",
            "--from",
            "iata-xfzb",
            "--to",
            "canonical",
            "--reference",
            f"master={master}",
            "--out",
            str(out),
            str(house),
        ]
    )
    assert code == 0, capsys.readouterr().err
    written = (out / "HKG00000102.xml").read_text(encoding="utf-8")
    assert "<ID>XQ2081</ID>" in written
