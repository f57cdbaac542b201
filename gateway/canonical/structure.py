"""A read-only view of the canonical element tree, derived from the models and built once.

The mapping engine, the XML reader and writer, the XSD generator and the field table walk this
tree instead of pydantic internals. Each node names its WCO DM ID and name, value kind, whether
it repeats, and the XML attributes it carries (``currencyID`` on amounts, ``unitCode`` on
measures).
"""

from __future__ import annotations

import types
import typing
from collections.abc import Iterator
from dataclasses import dataclass, field
from functools import cache
from typing import Any

from pydantic import BaseModel
from pydantic.fields import FieldInfo

from gateway.canonical.model import DECLARATION_WCO_ID, Declaration
from gateway.canonical.values import KIND_ATTRIBUTES


@dataclass(frozen=True)
class CanonicalElement:
    """One element of the canonical tree; ``path`` is relative to Declaration ("" for it)."""

    name: str
    path: str
    wco_id: str | None
    wco_name: str | None
    description: str
    kind: str
    repeating: bool
    attributes: tuple[str, ...]
    children: tuple[CanonicalElement, ...]
    model: type[BaseModel] | None = field(default=None, compare=False, repr=False)
    """The model class of a group (None for leaves)."""

    def child(self, name: str) -> CanonicalElement | None:
        """The direct child element called ``name``, if there is one."""
        for candidate in self.children:
            if candidate.name == name:
                return candidate
        return None

    @property
    def is_group(self) -> bool:
        """True for container elements, False for elements holding a value."""
        return self.kind == "group"


@dataclass(frozen=True)
class FieldShape:
    """What a model field holds: its kind, whether it repeats, and its model class if a group."""

    kind: str
    repeating: bool
    model: type[BaseModel] | None
    wco_id: str | None
    wco_name: str | None
    description: str


def _strip_optional(annotation: Any) -> Any:
    origin = typing.get_origin(annotation)
    if origin in (typing.Union, types.UnionType):
        members = [arg for arg in typing.get_args(annotation) if arg is not type(None)]
        if len(members) == 1:
            return members[0]
    return annotation


def field_shape(name: str, info: FieldInfo) -> FieldShape:
    """Read the kind, repetition, model class and WCO metadata of one canonical model field."""
    extra = info.json_schema_extra
    if not isinstance(extra, dict) or "kind" not in extra:
        raise TypeError(
            f"Canonical field {name} carries no kind metadata; declare it with element()."
        )
    annotation = _strip_optional(info.annotation)
    repeating = typing.get_origin(annotation) is list
    if repeating:
        (annotation,) = typing.get_args(annotation)
    kind = str(extra["kind"])
    model: type[BaseModel] | None = None
    if kind == "group":
        if not (isinstance(annotation, type) and issubclass(annotation, BaseModel)):
            raise TypeError(f"Canonical group field {name} does not hold a model class.")
        model = annotation
    wco_id = extra.get("wco_id")
    wco_name = extra.get("wco_name")
    return FieldShape(
        kind=kind,
        repeating=repeating,
        model=model,
        wco_id=wco_id if isinstance(wco_id, str) else None,
        wco_name=wco_name if isinstance(wco_name, str) else None,
        description=info.description or "",
    )


def model_shapes(model: type[BaseModel]) -> list[tuple[str, FieldShape]]:
    """Every field of a canonical model class with its shape, in element order."""
    return [(name, field_shape(name, info)) for name, info in model.model_fields.items()]


def _build(
    name: str, path: str, shape: FieldShape, seen: tuple[type[BaseModel], ...]
) -> CanonicalElement:
    children: tuple[CanonicalElement, ...] = ()
    if shape.model is not None:
        if shape.model in seen:
            raise TypeError(f"Canonical model {shape.model.__name__} contains itself at {path}.")
        children = tuple(
            _build(child, f"{path}/{child}" if path else child, child_shape, (*seen, shape.model))
            for child, child_shape in model_shapes(shape.model)
        )
    return CanonicalElement(
        name=name,
        path=path,
        wco_id=shape.wco_id,
        wco_name=shape.wco_name,
        description=shape.description,
        kind=shape.kind,
        repeating=shape.repeating,
        attributes=KIND_ATTRIBUTES.get(shape.kind, ()),
        children=children,
        model=shape.model,
    )


@cache
def canonical_root() -> CanonicalElement:
    """The Declaration element, root of the canonical tree."""
    shape = FieldShape(
        kind="group",
        repeating=False,
        model=Declaration,
        wco_id=DECLARATION_WCO_ID,
        wco_name="Declaration",
        description="WCO DM 42A: Declaration.",
    )
    return _build("Declaration", "", shape, ())


@cache
def _index() -> dict[str, CanonicalElement]:
    return {element.path: element for element in iter_fields()}


def find_element(path: str) -> CanonicalElement | None:
    """The element at a canonical path (``GoodsShipment/Consignor/Name``), or None.

    A trailing ``/@currencyID`` (or another attribute the element carries) names the owning
    element; a leading ``Declaration/`` is accepted and ignored; "" is the Declaration.
    """
    steps = [step for step in path.strip("/").split("/") if step]
    if steps and steps[0] == "Declaration" and "Declaration" not in _index():
        steps = steps[1:]
    attribute = None
    if steps and steps[-1].startswith("@"):
        attribute = steps.pop()[1:]
    found = _index().get("/".join(steps))
    if found is None or (attribute is not None and attribute not in found.attributes):
        return None
    return found


def iter_fields(start: CanonicalElement | None = None) -> Iterator[CanonicalElement]:
    """Every element under ``start`` (default the Declaration), depth first, parents first."""
    node = canonical_root() if start is None else start
    stack = [node]
    while stack:
        current = stack.pop()
        yield current
        stack.extend(reversed(current.children))
