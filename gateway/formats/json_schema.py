"""JSON feeds validated against their JSON Schema, every problem with its JSON path.

A JSON feed mapping whose ``input.schema`` ends in ``.schema.json`` names a JSON Schema (any
draft the ``jsonschema`` package knows, chosen by the schema's ``$schema``). The message is
validated as a whole; each error is reported with the JSON path of the offending value
(``$.shipments[1].items[0].hsCode``, indices 0-based as in mapping files) and placed on the
element of the message's tree (``formats.json_tree``) it belongs to, so the pipeline refuses
only the item (shipment, order...) that holds it and the message as a whole only for errors
outside every item.

Schemas are read from the schema search path (``gateway.resources.find_schema``), checked
against their metaschema once, and cached. Only references inside the schema file are
followed: neither validator retrieves anything over the network.

Two validators share the work: ``jsonschema_rs`` (compiled, about twenty times faster) says
whether a message is valid at all, and only for an invalid one does ``jsonschema`` walk it
to report every error with its path and rule. Most messages are valid, so most pay only the
quick check; the errors reported are always the full list.
"""

from __future__ import annotations

import functools
import json
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from typing import Any

import jsonschema
import jsonschema.exceptions
import jsonschema.protocols
import jsonschema.validators
import jsonschema_rs
from lxml import etree

from gateway.errors import SchemaError
from gateway.formats.json_tree import ARRAY_ENTRY, element_name
from gateway.resources import find_schema

JSON_SCHEMA_SUFFIX = ".schema.json"

__all__ = ["JSON_SCHEMA_SUFFIX", "JsonSchemaError", "is_json_schema", "json_schema_errors"]


@dataclass(frozen=True, slots=True)
class JsonSchemaError:
    """One way a JSON message breaks its schema: where (JSON path), what, which rule."""

    json_path: str
    path: tuple[str | int, ...]
    message: str
    schema_rule: str


def is_json_schema(relative: str) -> bool:
    """True when a mapping's ``input.schema`` names a JSON Schema rather than an XSD."""
    return relative.endswith(JSON_SCHEMA_SUFFIX)


@functools.lru_cache(maxsize=32)
def load_json_schema(relative: str) -> jsonschema.protocols.Validator:
    """The validator for a JSON Schema on the schema search path; SchemaError if unusable."""
    schema = _read_schema(relative)
    return jsonschema.validators.validator_for(schema)(schema)


@functools.lru_cache(maxsize=32)
def _quick_validator(relative: str) -> Any:
    """The compiled validator of the same schema, for the yes-or-no answer; offline."""
    return jsonschema_rs.validator_for(_read_schema(relative), offline=True)


@functools.lru_cache(maxsize=32)
def _read_schema(relative: str) -> dict[str, Any]:
    """A JSON Schema from the search path, checked against its metaschema."""
    path = find_schema(relative)
    if path is None:
        raise SchemaError(
            f"The JSON Schema '{relative}' is not on the schema search path; put it in a "
            "schemas folder (or one named by GATEWAY_SCHEMAS_PATH)."
        )
    try:
        schema = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise SchemaError(f"The JSON Schema {path} could not be read: {exc}.") from exc
    if not isinstance(schema, dict):
        raise SchemaError(f"The JSON Schema {path} is not a JSON object.")
    validator_class = jsonschema.validators.validator_for(schema)
    try:
        validator_class.check_schema(schema)
    except jsonschema.exceptions.SchemaError as exc:
        raise SchemaError(f"The JSON Schema {path} is not a valid schema: {exc.message}.") from exc
    return schema


def json_schema_errors(relative: str, data: bytes) -> list[JsonSchemaError]:
    """Every error of a JSON message against the schema ``relative``, in document order.

    ``data`` must already have parsed as JSON (the tree builder has refused anything else);
    if it does not, no schema errors are reported, as the parse error says it all.
    """
    validator = load_json_schema(relative)
    try:
        instance = json.loads(data.decode("utf-8-sig"))
    except (UnicodeDecodeError, ValueError, RecursionError):
        return []
    if _quick_validator(relative).is_valid(instance):
        return []
    errors = sorted(validator.iter_errors(instance), key=lambda error: list(map(str, error.path)))
    return [
        JsonSchemaError(
            json_path=json_path(error.absolute_path),
            path=tuple(error.absolute_path),
            message=_message(error),
            schema_rule="/".join(str(step) for step in error.absolute_schema_path),
        )
        for error in errors
    ]


def json_path(path: Sequence[str | int]) -> str:
    """``['shipments', 1, 'hsCode']`` as ``$.shipments[1].hsCode``."""
    text = "$"
    for step in path:
        if isinstance(step, int):
            text += f"[{step}]"
        elif element_name(step)[1] is None:
            text += f".{step}"
        else:
            text += f"[{json.dumps(step)}]"
    return text


def element_at(root: etree._Element, path: Sequence[str | int]) -> etree._Element:
    """The deepest element of a ``json_tree`` document on the way to a JSON path."""
    node = root
    repeated: list[etree._Element] | None = None
    for step in path:
        if isinstance(step, int):
            entries = repeated if repeated is not None else _named(node, ARRAY_ENTRY, None)
            if not 0 <= step < len(entries):
                return node
            node, repeated = entries[step], None
            continue
        name, odd = element_name(step)
        found = _named(node, name, odd)
        if not found:
            return node
        node, repeated = found[0], found
    return node


def _named(node: etree._Element, name: str, key: str | None) -> list[etree._Element]:
    return [
        child for child in node if child.tag == name and (key is None or child.get("key") == key)
    ]


def _message(error: jsonschema.exceptions.ValidationError) -> str:
    """The error in a sentence; for oneOf/anyOf, the reasons of each alternative."""
    message = error.message
    forms = error.validator_value
    if error.validator == "oneOf" and not error.context and isinstance(forms, list):
        listed = "; ".join(json.dumps(form) for form in forms)
        return (
            "the value matches more than one of the forms allowed here, where exactly one "
            f"must match ({listed})"
        )
    if error.context:
        reasons = sorted({_short(inner) for inner in _leaves(error.context)})
        message = f"{_short(error)}: {'; or '.join(reasons)}"
    return message.rstrip(".")


def _short(error: jsonschema.exceptions.ValidationError) -> str:
    if error.validator in ("oneOf", "anyOf") and error.context:
        return "the value matches none of the allowed forms"
    return str(error.message)


def _leaves(
    errors: Sequence[jsonschema.exceptions.ValidationError],
) -> Iterator[jsonschema.exceptions.ValidationError]:
    for error in errors:
        if error.context:
            yield from _leaves(error.context)
        else:
            yield error
