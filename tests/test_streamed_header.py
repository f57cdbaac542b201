"""Streamed messages keep their message-level values wherever the header sits.

A feed message over 64 KB is streamed in chunks. Its message-level values (``message: id`` and
``message: values``) are read from the header every chunk carries, so a header placed after the
items, or values read from the items' container, must still come out as they do when the same
message is read whole. A feed of its own in a temporary mapping folder pins this.
"""

from __future__ import annotations

import io
from pathlib import Path

import pytest
from lxml import etree

import gateway.pipeline as pipeline_module
from gateway.formats.chunks import HeaderNeeds
from gateway.mapping.catalog import MappingCatalog
from gateway.pipeline import FeedResult, Pipeline, _message_header_check

NS = "urn:t:batch"
FEED = """\
name: batch
kind: feed
input: {format: xml, namespaces: {"": "urn:t:batch"}, root: Batch}
message:
  id: "MESSAGE_ID"
  values:
    carrier: "Items/@carrier"
    carrier_id: "CARRIER_ID"
declarations:
  for_each: Items/Item
  id: ID
  template:
    FunctionalReferenceID: {from: ID, required: true}
    Carrier:
      Name: {message: carrier}
      ID: {message: carrier_id}
"""
ITEMS = 1500  # about 100 KB: streamed, in chunks of 100


def _feed_folder(tmp_path: Path, message_id: str, carrier_id: str) -> Path:
    feeds = tmp_path / "feeds"
    feeds.mkdir(exist_ok=True)
    text = FEED.replace("MESSAGE_ID", message_id).replace("CARRIER_ID", carrier_id)
    (feeds / "batch.yaml").write_text(text, encoding="utf-8")
    (tmp_path / "destinations").mkdir(exist_ok=True)
    return tmp_path


def _message(*, header_first: bool, info_first: bool) -> bytes:
    items = "".join(
        f"<Item><ID>RR{index:09d}GB</ID><Note>{'x' * 40}</Note></Item>" for index in range(ITEMS)
    )
    header = "<Header><ID>MSG-7</ID><Trailer>unread</Trailer></Header>"
    info = "<Info><CarrierID>XQ</CarrierID></Info>"
    container = f"<Items carrier='Post'>{info + items if info_first else items + info}</Items>"
    body = header + container if header_first else container + header
    data = f"<Batch xmlns='{NS}'>{body}</Batch>".encode()
    assert len(data) > pipeline_module.SMALL_MESSAGE_BYTES
    return data


def _summary(result: FeedResult) -> tuple[object, ...]:
    return (
        result.message_id,
        result.problems,
        result.unmapped,
        [(d.index, d.declaration_id, d.canonical, d.problems) for d in result.declarations],
    )


def _streamed_and_whole(
    folder: Path, data: bytes, monkeypatch: pytest.MonkeyPatch
) -> tuple[FeedResult, FeedResult]:
    pipeline = Pipeline(MappingCatalog([folder]), chunk_size=100)
    streamed = pipeline.read_feed("batch", data, trace=True)
    with monkeypatch.context() as patch:
        patch.setattr(pipeline_module, "SMALL_MESSAGE_BYTES", 1 << 30)  # read whole
        whole = pipeline.read_feed("batch", data, trace=True)
    return streamed, whole


@pytest.mark.parametrize(
    ("header_first", "info_first"),
    [(False, True), (True, False), (False, False)],
    ids=["header-after-items", "container-child-after-items", "both-after-items"],
)
def test_values_placed_after_the_items_come_out_as_when_read_whole(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, header_first: bool, info_first: bool
) -> None:
    folder = _feed_folder(tmp_path, "Header/ID", "Items/Info/CarrierID")
    data = _message(header_first=header_first, info_first=info_first)
    streamed, whole = _streamed_and_whole(folder, data, monkeypatch)
    assert streamed.message_id == "MSG-7"
    for declaration in streamed.declarations:
        carrier = declaration.element.find(f"{{{pipeline_module.CANONICAL_NS}}}Carrier")
        assert carrier is not None
        assert [child.text for child in carrier] == ["Post", "XQ"]
    assert len(streamed.declarations) == ITEMS
    assert _summary(streamed) == _summary(whole)


def test_container_attributes_and_children_before_the_items_reach_every_chunk(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    folder = _feed_folder(tmp_path, "Header/ID", "Items/Info/CarrierID")
    data = _message(header_first=True, info_first=True)
    streamed, whole = _streamed_and_whole(folder, data, monkeypatch)
    assert streamed.message_id == "MSG-7"
    assert {
        d.element.findtext(
            f"{{{pipeline_module.CANONICAL_NS}}}Carrier/{{{pipeline_module.CANONICAL_NS}}}ID"
        )
        for d in streamed.declarations
    } == {"XQ"}
    assert _summary(streamed) == _summary(whole)


def test_trailing_elements_no_rule_reads_are_listed_as_unmapped(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Streamed (the header the values need comes first), the trailer still shows in --trace."""
    folder = _feed_folder(tmp_path, "Items/@carrier", "Items/@carrier")
    data = _message(header_first=False, info_first=True)
    streamed, whole = _streamed_and_whole(folder, data, monkeypatch)
    assert "Header/Trailer" in streamed.unmapped
    assert "Header/ID" in streamed.unmapped
    assert _summary(streamed) == _summary(whole)


class RecordingStream(io.BytesIO):
    """Records how far the message was read each time a chunk came out."""

    def __init__(self, data: bytes) -> None:
        super().__init__(data)
        self.read_at_chunks: list[int] = []


def _read_when_chunks_came_out(folder: Path, data: bytes) -> list[int]:
    pipeline = Pipeline(MappingCatalog([folder]), chunk_size=100)
    stream = RecordingStream(data)
    for _chunk in pipeline.iter_feed("batch", stream):
        stream.read_at_chunks.append(stream.tell())
    return stream.read_at_chunks


def test_a_header_that_comes_first_is_streamed_in_bounded_memory(tmp_path: Path) -> None:
    folder = _feed_folder(tmp_path, "Header/ID", "Items/Info/CarrierID")
    data = _message(header_first=True, info_first=True)
    read = _read_when_chunks_came_out(folder, data)
    assert len(read) == ITEMS // 100
    assert read[0] < len(data) // 2, "the first chunk came out before the message was read"


def test_a_header_after_the_items_holds_the_chunks_back_until_the_end(tmp_path: Path) -> None:
    folder = _feed_folder(tmp_path, "Header/ID", "Items/Info/CarrierID")
    data = _message(header_first=False, info_first=True)
    read = _read_when_chunks_came_out(folder, data)
    assert len(read) == ITEMS // 100
    assert read[0] == len(data)


# -- which values the header already holds ---------------------------------------------------------

HEADER = etree.fromstring(
    f"<Batch xmlns='{NS}' id='B1'><Header><ID>M</ID></Header>"
    "<Items carrier='Post'><Info>XQ</Info></Items></Batch>".encode()
)


@pytest.mark.parametrize(
    ("path", "known", "in_containers"),
    [
        ("Header/ID", True, False),
        ("@id", True, False),
        ("Header/ID/text()", True, False),
        ("Items/@carrier", True, True),
        ("Items/Info", True, True),
        ("Trailer/ID", False, False),  # not read yet, or absent
        ("count(Header)", False, False),  # a number cannot say what is still to come
        ("concat(Header/ID, '-')", False, False),
        (".", False, False),  # the root's text holds the items
        ("Items", False, False),  # so does the container's
        ("$ref-master/ID", False, False),  # the reference document was not given
    ],
)
def test_a_message_value_is_known_when_it_selects_a_node_outside_the_items(
    tmp_path: Path, path: str, known: bool, in_containers: bool
) -> None:
    """Every message-level path alike (id and values), judged on a header read so far."""
    folder = _feed_folder(tmp_path, path, path)
    text = (folder / "feeds" / "batch.yaml").read_text(encoding="utf-8")
    text = text.replace("Items/@carrier", path)
    if path.startswith("$ref-"):
        text += "references:\n  master: {feed: batch, description: another message}\n"
    (folder / "feeds" / "batch.yaml").write_text(text, encoding="utf-8")
    spec = MappingCatalog([folder]).get("batch", "feed").spec
    check = _message_header_check(spec, {})
    assert check is not None
    assert check(HEADER, [HEADER[1]]) == HeaderNeeds(known=known, in_containers=in_containers)


def test_a_reference_document_given_for_the_run_is_read_as_the_stylesheet_reads_it(
    tmp_path: Path,
) -> None:
    folder = _feed_folder(tmp_path, "$ref-master/t:ID", "Header/ID")
    text = (folder / "feeds" / "batch.yaml").read_text(encoding="utf-8")
    text = text.replace("Items/@carrier", "Header/ID")
    text = text.replace('{"": "urn:t:batch"}', '{"": "urn:t:batch", t: "urn:t:batch"}')
    text += "references:\n  master: {feed: batch, description: another message}\n"
    (folder / "feeds" / "batch.yaml").write_text(text, encoding="utf-8")
    spec = MappingCatalog([folder]).get("batch", "feed").spec
    master = etree.fromstring(f"<Batch xmlns='{NS}'><ID>7</ID></Batch>".encode())
    check = _message_header_check(spec, {"master": master})
    assert check is not None
    assert check(HEADER, [HEADER[1]]) == HeaderNeeds(known=True, in_containers=False)


def test_a_mapping_without_message_values_always_streams(tmp_path: Path) -> None:
    folder = _feed_folder(tmp_path, "Header/ID", "Header/ID")
    text = (folder / "feeds" / "batch.yaml").read_text(encoding="utf-8")
    text = text.split("message:")[0] + "declarations:" + text.split("declarations:")[1]
    text = text.replace("Name: {message: carrier}", "Name: Post").replace(
        "ID: {message: carrier_id}", "ID: XQ"
    )
    (folder / "feeds" / "batch.yaml").write_text(text, encoding="utf-8")
    spec = MappingCatalog([folder]).get("batch", "feed").spec
    assert _message_header_check(spec, {}) is None
