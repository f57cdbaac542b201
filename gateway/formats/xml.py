"""Hardened XML reading: no DTDs, no entity expansion, no network, size and depth limits.

Hostile input is normal input here. A DOCTYPE is refused outright (that closes XXE, billion
laughs and external DTD fetches in one place), libxml2 is told never to touch the network or
expand entities, and every failure becomes an ``InputError`` carrying a ``Problem`` that names
the file, line and reason.
"""

from __future__ import annotations

import re
import threading
from typing import Any, cast

from lxml import etree

from gateway.errors import InputError
from gateway.problems import Problem, Severity

DEFAULT_MAX_BYTES = 512 * 1024 * 1024
"""Largest message accepted unless configured otherwise (512 MiB)."""

MAX_DEPTH = 64
"""Deepest element nesting accepted; feeds in this field nest a dozen levels at most."""

_DOCTYPE = re.compile(rb"<!DOCTYPE|<!ENTITY", re.IGNORECASE)
_ROOT_START = re.compile(rb"<[A-Za-z_\x80-\xff]")


def hardened_parser(*, remove_comments: bool = False) -> etree.XMLParser:
    """An lxml parser that never loads a DTD, expands an entity or touches the network."""
    return etree.XMLParser(
        resolve_entities=False,
        no_network=True,
        load_dtd=False,
        dtd_validation=False,
        huge_tree=False,
        remove_comments=remove_comments,
        collect_ids=False,
    )


class _ThreadParsers(threading.local):
    """One hardened parser per thread: lxml parsers may be reused, but not shared by threads."""

    def __init__(self) -> None:
        self.parser = hardened_parser()


_THREAD_PARSERS = _ThreadParsers()
"""Building a parser (and its libxml2 context) costs about 1.5 µs a message; one is kept."""


def input_problem(source_name: str, message: str, *, line: int | None = None, code: str) -> Problem:
    """A message-level error problem about an input file."""
    return Problem(
        severity=Severity.ERROR, code=code, message=message, source_path=source_name, line=line
    )


def refuse_doctype(head: bytes, source_name: str) -> None:
    """Raise InputError when the prologue (everything before the root element) has a DOCTYPE."""
    root_at = _ROOT_START.search(head)
    prologue = head if root_at is None else head[: root_at.start()]
    match = _DOCTYPE.search(prologue)
    if match:
        line = prologue.count(b"\n", 0, match.start()) + 1
        message = (
            f"{source_name} declares a DOCTYPE on line {line}; document type declarations and "
            "entities are refused because they can read local files or expand without bound."
        )
        raise InputError(
            message, [input_problem(source_name, message, line=line, code="xml.doctype")]
        )


def refuse_parsed_doctype(root: etree._Element, source_name: str) -> None:
    """Raise InputError when a parsed document has a DOCTYPE that ``refuse_doctype`` missed.

    ``refuse_doctype`` reads only the first bytes; a prologue padded past them (a long
    comment) would otherwise carry a DOCTYPE through. Entities are never expanded either way,
    but a document type declaration is refused wherever it is.
    """
    docinfo = cast(Any, root.getroottree().docinfo)  # the stubs lack DocInfo.doctype
    if docinfo.doctype or docinfo.internalDTD is not None or docinfo.system_url:
        message = (
            f"{source_name} declares a DOCTYPE; document type declarations and entities are "
            "refused because they can read local files or expand without bound."
        )
        raise InputError(message, [input_problem(source_name, message, code="xml.doctype")])


def syntax_error(source_name: str, exc: etree.XMLSyntaxError) -> InputError:
    line = exc.lineno if isinstance(exc.lineno, int) and exc.lineno > 0 else None
    reason = str(exc.msg if hasattr(exc, "msg") and exc.msg else exc).rstrip(".")
    # lxml ends the reason with ", line L, column C" and libxml2 says "in tag X line N" for
    # the element left open: said once, in words, the position goes before the reason.
    position = _POSITION.search(reason)
    column = None
    if position is not None:
        reason = reason[: position.start()].rstrip(".")
        column = int(position.group(2))
        line = line or int(position.group(1))
    for pattern, words in _LIBXML_WORDING:
        reason = pattern.sub(words, reason)
    where = f" on line {line}" if line else ""
    if where and column:
        where += f", column {column}"
    message = f"{source_name} is not well-formed XML{where}: {reason}."
    return InputError(message, [input_problem(source_name, message, line=line, code="xml.syntax")])


_POSITION = re.compile(r",? line (\d+), column (\d+)$")
_LIBXML_WORDING = (
    (re.compile(r"in tag (\S+) line (\d+)"), r"in the element \1 opened on line \2"),
    (
        re.compile(r"Opening and ending tag mismatch: (\S+) line (\d+) and (\S+)"),
        r"the element \1 opened on line \2 is closed by </\3>",
    ),
    (
        re.compile(r"Couldn't find end of Start Tag (\S+) line (\d+)"),
        r"the start tag of \1 on line \2 is not closed",
    ),
)
"""libxml2's terse phrases for where an element began, in words a sender can act on."""


def check_size(size: int, source_name: str, max_bytes: int) -> None:
    """Raise InputError when a message is empty or larger than the configured limit."""
    if size == 0:
        message = f"{source_name} is empty; a message needs at least its root element."
        raise InputError(message, [input_problem(source_name, message, code="input.empty")])
    if size > max_bytes:
        message = (
            f"{source_name} is {size:,} bytes, more than the limit of {max_bytes:,} bytes; "
            "split the batch or raise the limit in the configuration."
        )
        raise InputError(message, [input_problem(source_name, message, code="input.too-large")])


def parse_xml(
    data: bytes, source_name: str, *, max_bytes: int = DEFAULT_MAX_BYTES
) -> etree._Element:
    """Parse a whole XML message safely and return its root element."""
    check_size(len(data), source_name, max_bytes)
    refuse_doctype(data[:65536], source_name)
    try:
        root = etree.fromstring(data, _THREAD_PARSERS.parser)
    except etree.XMLSyntaxError as exc:
        raise syntax_error(source_name, exc) from exc
    if root is None:
        message = f"{source_name} holds no XML element."
        raise InputError(message, [input_problem(source_name, message, code="xml.syntax")])
    refuse_parsed_doctype(root, source_name)
    _check_depth(root, source_name)
    return root


def _too_deep(source_name: str) -> InputError:
    message = f"{source_name} nests elements more than {MAX_DEPTH} levels deep."
    return InputError(message, [input_problem(source_name, message, code="xml.too-deep")])


_TOO_DEEP = etree.XPath("boolean(" + "/*" * (MAX_DEPTH + 1) + ")")
"""True when some element sits deeper than MAX_DEPTH levels: one pass in C, level by level."""


def _check_depth(root: etree._Element, source_name: str) -> None:
    """Raise InputError when a parsed tree nests deeper than MAX_DEPTH (as streaming does)."""
    if _TOO_DEEP(root):
        raise _too_deep(source_name)


def check_depth(root: etree._Element, source_name: str) -> None:
    """Raise InputError when the document of ``root`` nests deeper than MAX_DEPTH."""
    _check_depth(root, source_name)
