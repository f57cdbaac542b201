"""Large feed messages in bounded memory: the items of a message, a chunk at a time.

A batch of hundreds of thousands of postal items cannot be held as one tree. The stream is
pulled through the hardened parser; every ``chunk_size`` complete items are moved into a
small document of their own, which also carries a copy of the message header (the root's
other children seen so far), so each chunk can be mapped on its own. Items already handed
on are gone from the parsed tree, so memory stays flat whatever the batch size.
"""

from __future__ import annotations

import copy
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from typing import IO

from lxml import etree

from gateway.errors import InputError
from gateway.formats.xml import DEFAULT_MAX_BYTES, input_problem, iter_xml_events

HEAD_BYTES = 1 << 16


@dataclass(frozen=True, slots=True)
class SourceChunk:
    """A small document holding the header and some items; ``offset`` items came before."""

    document: etree._Element
    offset: int
    count: int


class _CountingReader:
    """Reads a stream and refuses to go past the size limit."""

    def __init__(self, stream: IO[bytes], source_name: str, max_bytes: int, already: int) -> None:
        self.stream = stream
        self.source_name = source_name
        self.max_bytes = max_bytes
        self.total = already

    def read(self, size: int) -> bytes:
        data = self.stream.read(size)
        self.total += len(data)
        if self.total > self.max_bytes:
            message = (
                f"{self.source_name} is larger than the limit of {self.max_bytes:,} bytes; "
                "split the batch or raise the limit in the configuration."
            )
            raise InputError(
                message, [input_problem(self.source_name, message, code="input.too-large")]
            )
        return data


def describe_name(clark: str) -> str:
    """``{ns}Name`` as 'Name in namespace ns' for messages."""
    if clark.startswith("{"):
        namespace, local = clark[1:].split("}", 1)
        return f"'{local}' in namespace '{namespace}'"
    return f"'{clark}' in no namespace"


def check_root(
    found: str, expected: str | None, source_name: str, feed: str, *, line: int | None = None
) -> None:
    """InputError when the document element is not the one the feed mapping expects."""
    if expected is not None and found != expected:
        where = f" on line {line}" if line else ""
        message = (
            f"{source_name} has the root element {describe_name(found)}{where}, but the feed "
            f"'{feed}' expects {describe_name(expected)}."
        )
        raise InputError(
            message, [input_problem(source_name, message, line=line, code="xml.root")]
        )


def stream_chunks(
    stream: IO[bytes],
    source_name: str,
    *,
    feed: str,
    root: str | None,
    item_path: Sequence[str],
    chunk_size: int,
    max_bytes: int = DEFAULT_MAX_BYTES,
) -> Iterator[SourceChunk]:
    """Yield chunks of ``chunk_size`` items (``item_path``: child names from the root, Clark form)."""
    reader = _CountingReader(stream, source_name, max_bytes, 0)
    head = reader.read(HEAD_BYTES)  # counted too: a small limit applies to a small message
    if not head:
        message = f"{source_name} is empty; a message needs at least its root element."
        raise InputError(message, [input_problem(source_name, message, code="input.empty")])
    events = iter_xml_events(reader, source_name, head)  # type: ignore[arg-type]
    depth_path: list[str] = []
    document_root: etree._Element | None = None
    header: list[etree._Element] = []
    pending: list[etree._Element] = []
    offset = 0
    target = list(item_path)
    for event in events:
        element = event.element
        if event.kind == "start":
            if document_root is None:
                document_root = element
                check_root(element.tag, root, source_name, feed, line=element.sourceline)
                continue
            depth_path.append(element.tag)
            continue
        if element is document_root:
            break
        if depth_path == target:
            pending.append(element)
            if len(pending) >= chunk_size:
                yield _chunk(document_root, header, target, pending, offset)
                offset += len(pending)
                pending = []
        elif len(depth_path) == 1 and depth_path[0] != target[0]:
            header.append(element)
        depth_path.pop()
    if document_root is None:
        message = f"{source_name} holds no XML element."
        raise InputError(message, [input_problem(source_name, message, code="xml.syntax")])
    if pending or offset == 0:
        yield _chunk(document_root, header, target, pending, offset)


def _chunk(
    root: etree._Element | None,
    header: list[etree._Element],
    path: list[str],
    items: list[etree._Element],
    offset: int,
) -> SourceChunk:
    assert root is not None
    document = etree.Element(root.tag, attrib=dict(root.attrib), nsmap=root.nsmap)  # type: ignore[arg-type,misc]
    for element in header:
        document.append(copy.deepcopy(element))
    parent = document
    for name in path[:-1]:
        parent = etree.SubElement(parent, name)
    for item in items:
        parent.append(item)
    return SourceChunk(document, offset, len(items))


def whole_document(document: etree._Element) -> SourceChunk:
    """A parsed document as a single chunk (JSON feeds, or item paths that cannot stream)."""
    return SourceChunk(document, 0, -1)
