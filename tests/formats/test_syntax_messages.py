"""Malformed XML is refused with the position once and libxml2's terse phrases in words."""

from __future__ import annotations

import io

import pytest

from gateway.errors import InputError
from gateway.formats.chunks import stream_chunks
from gateway.formats.xml import parse_xml

SOURCE = "the upu-itmatt message"


@pytest.mark.parametrize(
    ("data", "expected"),
    [
        (
            b"<ITMATT><Item>",
            "on line 1, column 15: Premature end of data in the element Item opened on line 1.",
        ),
        (
            b"<a>\n<b>x</c>\n</a>",
            "on line 2, column 9: the element b opened on line 2 is closed by </c>.",
        ),
        (b"<a", "on line 1, column 3: the start tag of a on line 1 is not closed."),
        (b"<a/><b/>", "on line 1, column 5: Extra content at the end of the document."),
    ],
)
def test_syntax_error_says_where_once_and_in_words(data: bytes, expected: str) -> None:
    with pytest.raises(InputError) as caught:
        parse_xml(data, SOURCE)
    message = str(caught.value)
    assert message == f"{SOURCE} is not well-formed XML {expected}"
    assert ", line" not in message.split(": ", 1)[1], "lxml's own position suffix is gone"
    assert caught.value.problems[0].line == int(expected.split()[2].rstrip(","))


def test_streamed_message_errors_read_the_same() -> None:
    """A large message read in chunks reports a fault the same way."""
    body = b"<ITMATT>" + b"<Item><ItemID>RR123456785CN</ItemID></Item>\n" * 3000 + b"<Item>"
    with pytest.raises(InputError) as caught:
        for _ in stream_chunks(
            io.BytesIO(body), SOURCE, feed="f", root=None, item_path=["Item"], chunk_size=500
        ):
            pass
    message = str(caught.value)
    assert message.startswith(f"{SOURCE} is not well-formed XML on line 3001, column ")
    assert "Premature end of data in the element" in message
    assert ", line" not in message.split(": ", 1)[1]
