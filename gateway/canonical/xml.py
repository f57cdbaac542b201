"""Canonical XML: declarations and batches to and from XML in namespace ``CANONICAL_NS``.

Writing follows the canonical element order, omits absent values and empty lists, and writes
decimals exactly as held (``12.50`` stays ``12.50``). Reading is hardened (no DOCTYPE, no
entities, no network; see ``gateway.formats.xml``), walks the canonical structure and reports
every problem at once: unknown or foreign elements, elements out of order or repeated where
they may not, stray text or attributes, then every value the models refuse.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from lxml import etree
from pydantic import BaseModel, ValidationError

from gateway.canonical import CANONICAL_NS
from gateway.canonical.model import Declaration, DeclarationBatch
from gateway.canonical.structure import CanonicalElement, canonical_root
from gateway.canonical.validation import problems_from_validation_error, raise_input_error
from gateway.formats.xml import parse_xml
from gateway.problems import Problem, Severity

_DECLARATION_TAG = f"{{{CANONICAL_NS}}}Declaration"
_BATCH_TAG = f"{{{CANONICAL_NS}}}DeclarationBatch"
_BATCH_ATTRIBUTES = ("feed", "messageID")
_NSMAP: Any = {None: CANONICAL_NS}


def _article(word: str) -> str:
    return "an" if word[:1] in "aeiou" else "a"


def _str(value: str | bytes) -> str:
    return value.decode("utf-8") if isinstance(value, bytes) else value


# --- writing -------------------------------------------------------------------------------


def _value_text(value: object) -> str:
    if isinstance(value, Decimal):
        return format(value, "f")
    return str(value)


def _write_children(parent: etree._Element, node: CanonicalElement, model: BaseModel) -> None:
    for child in node.children:
        value = getattr(model, child.name)
        values = value if child.repeating else [value]
        for one in values:
            if one is None:
                continue
            element = etree.SubElement(parent, f"{{{CANONICAL_NS}}}{child.name}")
            if child.is_group:
                _write_children(element, child, one)
            elif child.attributes:
                element.text = _value_text(one.value)
                for attribute in child.attributes:
                    attribute_value = getattr(one, attribute)
                    if attribute_value is not None:
                        element.set(attribute, attribute_value)
            else:
                element.text = _value_text(one)


def declaration_to_element(declaration: Declaration) -> etree._Element:
    """The declaration as an lxml element ``{CANONICAL_NS}Declaration``."""
    root = etree.Element(_DECLARATION_TAG, nsmap=_NSMAP)
    _write_children(root, canonical_root(), declaration)
    return root


def declaration_to_xml(declaration: Declaration) -> bytes:
    """The declaration as a UTF-8 canonical XML document."""
    return etree.tostring(
        declaration_to_element(declaration), xml_declaration=True, encoding="UTF-8"
    )


def batch_to_element(batch: DeclarationBatch) -> etree._Element:
    """The batch as an lxml element ``{CANONICAL_NS}DeclarationBatch``."""
    root = etree.Element(_BATCH_TAG, nsmap=_NSMAP)
    for attribute in _BATCH_ATTRIBUTES:
        value = getattr(batch, attribute)
        if value is not None:
            root.set(attribute, value)
    for declaration in batch.declarations:
        element = etree.SubElement(root, _DECLARATION_TAG)
        _write_children(element, canonical_root(), declaration)
    return root


def batch_to_xml(batch: DeclarationBatch) -> bytes:
    """The batch as a UTF-8 canonical XML document."""
    return etree.tostring(batch_to_element(batch), xml_declaration=True, encoding="UTF-8")


# --- reading -------------------------------------------------------------------------------


@dataclass
class _Reader:
    """Collects the data of one declaration and every structural problem found on the way."""

    item: str | None = None
    problems: list[Problem] = field(default_factory=list)

    def problem(self, code: str, path: str, message: str, element: etree._Element) -> None:
        line = element.sourceline if isinstance(element.sourceline, int) else None
        self.problems.append(
            Problem(
                severity=Severity.ERROR,
                code=code,
                message=message,
                item=self.item,
                canonical_path=path or None,
                line=line,
            )
        )

    def read_group(self, element: etree._Element, node: CanonicalElement, path: str) -> Any:
        where = path or "Declaration"
        for name in element.attrib:
            self.problem(
                "canonical.attribute",
                path,
                f"{where} has an attribute {_str(name)}, which the canonical declaration "
                "does not allow.",
                element,
            )
        if element.text and element.text.strip():
            self.problem(
                "canonical.text",
                path,
                f"{where} holds text, but it is a group of elements and holds no value itself.",
                element,
            )
        data: dict[str, Any] = {}
        counts: dict[str, int] = {}
        last_position = -1
        order = {child.name: index for index, child in enumerate(node.children)}
        for child_element in element:
            if child_element.tail and child_element.tail.strip():
                self.problem(
                    "canonical.text",
                    path,
                    f"{where} holds text between its elements; only elements are allowed there.",
                    child_element,
                )
            if not isinstance(child_element.tag, str):
                continue  # comments and processing instructions carry no data
            qname = etree.QName(child_element)
            child = node.child(qname.localname) if qname.namespace == CANONICAL_NS else None
            if child is None:
                self.problem(
                    "canonical.unknown-element",
                    f"{path}/{qname.localname}" if path else qname.localname,
                    f"{where} contains {child_element.tag}, which is not an element of the "
                    f"canonical declaration there.",
                    child_element,
                )
                continue
            counts[child.name] = counts.get(child.name, 0) + 1
            count = counts[child.name]
            child_path = f"{path}/{child.name}" if path else child.name
            if child.repeating:
                child_path = f"{child_path}[{count}]"
            elif count > 1:
                self.problem(
                    "canonical.repeated",
                    child_path,
                    f"{child_path} appears {count} times in {where}; it may appear only once.",
                    child_element,
                )
                continue
            position = order[child.name]
            if position < last_position:
                self.problem(
                    "canonical.order",
                    child_path,
                    f"{child_path} is out of order: it must come before "
                    f"{node.children[last_position].name} in {where}.",
                    child_element,
                )
            last_position = max(last_position, position)
            value = self.read_value(child_element, child, child_path)
            if child.repeating:
                data.setdefault(child.name, []).append(value)
            else:
                data[child.name] = value
        return data

    def read_value(self, element: etree._Element, node: CanonicalElement, path: str) -> Any:
        if node.is_group:
            return self.read_group(element, node, path)
        if len(element):
            self.problem(
                "canonical.children",
                path,
                f"{path} holds {_article(node.kind)} {node.kind} value, but it contains elements.",
                element,
            )
        text = element.text or ""
        if not node.attributes:
            for name in element.attrib:
                self.problem(
                    "canonical.attribute",
                    path,
                    f"{path} has an attribute {_str(name)}; "
                    f"{_article(node.kind)} {node.kind} element takes none.",
                    element,
                )
            return text
        value: dict[str, Any] = {"value": text}
        for name, attribute_value in element.attrib.items():
            if name in node.attributes:
                value[name] = attribute_value
            else:
                allowed = ", ".join(node.attributes)
                self.problem(
                    "canonical.attribute",
                    path,
                    f"{path} has an attribute {_str(name)}; "
                    f"{_article(node.kind)} {node.kind} element takes only {allowed}.",
                    element,
                )
        return value


def _read_declaration(element: etree._Element, item: str | None) -> tuple[Any, list[Problem]]:
    reader = _Reader(item=item)
    data = reader.read_group(element, canonical_root(), "")
    return data, reader.problems


def _validated(data: Any, item: str | None) -> tuple[Declaration | None, list[Problem]]:
    try:
        return Declaration.model_validate(data), []
    except ValidationError as exc:
        return None, problems_from_validation_error(exc, item=item)


def _root_problem(element: etree._Element, expected: str, source_name: str) -> None:
    message = (
        f"{source_name} has root element {element.tag}; a canonical document has root "
        f"{{{CANONICAL_NS}}}{expected}."
    )
    problem = Problem(
        severity=Severity.ERROR, code="canonical.root", message=message, source_path=source_name
    )
    raise_input_error([problem], f"The canonical XML {source_name}")


def _as_element(data: bytes | etree._Element, source_name: str) -> etree._Element:
    if isinstance(data, bytes):
        return parse_xml(data, source_name)
    return data


def declaration_from_xml(
    data: bytes | etree._Element, source_name: str = "canonical XML"
) -> Declaration:
    """Read one canonical Declaration; raise InputError listing every problem found."""
    element = _as_element(data, source_name)
    if element.tag != _DECLARATION_TAG:
        _root_problem(element, "Declaration", source_name)
    structure, problems = _read_declaration(element, None)
    declaration, invalid = _validated(structure, None)
    problems.extend(invalid)
    if problems or declaration is None:
        raise_input_error(problems, "The canonical declaration")
    return declaration


def batch_from_xml(
    data: bytes | etree._Element, source_name: str = "canonical XML"
) -> DeclarationBatch:
    """Read a canonical DeclarationBatch; raise InputError listing every problem found.

    Problems inside the n-th declaration carry ``item`` = ``Declaration[n]``.
    """
    element = _as_element(data, source_name)
    if element.tag != _BATCH_TAG:
        _root_problem(element, "DeclarationBatch", source_name)
    reader = _Reader()
    for name in element.attrib:
        if name not in _BATCH_ATTRIBUTES:
            reader.problem(
                "canonical.attribute",
                "",
                f"DeclarationBatch has an attribute {_str(name)}; it takes only feed and "
                "messageID.",
                element,
            )
    declarations: list[Declaration] = []
    problems = reader.problems
    position = 0
    for child in element:
        if not isinstance(child.tag, str):
            continue
        if child.tag != _DECLARATION_TAG:
            reader.problem(
                "canonical.unknown-element",
                "",
                f"DeclarationBatch contains {child.tag}; it holds only Declaration elements.",
                child,
            )
            continue
        position += 1
        item = f"Declaration[{position}]"
        structure, found = _read_declaration(child, item)
        declaration, invalid = _validated(structure, item)
        problems.extend([*found, *invalid])
        if declaration is not None:
            declarations.append(declaration)
    header = {name: element.get(name) for name in _BATCH_ATTRIBUTES if name in element.attrib}
    try:
        batch = DeclarationBatch.model_validate({**header, "declarations": declarations})
    except ValidationError as exc:
        problems.extend(problems_from_validation_error(exc))
    if problems:
        raise_input_error(problems, "The canonical declaration batch")
    return batch
