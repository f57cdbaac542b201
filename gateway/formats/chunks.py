"""Large feed messages in bounded memory: the items of a message, a chunk at a time.

A batch of hundreds of thousands of postal items cannot be held as one tree. The stream is
pulled through the hardened parser; every ``chunk_size`` complete items are moved into a
small document of their own, so each chunk can be mapped on its own. Items already handed on
are gone from the parsed tree, so memory stays flat whatever the batch size.

A chunk is the message with the other chunks' items left out: the root with its attributes,
the header (the root's other children), and the containers that hold the chunk's items, with
their attributes and their other children. While streaming, a chunk carries what was read up
to its last item; the last chunk carries the complete message, trailing elements included.

A mapping's message-level values are read from the header of every chunk, so streaming is
safe only when the header read before the first item already has them. A ``header_check``
says so when the first item is reached; when it does not, nothing is handed out early: the
message is read to its end (within the size limit) and the chunks are cut from the complete
document, each with the complete header, so the output is that of the message read whole.
"""

from __future__ import annotations

import copy
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from typing import IO, Any, cast

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
    complete: bool = True
    """False for a streamed chunk cut before the end of the message: what follows its last
    item (a trailer, the rest of a container) is not read yet, so a schema that requires it
    finds it missing in this chunk only."""


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


@dataclass(frozen=True, slots=True)
class HeaderNeeds:
    """What a mapping's message-level values found in the header read so far."""

    known: bool
    """Every message-level value already selects something there: streaming is safe."""
    in_containers: bool
    """Some value is read inside the first item's containers, so every chunk carries them."""


HeaderCheck = Callable[[etree._Element, Sequence[etree._Element]], HeaderNeeds]
"""Judges a header document (the root, the header and the first item's containers, no items)
given with the copies of those containers, outermost first."""

_Segments = list[list[etree._Element]]
"""An item container's content in a chunk, in document order: elements to copy (even places)
alternating with the chunk's items to move in (odd places)."""


def stream_chunks(
    stream: IO[bytes],
    source_name: str,
    *,
    feed: str,
    root: str | None,
    item_path: Sequence[str],
    chunk_size: int,
    max_bytes: int = DEFAULT_MAX_BYTES,
    header_check: HeaderCheck | None = None,
) -> Iterator[SourceChunk]:
    """Yield chunks of ``chunk_size`` items (``item_path``: child names from the root, Clark form).

    The parser reports only the ends of item elements, so Python sees one event per item,
    not one per element; everything else is built by libxml2. Without a ``header_check``
    the message is always streamed.
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
    first_parent: etree._Element | None = None  # the container of the message's first item
    streaming = True
    keep_first = False  # every chunk carries the first item's containers
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
                if first_parent is None:
                    first_parent = cast(etree._Element, element.getparent())
                    if header_check is not None:
                        needs = _judge_header(document_root, target, element, header_check)
                        streaming, keep_first = needs.known, needs.in_containers
                elif streaming and len(pending) >= chunk_size:
                    # a full chunk goes out once the next item shows it is not the last one
                    ready, pending = pending, []
                    document = _chunk_document(
                        document_root,
                        target,
                        ready,
                        first_parent if keep_first else None,
                        complete=False,
                    )
                    offset += len(ready)
                    yield _checked(
                        SourceChunk(document, offset - len(ready), len(ready), complete=False),
                        source_name,
                    )
                pending.append(element)
            if not data:
                break
            data = reader.read(1 << 16)
    except (etree.XMLSyntaxError, InputError) as exc:
        if streaming and document_root is not None and len(pending) >= chunk_size:
            # the full chunk read before the fault still goes out, as it would have at once
            document = _chunk_document(
                document_root, target, pending, first_parent if keep_first else None, complete=False
            )
            yield _checked(SourceChunk(document, offset, len(pending), complete=False), source_name)
        if isinstance(exc, etree.XMLSyntaxError):
            raise syntax_error(source_name, exc) from exc
        raise
    if document_root is None:
        if final is None:
            message = f"{source_name} holds no XML element."
            raise InputError(message, [input_problem(source_name, message, code="xml.syntax")])
        document_root = final
        check_depth(document_root, source_name)
        _check_document(document_root, root, source_name, feed)
    if first_parent is None:  # no item: the message as it is
        yield _checked(SourceChunk(document_root, 0, 0), source_name)
    elif streaming:
        document = _chunk_document(
            document_root, target, pending, first_parent if keep_first else None, complete=True
        )
        yield _checked(SourceChunk(document, offset, len(pending)), source_name)
    else:
        yield from _cut_complete(
            document_root, target, pending, first_parent, chunk_size, header_check, source_name
        )


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


def _judge_header(
    document_root: etree._Element,
    target: list[str],
    first_item: etree._Element,
    header_check: HeaderCheck,
) -> HeaderNeeds:
    """Ask ``header_check`` about what was read before the first item (in document order)."""
    parent = cast(etree._Element, first_item.getparent())
    fills = {parent: [_children(parent, 0, parent.index(first_item))]}
    return _ask(header_check, document_root, target, fills, _ancestors(parent, document_root))


def _ask(
    header_check: HeaderCheck,
    document_root: etree._Element,
    target: list[str],
    fills: dict[etree._Element, _Segments],
    chain: set[etree._Element],
) -> HeaderNeeds:
    """Ask ``header_check`` about the header document ``fills`` and ``chain`` make."""
    header = _assemble(document_root, target, fills, chain)
    return header_check(header, _container_copies(header, target))


def _container_copies(header: etree._Element, target: list[str]) -> list[etree._Element]:
    """The copies of the first item's containers in a header document, outermost first."""
    containers: list[etree._Element] = []
    current = header
    for name in target[:-1]:
        current = next(child for child in current if child.tag == name)
        containers.append(current)
    return containers


def _ancestors(element: etree._Element, document_root: etree._Element) -> set[etree._Element]:
    """``element`` and its ancestors below the document root."""
    found: set[etree._Element] = set()
    current: etree._Element | None = element
    while current is not None and current is not document_root:
        found.add(current)
        current = current.getparent()
    return found


def _children(parent: etree._Element, start: int, stop: int | None) -> list[etree._Element]:
    """``parent[start:stop]`` (one C-level slice)."""
    return cast("list[etree._Element]", parent[start:stop])  # type: ignore[index]


def _by_parent(items: list[etree._Element]) -> list[tuple[etree._Element, list[etree._Element]]]:
    """Items (in document order) grouped by their container."""
    parent = cast(etree._Element, items[0].getparent())
    if items[-1].getparent() is parent:  # items at one depth: all between are siblings too
        return [(parent, items)]
    groups: list[tuple[etree._Element, list[etree._Element]]] = []
    for item in items:
        parent = cast(etree._Element, item.getparent())
        if groups and groups[-1][0] is parent:
            groups[-1][1].append(item)
        else:
            groups.append((parent, [item]))
    return groups


def _chunk_document(
    document_root: etree._Element,
    target: list[str],
    items: list[etree._Element],
    first_parent: etree._Element | None,
    *,
    complete: bool,
) -> etree._Element:
    """A chunk of the message being streamed: ``items`` in their containers, with the header.

    ``complete`` for the last chunk, which carries everything the message holds besides
    items; any other is cut after its last item, as what follows is not read yet.
    """
    groups = _by_parent(items)
    fills = {
        parent: _live_segments(parent, group, cut=not complete and index == len(groups) - 1)
        for index, (parent, group) in enumerate(groups)
    }
    if first_parent is not None and first_parent not in fills:
        fills[first_parent] = [list(first_parent)]  # its items are gone: the rest is header
    chain = set() if complete else _ancestors(groups[-1][0], document_root)
    return _assemble(document_root, target, fills, chain)


def _live_segments(parent: etree._Element, items: list[etree._Element], *, cut: bool) -> _Segments:
    """The content of ``parent`` for a chunk of ``items``, while the items are still in it.

    Items before them were handed on already, so only header elements precede them; with
    ``cut``, what follows the last item is left out (it may be incomplete).
    """
    first = parent.index(items[0])
    last = parent.index(items[-1])
    segments: _Segments
    if last - first + 1 == len(items):  # one run: the usual case
        segments = [_children(parent, 0, first), items]
    else:
        wanted = set(items)
        name = items[0].tag
        segments = [_children(parent, 0, first), []]
        for child in _children(parent, first, last + 1):
            if child in wanted:
                if len(segments) % 2:
                    segments.append([])
                segments[-1].append(child)
            elif child.tag != name:
                if not len(segments) % 2:
                    segments.append([])
                segments[-1].append(child)
    if not cut:
        segments.append(_children(parent, last + 1, None))
    return segments


def _cut_complete(
    document_root: etree._Element,
    target: list[str],
    items: list[etree._Element],
    first_parent: etree._Element,
    chunk_size: int,
    header_check: HeaderCheck | None,
    source_name: str,
) -> Iterator[SourceChunk]:
    """Chunks cut from a message read to its end, each with the complete header."""
    slots: list[tuple[etree._Element, int]] = []  # per item: its container, header elements before
    for parent, group in _by_parent(items):
        wanted = set(group)
        before = 0
        for child in list(parent):
            if child in wanted:
                slots.append((parent, before))
                parent.remove(child)
            else:
                before += 1
    keep_first = False
    if header_check is not None:
        fills = {first_parent: [list(first_parent)]}
        keep_first = _ask(header_check, document_root, target, fills, set()).in_containers
    for start in range(0, len(items), chunk_size):
        placed: dict[etree._Element, list[tuple[int, etree._Element]]] = {}
        for item, (parent, slot) in zip(
            items[start : start + chunk_size], slots[start : start + chunk_size], strict=True
        ):
            placed.setdefault(parent, []).append((slot, item))
        fills = {parent: _placed_segments(list(parent), runs) for parent, runs in placed.items()}
        if keep_first and first_parent not in fills:
            fills[first_parent] = [list(first_parent)]
        document = _assemble(document_root, target, fills, set())
        count = min(chunk_size, len(items) - start)
        yield _checked(SourceChunk(document, start, count), source_name)


def _placed_segments(
    header: list[etree._Element], runs: list[tuple[int, etree._Element]]
) -> _Segments:
    """A container's content for a chunk: its ``header`` elements with the items put back where
    they were (``runs``: per item, in document order, how many header elements precede it)."""
    segments: _Segments = []
    position = -1
    for slot, item in runs:
        if slot != position:
            segments.append(header[max(position, 0) : slot])
            segments.append([])
            position = slot
        segments[-1].append(item)
    segments.append(header[max(position, 0) :])
    return segments


def _assemble(
    document_root: etree._Element,
    target: list[str],
    fills: dict[etree._Element, _Segments],
    chain: set[etree._Element],
) -> etree._Element:
    """A chunk document: the root, its header, and the containers of ``fills`` with their content.

    A container on ``chain`` (the containers of the last item of a streamed chunk) is the last
    thing copied at its level: what follows it is not read yet.
    """
    holding: set[etree._Element] = set()
    for parent in fills:
        holding |= _ancestors(parent, document_root)
    attributes: Any = dict(document_root.attrib)
    namespaces: Any = document_root.nsmap
    document = etree.Element(document_root.tag, attrib=attributes, nsmap=namespaces)
    document.text = document_root.text
    _fill(document, document_root, 0, target, fills, holding, chain)
    return document


def _fill(
    copy_of: etree._Element,
    real: etree._Element,
    depth: int,
    target: list[str],
    fills: dict[etree._Element, _Segments],
    holding: set[etree._Element],
    chain: set[etree._Element],
) -> None:
    if depth == len(target) - 1:  # the items' container
        for index, segment in enumerate(fills.get(real, ())):
            if index % 2:
                copy_of.extend(segment)  # the chunk's items move in
            else:
                for element in segment:
                    copy_of.append(copy.deepcopy(element))
        return
    name = target[depth]
    for child in real:
        if child.tag != name:
            copy_of.append(copy.deepcopy(child))
        elif child in holding:
            inherited = real.nsmap
            attributes: Any = dict(child.attrib)
            declared: Any = {p: u for p, u in child.nsmap.items() if inherited.get(p) != u}
            container = etree.SubElement(copy_of, child.tag, attrib=attributes, nsmap=declared)
            container.text = child.text
            _fill(container, child, depth + 1, target, fills, holding, chain)
        if child in chain:
            break


def whole_document(document: etree._Element) -> SourceChunk:
    """A parsed document as a single chunk (JSON feeds, or item paths that cannot stream)."""
    return SourceChunk(document, 0, -1)
