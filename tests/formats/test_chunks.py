"""Streamed chunks: each is the message with the other chunks' items left out.

Pinned against a reference built from the whole document: a chunk holds the root with its
attributes, the header (everything besides items and containers), and the containers of its
own items with their attributes and other children. While streaming, a chunk holds what comes
before its last item; the last chunk, and every chunk of a message that had to be read to its
end, holds the complete header, trailing elements included.
"""

from __future__ import annotations

import copy
from collections.abc import Sequence
from dataclasses import dataclass, field

from hypothesis import given, settings
from hypothesis import strategies as st
from lxml import etree

from gateway.formats.chunks import HeaderNeeds, SourceChunk, stream_chunks

NS = "urn:t:chunks"


def _q(name: str) -> str:
    return f"{{{NS}}}{name}"


class TrickleStream:
    """A stream giving at most ``piece`` bytes a read, so the parser sees partial documents."""

    def __init__(self, data: bytes, piece: int) -> None:
        self.data = data
        self.piece = piece
        self.position = 0

    def read(self, size: int = -1) -> bytes:
        size = self.piece if size < 0 else min(size, self.piece)
        chunk = self.data[self.position : self.position + size]
        self.position += len(chunk)
        return chunk


@dataclass
class RecordingCheck:
    """A header check answering as told and keeping copies of the headers it was shown."""

    needs: HeaderNeeds
    headers: list[bytes] = field(default_factory=list)
    containers: list[list[str]] = field(default_factory=list)

    def __call__(self, header: etree._Element, containers: Sequence[etree._Element]) -> HeaderNeeds:
        self.headers.append(_canonical(copy.deepcopy(header)))
        self.containers.append([str(element.tag) for element in containers])
        for element in containers:
            assert element in set(header.iter()), "the containers are the header's own copies"
        return self.needs


def _canonical(element: etree._Element) -> bytes:
    return etree.tostring(element, method="c14n")


# -- documents ------------------------------------------------------------------------------------

texts = st.text(alphabet="abcxyz<&é", min_size=0, max_size=4)


@st.composite
def documents(draw: st.DrawFn) -> tuple[bytes, list[str]]:
    """A batch whose items sit at a path of one to three steps, among header elements,
    containers with attributes and children of their own, comments, and (rarely) padding
    big enough to cross the parser's 64 KB reads."""
    depth = draw(st.integers(min_value=1, max_value=3))
    path = [*["Bags", "Bag"][: depth - 1], "Item"]
    counter = iter(range(10**6))

    def item() -> str:
        number = next(counter)
        pad = "p" * draw(st.sampled_from([0, 0, 0, 40, 70000]))
        return f"<Item n='{number}'><ID>{number}</ID><Pad>{pad}</Pad></Item>"

    def header(level: int) -> str:
        if draw(st.integers(min_value=0, max_value=3)) == 0:
            return "<!--c-->"
        text = draw(texts).replace("&", "&amp;").replace("<", "&lt;")
        return f"<H{level} a='{draw(texts).replace('&', '&amp;').replace('<', '&lt;')}'>{text}</H{level}>"

    def level(index: int) -> str:
        parts = []
        for _ in range(draw(st.integers(min_value=0, max_value=4))):
            if index == depth - 1:
                choice = draw(st.sampled_from(["item", "item", "item", "header"]))
                parts.append(item() if choice == "item" else header(index))
            else:
                choice = draw(st.sampled_from(["container", "container", "header"]))
                if choice == "header":
                    parts.append(header(index))
                else:
                    name = path[index]
                    attribute = draw(texts).replace("&", "&amp;").replace("<", "&lt;")
                    parts.append(f"<{name} k='{attribute}'>{level(index + 1)}</{name}>")
        return "".join(parts)

    body = level(0)
    data = f"<Batch xmlns='{NS}' xmlns:o='urn:t:other' o:v='1'>{body}</Batch>".encode()
    return data, path


# -- the reference --------------------------------------------------------------------------------


def _expected(
    data: bytes,
    path: list[str],
    chunk_items: range,
    *,
    streamed_cut: bool,
    keep_first: bool,
) -> bytes:
    whole = etree.fromstring(data)
    items = whole.xpath("/*/" + "/".join(f"t:{name}" for name in path), namespaces={"t": NS})
    kept = [items[index] for index in chunk_items]
    if streamed_cut and kept:
        for node in kept[-1].xpath("following::node()"):
            if isinstance(node, etree._Element) and node.getparent() is not None:
                node.getparent().remove(node)
            # documents hold no text outside leaf elements, so text nodes go with their element
    holding = {ancestor for item in kept for ancestor in item.iterancestors()}
    if keep_first and items:
        holding |= set(items[0].iterancestors())
    for item in items:
        if item not in kept and item.getparent() is not None:
            item.getparent().remove(item)
    containers = whole.xpath(
        " | ".join(
            "/*/" + "/".join(f"t:{name}" for name in path[: depth + 1])
            for depth in range(len(path) - 1)
        )
        or "/..",
        namespaces={"t": NS},
    )
    for container in containers:
        if container not in holding and container.getparent() is not None:
            container.getparent().remove(container)
    return _canonical(whole)


def _item_numbers(chunk: SourceChunk, path: list[str]) -> list[str]:
    query = "/*/" + "/".join(f"t:{name}" for name in path) + "/@n"
    return [str(value) for value in chunk.document.xpath(query, namespaces={"t": NS})]


def _run(
    data: bytes, path: list[str], chunk_size: int, piece: int, check: RecordingCheck | None
) -> list[SourceChunk]:
    return list(
        stream_chunks(
            TrickleStream(data, piece),  # type: ignore[arg-type]
            "the batch",
            feed="batch",
            root=_q("Batch"),
            item_path=[_q(name) for name in path],
            chunk_size=chunk_size,
            max_bytes=1 << 30,
            header_check=check,
        )
    )


modes = st.sampled_from(["no check", "stream", "stream keeping the first", "read whole"])


@settings(max_examples=300, deadline=None)
@given(
    documents(),
    st.integers(min_value=1, max_value=5),
    st.sampled_from([1, 7, 100, 1 << 16]),
    modes,
)
def test_each_chunk_is_the_message_without_the_other_chunks_items(
    document: tuple[bytes, list[str]], chunk_size: int, piece: int, mode: str
) -> None:
    data, path = document
    check = {
        "no check": None,
        "stream": RecordingCheck(HeaderNeeds(known=True, in_containers=False)),
        "stream keeping the first": RecordingCheck(HeaderNeeds(known=True, in_containers=True)),
        "read whole": RecordingCheck(HeaderNeeds(known=False, in_containers=False)),
    }[mode]
    chunks = _run(data, path, chunk_size, piece, check)
    total = len(
        etree.fromstring(data).xpath("/*/" + "/".join(f"t:{n}" for n in path), namespaces={"t": NS})
    )
    if total == 0:
        assert [(c.offset, c.count) for c in chunks] == [(0, 0)]
        assert _canonical(chunks[0].document) == _canonical(etree.fromstring(data))
        return
    assert [(c.offset, c.count) for c in chunks] == [
        (start, min(chunk_size, total - start)) for start in range(0, total, chunk_size)
    ]
    streamed = mode != "read whole"
    keep_first = mode == "stream keeping the first"
    for number, chunk in enumerate(chunks):
        wanted = range(chunk.offset, chunk.offset + chunk.count)
        assert _item_numbers(chunk, path) == [str(index) for index in wanted]
        last = number == len(chunks) - 1
        expected = _expected(
            data, path, wanted, streamed_cut=streamed and not last, keep_first=keep_first
        )
        assert _canonical(chunk.document) == expected
    if check is not None:
        # the header shown when the first item is reached: what comes before it, no items
        before_first = _expected(data, path, range(1), streamed_cut=True, keep_first=True)
        first = etree.fromstring(before_first)
        for element in first.xpath("//t:Item", namespaces={"t": NS}):
            element.getparent().remove(element)
        assert check.headers[0] == _canonical(first)
        assert check.containers[0] == [_q(name) for name in path[:-1]]
        if mode == "read whole":  # asked again about the complete header
            complete = etree.fromstring(
                _expected(data, path, range(1), streamed_cut=False, keep_first=True)
            )
            for element in complete.xpath("//t:Item", namespaces={"t": NS}):
                element.getparent().remove(element)
            assert check.headers[1:] == [_canonical(complete)]
        else:
            assert len(check.headers) == 1
