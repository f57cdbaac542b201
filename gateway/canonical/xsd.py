"""The canonical XSD, generated from the models, and the compiled schema used to validate.

``canonical_xsd()`` writes one named complex type per model class, elements in canonical
order, each documented with its WCO DM ID and name; ``schemas/canonical/declaration.xsd`` is
its committed output (a test keeps the two equal). Value formats are kept permissive (checks do
the business rules); only empty values, non-numbers and malformed dates are refused.
``canonical_schema()`` compiles the generated schema once, so it always matches the models.
"""

from __future__ import annotations

from collections.abc import Iterable
from functools import cache
from typing import Any, cast

from lxml import etree
from pydantic import BaseModel

from gateway.canonical import CANONICAL_NS
from gateway.canonical.structure import CanonicalElement, canonical_root
from gateway.canonical.values import DATETIME_PATTERN, KIND_ATTRIBUTES
from gateway.errors import SchemaError
from gateway.problems import Problem, Severity

XS_NS = "http://www.w3.org/2001/XMLSchema"
_XS = f"{{{XS_NS}}}"
_NSMAP: Any = {"xs": XS_NS, None: CANONICAL_NS}

_SCALAR_TYPES = {
    "text": "TextType",
    "code": "TextType",
    "id": "TextType",
    "uri": "TextType",
    "integer": "xs:integer",
    "decimal": "xs:decimal",
    "datetime": "DateTimeType",
    "amount": "AmountType",
    "measure": "MeasureType",
}

_ATTRIBUTE_DOCS = {
    "currencyID": "ISO 4217 currency code of the amount.",
    "unitCode": "UN/ECE Recommendation 20 code of the unit of measure.",
}


def _type_name(model: type[BaseModel]) -> str:
    return f"{model.__name__}Type"


def _element_type(node: CanonicalElement) -> str:
    if node.model is not None:
        return _type_name(node.model)
    return _SCALAR_TYPES[node.kind]


def _documentation_text(node: CanonicalElement) -> str:
    if node.wco_id is None:
        return node.description
    text = f"WCO ID {node.wco_id}, WCO name: {node.wco_name}."
    default = f"WCO DM {node.wco_id}: {node.wco_name}."
    if node.description and node.description != default:
        text = f"{text} {node.description}"
    return text


def _document(parent: etree._Element, text: str) -> None:
    annotation = etree.SubElement(parent, f"{_XS}annotation")
    documentation = etree.SubElement(annotation, f"{_XS}documentation")
    documentation.text = text


def _add_simple_types(schema: etree._Element) -> None:
    text_type = etree.SubElement(schema, f"{_XS}simpleType", name="TextType")
    _document(text_type, "A non-empty string: elements without a value are left out.")
    restriction = etree.SubElement(text_type, f"{_XS}restriction", base="xs:string")
    etree.SubElement(restriction, f"{_XS}minLength", value="1")

    datetime_type = etree.SubElement(schema, f"{_XS}simpleType", name="DateTimeType")
    _document(datetime_type, "An ISO 8601 date and time with a UTC offset.")
    restriction = etree.SubElement(datetime_type, f"{_XS}restriction", base="xs:string")
    etree.SubElement(restriction, f"{_XS}pattern", value=DATETIME_PATTERN)

    for kind, type_name in (("amount", "AmountType"), ("measure", "MeasureType")):
        complex_type = etree.SubElement(schema, f"{_XS}complexType", name=type_name)
        (attribute_name,) = KIND_ATTRIBUTES[kind]
        _document(complex_type, f"A decimal {kind} with an optional {attribute_name}.")
        content = etree.SubElement(complex_type, f"{_XS}simpleContent")
        extension = etree.SubElement(content, f"{_XS}extension", base="xs:decimal")
        attribute = etree.SubElement(
            extension, f"{_XS}attribute", name=attribute_name, type="TextType", use="optional"
        )
        _document(attribute, _ATTRIBUTE_DOCS[attribute_name])


def _groups_in_order(root: CanonicalElement) -> list[CanonicalElement]:
    """The first element of each model class, depth first, so every class appears once."""
    seen: set[type[BaseModel]] = set()
    found: list[CanonicalElement] = []
    stack = [root]
    while stack:
        node = stack.pop()
        if node.model is not None and node.model not in seen:
            seen.add(node.model)
            found.append(node)
        stack.extend(reversed(node.children))
    return found


def _add_group_type(schema: etree._Element, node: CanonicalElement) -> None:
    assert node.model is not None
    complex_type = etree.SubElement(schema, f"{_XS}complexType", name=_type_name(node.model))
    doc = (node.model.__doc__ or node.model.__name__).strip().splitlines()[0]
    _document(complex_type, doc)
    sequence = etree.SubElement(complex_type, f"{_XS}sequence")
    for child in node.children:
        element = etree.SubElement(
            sequence, f"{_XS}element", name=child.name, type=_element_type(child), minOccurs="0"
        )
        if child.repeating:
            element.set("maxOccurs", "unbounded")
        _document(element, _documentation_text(child))


def _add_roots(schema: etree._Element, root: CanonicalElement) -> None:
    declaration = etree.SubElement(
        schema, f"{_XS}element", name="Declaration", type=_element_type(root)
    )
    _document(declaration, _documentation_text(root) + " One canonical goods declaration.")
    batch = etree.SubElement(schema, f"{_XS}element", name="DeclarationBatch")
    _document(batch, "A batch of canonical declarations from one message of one feed.")
    batch_type = etree.SubElement(batch, f"{_XS}complexType")
    sequence = etree.SubElement(batch_type, f"{_XS}sequence")
    etree.SubElement(
        sequence,
        f"{_XS}element",
        ref="Declaration",
        minOccurs="0",
        maxOccurs="unbounded",
    )
    for name, text in (
        ("feed", "Name of the feed the batch came from."),
        ("messageID", "Identifier of the message the batch came from."),
    ):
        attribute = etree.SubElement(
            batch_type, f"{_XS}attribute", name=name, type="TextType", use="optional"
        )
        _document(attribute, text)


@cache
def canonical_xsd() -> bytes:
    """The canonical XSD (roots ``Declaration`` and ``DeclarationBatch``) as UTF-8 bytes."""
    schema = etree.Element(
        f"{_XS}schema",
        nsmap=_NSMAP,
        targetNamespace=CANONICAL_NS,
        elementFormDefault="qualified",
        attributeFormDefault="unqualified",
        version="1",
    )
    _document(
        schema,
        "Canonical declarations of the customs gateway, aligned with the WCO Data Model. "
        "Generated from the models in gateway/canonical by canonical_xsd(); do not edit.",
    )
    root = canonical_root()
    _add_roots(schema, root)
    _add_simple_types(schema)
    for node in _groups_in_order(root):
        _add_group_type(schema, node)
    return etree.tostring(schema, xml_declaration=True, encoding="UTF-8", pretty_print=True)


@cache
def canonical_schema() -> etree.XMLSchema:
    """The compiled canonical XSD (compiled once per process)."""
    try:
        document = etree.fromstring(canonical_xsd(), etree.XMLParser(resolve_entities=False))
        return etree.XMLSchema(document)
    except (etree.XMLSyntaxError, etree.XMLSchemaParseError) as exc:
        raise SchemaError(f"The generated canonical XSD does not compile: {exc}") from exc


def canonical_xsd_problems(document: etree._Element | etree._ElementTree) -> list[Problem]:
    """Every canonical-XSD error in a document as a Problem (with its line); [] when valid."""
    schema = canonical_schema()
    if schema.validate(document):
        return []
    return [
        Problem(
            severity=Severity.ERROR,
            code="canonical.xsd",
            message=f"The canonical XML breaks the canonical XSD: {entry.message.rstrip('.')}.",
            line=entry.line or None,
            canonical_path=entry.path or None,
        )
        for entry in cast("Iterable[Any]", schema.error_log)
    ]
