"""A streamed message whose schema requires a trailer after the items is read as when whole.

Each streamed chunk but the last stops after its last item, so the trailer the feed schema
requires is not in it yet. That must not refuse a message that has its trailer; a message that
lacks it is still refused, streamed or not.
"""

from __future__ import annotations

from pathlib import Path

import pytest

import gateway.pipeline as pipeline_module
from gateway.mapping.catalog import MappingCatalog
from gateway.pipeline import FeedResult, Pipeline

NS = "urn:t:trailed"
FEED = """\
name: trailed
kind: feed
input: {format: xml, namespaces: {"": "urn:t:trailed"}, root: Batch, schema: trailed/batch.xsd}
declarations:
  for_each: Items/Item
  id: ID
  template:
    FunctionalReferenceID: {from: ID, required: true}
"""
SCHEMA = f"""<?xml version="1.0"?>
<xs:schema xmlns:xs="http://www.w3.org/2001/XMLSchema" targetNamespace="{NS}"
    xmlns="{NS}" elementFormDefault="qualified">
  <xs:element name="Batch">
    <xs:complexType><xs:sequence>
      <xs:element name="Items">
        <xs:complexType><xs:sequence>
          <xs:element name="Item" maxOccurs="unbounded">
            <xs:complexType><xs:sequence>
              <xs:element name="ID" type="xs:string"/>
              <xs:element name="Note" type="xs:string"/>
            </xs:sequence></xs:complexType>
          </xs:element>
          <xs:element name="Count" type="xs:integer"/>
        </xs:sequence></xs:complexType>
      </xs:element>
      <xs:element name="Trailer">
        <xs:complexType><xs:sequence>
          <xs:element name="Checksum" type="xs:string"/>
        </xs:sequence></xs:complexType>
      </xs:element>
    </xs:sequence></xs:complexType>
  </xs:element>
</xs:schema>
"""
ITEMS = 1500  # about 100 KB: streamed, in chunks of 100


@pytest.fixture
def pipeline(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Pipeline:
    (tmp_path / "mappings" / "feeds").mkdir(parents=True)
    (tmp_path / "mappings" / "destinations").mkdir()
    (tmp_path / "mappings" / "feeds" / "trailed.yaml").write_text(FEED, encoding="utf-8")
    (tmp_path / "schemas" / "trailed").mkdir(parents=True)
    (tmp_path / "schemas" / "trailed" / "batch.xsd").write_text(SCHEMA, encoding="utf-8")
    monkeypatch.setenv("GATEWAY_SCHEMAS_PATH", str(tmp_path / "schemas"))
    return Pipeline(MappingCatalog([tmp_path / "mappings"]), chunk_size=100)


def _message(*, count: bool = True, trailer: bool = True, bad_item: int | None = None) -> bytes:
    items = "".join(
        f"<Item><ID>RR{index:09d}GB</ID>{'' if index == bad_item else '<Note>n</Note>'}"
        f"<!-- {'x' * 40} --></Item>"
        for index in range(ITEMS)
    )
    tail = "<Trailer><Checksum>ab12</Checksum></Trailer>" if trailer else ""
    count_element = f"<Count>{ITEMS}</Count>" if count else ""
    data = f"<Batch xmlns='{NS}'><Items>{items}{count_element}</Items>{tail}</Batch>".encode()
    assert len(data) > pipeline_module.SMALL_MESSAGE_BYTES
    return data


def _read(
    pipeline: Pipeline, data: bytes, monkeypatch: pytest.MonkeyPatch, *, whole: bool
) -> FeedResult:
    with monkeypatch.context() as patch:
        if whole:
            patch.setattr(pipeline_module, "SMALL_MESSAGE_BYTES", 1 << 30)
        return pipeline.read_feed("trailed", data)


def _summary(result: FeedResult) -> tuple[object, ...]:
    return (
        result.message_id,
        [problem.message for problem in result.problems],
        [(d.index, d.declaration_id, d.canonical, d.problems) for d in result.declarations],
    )


def test_message_with_its_trailer_streams_as_when_read_whole(
    pipeline: Pipeline, monkeypatch: pytest.MonkeyPatch
) -> None:
    data = _message()
    streamed = _read(pipeline, data, monkeypatch, whole=False)
    whole = _read(pipeline, data, monkeypatch, whole=True)
    assert streamed.readable, [problem.message for problem in streamed.problems]
    assert len(streamed.declarations) == ITEMS
    assert all(declaration.accepted for declaration in streamed.declarations)
    assert _summary(streamed) == _summary(whole)


@pytest.mark.parametrize(
    ("count", "trailer", "missing"),
    [(True, False, "Trailer"), (False, True, "Count")],
    ids=["no-trailer", "container-ends-early"],
)
def test_message_lacking_what_its_schema_requires_is_refused_streamed_or_whole(
    pipeline: Pipeline, monkeypatch: pytest.MonkeyPatch, count: bool, trailer: bool, missing: str
) -> None:
    data = _message(count=count, trailer=trailer)
    for whole in (False, True):
        result = _read(pipeline, data, monkeypatch, whole=whole)
        assert not result.readable, whole
        assert any(
            "Missing child element" in problem.message and missing in problem.message
            for problem in result.problems
        ), [problem.message for problem in result.problems]


def test_an_item_missing_a_child_is_refused_on_its_own_when_streamed(
    pipeline: Pipeline, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The last item of a chunk lacking a required child is its own fault, not the cut's."""
    data = _message(bad_item=99)  # the last item of the first chunk of 100
    streamed = _read(pipeline, data, monkeypatch, whole=False)
    whole = _read(pipeline, data, monkeypatch, whole=True)
    assert streamed.readable
    refused = [d for d in streamed.declarations if not d.accepted]
    assert [d.declaration_id for d in refused] == ["RR000000099GB"]
    assert _summary(streamed) == _summary(whole)


def test_schema_problems_name_the_item_by_its_place_in_the_whole_message(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """An ITMATT item in the third chunk of 100 that breaks the feed schema is Item[250], as
    when the message is read whole, not the 51st child of its chunk."""
    from gateway.sample_feeds import itmatt_batch_bytes

    parts = itmatt_batch_bytes(300, seed=5).split(b"<Item>")
    parts[250] = (
        parts[250]
        .replace(b"GrossWeight>", b"GrossWeigh>")
        .replace(b"<GrossWeight ", b"<GrossWeigh ")
    )
    data = b"<Item>".join(parts)
    assert len(data) > pipeline_module.SMALL_MESSAGE_BYTES
    pipeline = Pipeline(chunk_size=100)
    paths = []
    for whole in (False, True):
        with monkeypatch.context() as patch:
            if whole:
                patch.setattr(pipeline_module, "SMALL_MESSAGE_BYTES", 1 << 30)
            result = pipeline.read_feed("upu-itmatt", data)
        found = [
            (declaration.index, problem.source_path)
            for declaration in result.declarations
            for problem in declaration.problems
            if problem.code == "feed.schema"
        ]
        paths.append(found)
    assert paths[0] == paths[1] == [(249, "Item[250]/GrossWeigh")]
