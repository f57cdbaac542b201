"""Lifting what compiled stylesheets write beside their output: problem markers, ids, lineage.

Stylesheets write ``<p:Problem>`` markers where a value could not be produced and ``p:``
attributes that carry item ids, positions and (under ``--trace``) lineage. This module turns
them into ``Problem`` objects and rows, and removes them, so the documents that are validated
and delivered are clean.
"""

from __future__ import annotations

from dataclasses import dataclass

from lxml import etree

from gateway.canonical import PROBLEM_NS
from gateway.formats.json_tree import json_source
from gateway.problems import Problem, Severity

_P = f"{{{PROBLEM_NS}}}"
PROBLEM_TAG = f"{_P}Problem"
RULE_ATTR = f"{_P}rule"
SOURCE_ATTR = f"{_P}source"

_MESSAGES = {
    "required.missing": "{path} is required, but {source} has no value for it.",
    "codelist.unknown": "The value '{value}' at {source} is not {expected}.",
}


@dataclass(frozen=True, slots=True)
class LineageRow:
    """Under --trace: which rule and source value produced one output field."""

    path: str
    source: str
    rule: str
    value: str


def p_attr(element: etree._Element, name: str) -> str | None:
    """Pop the ``p:name`` attribute of an element (None when absent)."""
    return pop_p_attrs(element, (name,))[0]


def pop_p_attrs(element: etree._Element, names: tuple[str, ...]) -> list[str | None]:
    """Pop the ``p:name`` attributes of an element, in the order of ``names`` (None: absent)."""
    attributes = element.attrib  # one proxy for all the names
    # lxml's stubs leave out the default of pop(); the text values are str
    return [attributes.pop(f"{_P}{name}", None) for name in names]  # type: ignore[call-overload]


def remove_keeping_tail(element: etree._Element) -> None:
    """Remove an element from its parent without losing the text that follows it."""
    parent = element.getparent()
    if parent is None:
        return
    if element.tail:
        previous = element.getprevious()
        if previous is not None:
            previous.tail = (previous.tail or "") + element.tail
        else:
            parent.text = (parent.text or "") + element.tail
    parent.remove(element)


def problem_from_marker(marker: etree._Element, *, item: str, outbound: bool) -> Problem:
    """A Problem from one marker; outbound markers name canonical paths as their source."""
    code = marker.get("code", "mapping.problem")
    path = marker.get("path", "")
    source = marker.get("source") or ""
    json_base = marker.get("jsrc")
    if json_base:  # a JSON feed: the exact JSON path instead of the mapping's path
        source = json_source(
            json_base, marker.get("jtail") or "", computed=marker.get("jcomputed") == "1"
        )
    value = marker.get("value")
    expected = marker.get("expected") or "valid"
    template = _MESSAGES.get(code, "The value '{value}' at {source} is not {expected}.")
    where = source or path
    message = template.format(path=path, source=where, value=value or "", expected=expected)
    if code == "required.missing" and not source:
        message = f"{path} is required, but the input has no data for it."
    return Problem(
        severity=Severity.ERROR,
        code=code,
        message=message,
        item=item,
        canonical_path=(_declaration_relative(source) or None) if outbound else (path or None),
        source_path=None if outbound else (source or None),
        value=value,
        rule=marker.get("rule"),
        line=None,
    )


def _declaration_relative(path: str) -> str:
    """``Declaration[3]/GoodsShipment/...`` (a destination rule's source) as a canonical path."""
    head, _, rest = path.partition("/")
    return rest if head.startswith("Declaration") and rest else path


def markers_by_entry(root: etree._Element) -> dict[int, list[etree._Element]]:
    """Problem markers grouped by the index of the root child they sit in; removed from the tree."""
    grouped: dict[int, list[etree._Element]] = {}
    markers = list(root.iter(PROBLEM_TAG))
    if not markers:
        return grouped
    entries = list(root)  # keep the proxies alive: ids of lxml proxies are only stable while held
    children = {id(child): index for index, child in enumerate(entries)}
    for marker in markers:
        entry: etree._Element | None = marker
        while entry is not None and id(entry) not in children:
            entry = entry.getparent()
        index = children[id(entry)] if entry is not None else -1
        grouped.setdefault(index, []).append(marker)
        remove_keeping_tail(marker)
    return grouped


def lift_lineage(element: etree._Element, base: str = "") -> list[LineageRow]:
    """Lineage rows of every traced field under ``element``; trace attributes removed."""
    rows: list[LineageRow] = []
    for node in element.iter():
        rule = node.get(RULE_ATTR)
        if rule is None:
            continue
        source = node.get(SOURCE_ATTR, "")
        del node.attrib[RULE_ATTR]
        if SOURCE_ATTR in node.attrib:
            del node.attrib[SOURCE_ATTR]
        rows.append(
            LineageRow(indexed_path(node, element, base), source, rule, (node.text or "").strip())
        )
    return rows


def indexed_path(node: etree._Element, top: etree._Element, base: str = "") -> str:
    """``GoodsShipment/GovernmentAgencyGoodsItem[2]/...`` from ``top`` down to ``node``."""
    parts: list[str] = []
    current: etree._Element | None = node
    while current is not None and current is not top:
        name = etree.QName(current).localname
        parent = current.getparent()
        if parent is not None:
            same = [sibling for sibling in parent if sibling.tag == current.tag]
            if len(same) > 1:
                name = f"{name}[{same.index(current) + 1}]"
        parts.append(name)
        current = parent
    path = "/".join(reversed(parts))
    return f"{base}/{path}" if base and path else (base or path)
