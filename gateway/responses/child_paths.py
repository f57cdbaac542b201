"""Plain child paths of a response mapping, read straight off the parsed tree.

Most XPaths in a response mapping are chains of element names (``Declaration/ID``), now and
then with a ``[not(Name)]`` test (``Error[not(Description)]/ValidationCode``). Such a path
selects, step by step, the child elements of that name, in document order. ``ChildPath``
reads it in Python on the tree as parsed: an element matches a name when its local name is
that name and it has no namespace or one of the mapping's namespaces, which is exactly what
the XPath matches once ``ResponseMapping.unqualify`` has renamed those elements. So the
mapping can be applied without renaming every element first (the costly part of reading a
receipt of a few hundred bytes), and without a trip into the XPath engine per path.

``ChildPath.compile`` returns None for any other XPath; the mapping then takes its general
route (rename, then XPath). Pure: lxml only.
"""

from __future__ import annotations

import re
from collections.abc import Collection
from dataclasses import dataclass

from lxml import etree

__all__ = ["ChildIndex", "ChildPath"]

_NAME = r"[A-Za-z_][A-Za-z0-9_.\-]*"
_STEP = re.compile(rf"^({_NAME})(?:\[not\(({_NAME})\)\])?$")
_UNSEEN = ""
"""Marks a tag not yet in ``local_names`` (no tag is empty)."""
_MAX_REMEMBERED = 4096
"""Tags remembered at most: a stream of made-up names must not grow the table without end."""


class ChildIndex:
    """The child elements of each element asked about, by local name, for one document.

    Only elements without a namespace or in one of ``namespaces`` are indexed; the others
    never match a plain name. Each element's children are indexed once, on first use.
    ``local_names`` maps tags already seen to their local name (None: not indexed); the
    caller may share it between documents, since a tag always maps the same way.
    """

    __slots__ = ("_by_element", "_local_names", "_namespaces")

    def __init__(self, namespaces: Collection[str], local_names: dict[str, str | None]) -> None:
        self._namespaces = namespaces
        self._local_names = local_names
        self._by_element: dict[etree._Element, dict[str, list[etree._Element]]] = {}

    def children(self, element: etree._Element) -> dict[str, list[etree._Element]]:
        """The child elements of ``element`` by local name, each list in document order."""
        found = self._by_element.get(element)
        if found is not None:
            return found
        found = {}
        local_names = self._local_names
        for child in element:
            tag = child.tag
            if not isinstance(tag, str):
                continue  # a comment or processing instruction
            local = local_names.get(tag, _UNSEEN)
            if local is _UNSEEN:
                local = self._local_name(tag)
                if len(local_names) < _MAX_REMEMBERED:
                    local_names[tag] = local
            if local is not None:
                found.setdefault(local, []).append(child)
        self._by_element[element] = found
        return found

    def _local_name(self, tag: str) -> str | None:
        if tag[0] != "{":
            return tag
        namespace, _, local = tag[1:].partition("}")
        return local if namespace in self._namespaces else None


@dataclass(frozen=True, slots=True)
class ChildPath:
    """An XPath of plain child steps, each a name with an optional ``[not(Name)]`` test."""

    path: str
    steps: tuple[tuple[str, str | None], ...]
    """Each step: the element name, and the name of a child it must not have (or None)."""

    @classmethod
    def compile(cls, path: str) -> ChildPath | None:
        """The child path ``path`` spells, or None when it is any other XPath."""
        steps: list[tuple[str, str | None]] = []
        for text in path.strip().split("/"):
            match = _STEP.match(text)
            if match is None:
                return None
            steps.append((match[1], match[2]))
        return cls(path, tuple(steps))

    def select(self, node: etree._Element, index: ChildIndex) -> list[etree._Element]:
        """The elements the XPath selects from ``node`` on the unqualified tree, in order."""
        found = [node]
        for name, without in self.steps:
            selected: list[etree._Element] = []
            for parent in found:
                for child in index.children(parent).get(name, ()):
                    if without is None or without not in index.children(child):
                        selected.append(child)
            if not selected:
                return selected
            found = selected
        return found
