"""JSON messages as element trees, so one mapping engine (XPath underneath) reads both.

The shape: an object becomes an element whose children are its members, each named after
its key; an array member repeats its key's element once per entry (``"items": [a, b]`` gives
two ``items`` elements); scalars become text, kept exactly as written in the JSON (numbers are
not turned into floats). A key that is not a valid XML name becomes ``<_ key="...">``. The
document element is ``json``; entries of a top-level array are ``item`` elements. An array
entry carries its index in the JSON array (``gwj:index``, or ``gwj:entry`` for an ``item``
with no key of its own), so a problem can name the exact JSON path of what it is about.

Mapping files address this tree with JSON-style paths (``shipper.name``, ``items[*]``), which
``gateway.mapping.paths`` turns into XPath.
"""

from __future__ import annotations

import json
import re
from typing import Any

from lxml import etree

from gateway.errors import InputError
from gateway.formats.xml import DEFAULT_MAX_BYTES, MAX_DEPTH, check_size, input_problem

JSON_ROOT = "json"
ARRAY_ENTRY = "item"
ODD_KEY = "_"
TREE_NS = "urn:customs-gateway:json-tree"
INDEX_ATTR = f"{{{TREE_NS}}}index"
"""On an entry of an array: its 0-based index in the JSON array (nulls count, as in JSON)."""
ENTRY_ATTR = f"{{{TREE_NS}}}entry"
"""On an anonymous array entry (an ``item`` of a top-level array or of an array in an array):
its index; such an entry has no key of its own."""
_NAME = re.compile(r"^[A-Za-z_][A-Za-z0-9_.\-]*$")


class _RawNumber(str):
    """A JSON number kept as its literal text."""


def element_name(key: str) -> tuple[str, str | None]:
    """The element name for a JSON key, and the key attribute when the key is not a name."""
    if _NAME.match(key) and not key.lower().startswith("xml"):
        return key, None
    return ODD_KEY, key


def _append(
    parent: etree._Element,
    key: str,
    value: Any,
    depth: int,
    source_name: str,
    index: tuple[str, int] | None = None,
) -> None:
    """Add ``value`` under ``parent`` as ``key``; ``index``: (attribute, n) for an array entry."""
    if depth > MAX_DEPTH:
        message = f"{source_name} nests JSON more than {MAX_DEPTH} levels deep."
        raise InputError(message, [input_problem(source_name, message, code="json.too-deep")])
    if isinstance(value, list):
        for number, entry in enumerate(value):
            if isinstance(entry, list):
                holder = _new_child(parent, key)
                holder.set(INDEX_ATTR, str(number))
                for inner_number, inner in enumerate(entry):
                    _append(
                        holder,
                        ARRAY_ENTRY,
                        inner,
                        depth + 1,
                        source_name,
                        (ENTRY_ATTR, inner_number),
                    )
            else:
                _append(parent, key, entry, depth + 1, source_name, (INDEX_ATTR, number))
        return
    if value is None:
        return
    child = _new_child(parent, key)
    if index is not None:
        child.set(index[0], str(index[1]))
    _fill(child, value, depth, source_name)


def _new_child(parent: etree._Element, key: str) -> etree._Element:
    name, odd = element_name(key)
    child = etree.SubElement(parent, name)
    if odd is not None:
        child.set("key", _clean(odd))
    return child


def _fill(element: etree._Element, value: Any, depth: int, source_name: str) -> None:
    if isinstance(value, _Object):
        seen: set[str] = set()
        for key, member in value.pairs:
            if key in seen:
                message = f"{source_name} repeats the key '{key}' in one object."
                problem = input_problem(source_name, message, code="json.duplicate-key")
                raise InputError(message, [problem])
            seen.add(key)
            _append(element, key, member, depth + 1, source_name)
    elif isinstance(value, list):
        for number, entry in enumerate(value):
            _append(element, ARRAY_ENTRY, entry, depth + 1, source_name, (ENTRY_ATTR, number))
    elif isinstance(value, bool):
        element.text = "true" if value else "false"
    elif isinstance(value, str):
        element.text = _clean(value)


class _Object:
    __slots__ = ("pairs",)

    def __init__(self, pairs: list[tuple[str, Any]]) -> None:
        self.pairs = pairs


_CONTROL = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ud800-\udfff\ufffe\uffff]")


def _clean(text: str) -> str:
    """Text XML can hold: control characters and lone surrogates (invalid in XML 1.0) are
    removed."""
    return _CONTROL.sub("", text)


def parse_json(
    data: bytes, source_name: str, *, max_bytes: int = DEFAULT_MAX_BYTES
) -> etree._Element:
    """Parse a JSON message into the element tree described in the module docstring."""
    check_size(len(data), source_name, max_bytes)
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        message = f"{source_name} is not valid UTF-8 at byte {exc.start}; JSON must be UTF-8."
        raise InputError(
            message, [input_problem(source_name, message, code="json.encoding")]
        ) from exc
    try:
        value = json.loads(
            text,
            object_pairs_hook=_Object,
            parse_float=_RawNumber,
            parse_int=_RawNumber,
            parse_constant=_refuse_constant,
        )
    except json.JSONDecodeError as exc:
        message = (
            f"{source_name} is not valid JSON on line {exc.lineno}, column {exc.colno}: {exc.msg}."
        )
        raise InputError(
            message, [input_problem(source_name, message, line=exc.lineno, code="json.syntax")]
        ) from exc
    except ValueError as exc:  # NaN / Infinity, refused by _refuse_constant
        message = f"{source_name} is not valid JSON: {exc}."
        raise InputError(
            message, [input_problem(source_name, message, code="json.syntax")]
        ) from exc
    except RecursionError as exc:
        message = f"{source_name} nests JSON too deeply to read."
        raise InputError(
            message, [input_problem(source_name, message, code="json.too-deep")]
        ) from exc
    root = etree.Element(JSON_ROOT, nsmap={"gwj": TREE_NS})
    if isinstance(value, list):
        for number, entry in enumerate(value):
            _append(root, ARRAY_ENTRY, entry, 1, source_name, (ENTRY_ATTR, number))
    else:
        _fill(root, value, 0, source_name)
    return root


def _refuse_constant(name: str) -> Any:
    raise ValueError(f"{name} is not a JSON number")


_SEGMENT = re.compile(r'(?:\.[^.\[]+|\["(?:[^"\\]|\\.)*"\]|(?=\[))(?:\[\d+\])*')
"""One step of a JSON path as the tree writes it: ``.name`` or ``["odd key"]`` with the indices
that follow it, or indices alone (an entry of a top-level array)."""


def json_source(base: str, tail: str, *, computed: bool = False) -> str:
    """The JSON path of ``tail`` (a mapping's source path) read from the node at ``base``.

    ``base`` is an exact JSON path (``$.shipping.trackingNumbers[0]``); each leading ``^``
    of ``tail`` climbs one step (``^.^.lines[*]`` from there is ``$.lines[*]``). A computed
    tail (an ``xpath:`` rule) is named as an expression at ``base``.
    """
    if not tail:
        return base
    if computed:
        return f"{tail} in {base}"
    steps = [step for step in _SEGMENT.findall(base[1:]) if step]
    rest = tail
    while rest.startswith("^"):
        rest = rest[1:].removeprefix(".")
        if steps:
            steps.pop()
    path = "$" + "".join(steps)
    if not rest:
        return path
    return path + ("" if rest.startswith("[") else ".") + rest
