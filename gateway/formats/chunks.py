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
from typing import IO, cast

from lxml import etree

from gateway.errors import InputError
from gateway.formats.xml import (
    DEFAULT_MAX_BYTES,
    check_depth,
    input_problem,
    refuse_doctype,
    refuse_parsed_doctype,
    syntax_error,
)

HEAD_BYTES = 1 << 16


@dataclass(frozen=True, slots=True)
class SourceChunk:
    """A small document holding the header and some items; ``offset`` items came before."""

    document: etree._Element
    offset: int
    count: int


class PrefixedStream:
    """A binary stream whose first bytes were already read: gives them back first."""

    def __init__(self, head: bytes, rest: IO[bytes]) -> None:
        self._head = head
        self._rest = rest

    def read(self, size: int = -1) -> bytes:
        if not self._head:
            return self._rest.read(size)
        if size < 0:
            data, self._head = self._head + self._rest.read(), b""
            return data
        data, self._head = self._head[:size], self._head[size:]
        return data


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
        raise InputError(message, [input_problem(source_name, message, line=line, code="xml.root")])


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
    """Yield chunks of ``chunk_size`` items (``item_path``: child names from the root, Clark form).

    The parser reports only the ends of item elements, so Python sees one event per item,
    not one per element; everything else is built by libxml2.
    """
    reader = _CountingReader(stream, source_name, max_bytes, 0)
    head = reader.read(HEAD_BYTES)  # counted too: a small limit applies to a small message
    if not head:
        message = f"{source_name} is empty; a message needs at least its root element."
        raise InputError(message, [input_problem(source_name, message, code="input.empty")])
    refuse_doctype(head, source_name)
    target = list(item_path)
    parser = etree.XMLPullParser(
        events=("end",),
        tag=target[-1],
        resolve_entities=False,
        no_network=True,
        load_dtd=False,
        huge_tree=False,
        collect_ids=False,
    )
    document_root: etree._Element | None = None
    header: list[etree._Element] | None = None
    pending: list[etree._Element] = []
    offset = 0
    data = head
    final: etree._Element | None = None
    try:
        while True:
            if data:
                parser.feed(data)
            else:
                final = parser.close()
            for _event, item in parser.read_events():
                element = cast(etree._Element, item)
                if document_root is None:
                    document_root = element.getroottree().getroot()
                    _check_document(document_root, root, source_name, feed)
                if not _on_path(element, document_root, target):
                    continue
                if header is None:
                    header = [
                        copy.deepcopy(child) for child in document_root if child.tag != target[0]
                    ]
                pending.append(element)
                if len(pending) >= chunk_size:
                    yield _checked(
                        _chunk(document_root, header, target, pending, offset), source_name
                    )
                    offset += len(pending)
                    pending = []
            if not data:
                break
            data = reader.read(1 << 16)
    except etree.XMLSyntaxError as exc:
        raise syntax_error(source_name, exc) from exc
    if document_root is None:
        if final is None:
            message = f"{source_name} holds no XML element."
            raise InputError(message, [input_problem(source_name, message, code="xml.syntax")])
        document_root = final
        check_depth(document_root, source_name)
        _check_document(document_root, root, source_name, feed)
    if header is None:
        header = [copy.deepcopy(child) for child in document_root if child.tag != target[0]]
    if pending or offset == 0:
        yield _checked(_chunk(document_root, header, target, pending, offset), source_name)


def _check_document(
    document_root: etree._Element, root: str | None, source_name: str, feed: str
) -> None:
    refuse_parsed_doctype(document_root, source_name)
    check_root(
        document_root.tag,
        root,
        source_name,
        feed,
        line=cast("int | None", document_root.sourceline),
    )


def _on_path(element: etree._Element, document_root: etree._Element, target: list[str]) -> bool:
    """True when ``element`` sits at ``target`` below the document root (not elsewhere)."""
    current: etree._Element | None = element
    for name in reversed(target):
        if current is None or current.tag != name:
            return False
        current = current.getparent()
    return current is document_root


def _checked(chunk: SourceChunk, source_name: str) -> SourceChunk:
    check_depth(chunk.document, source_name)
    return chunk


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
