"""The compiled quick check and the full validator agree on every message, valid or not.

``json_schema_errors`` trusts ``jsonschema_rs`` to say "valid" and asks ``jsonschema`` for
the errors only otherwise; should the two ever disagree on a message, an invalid one would
pass unreported. So both are run on the bundled samples and on systematic variations of
them (each member removed, emptied, set to null, to the wrong type, to a negative number).
"""

from __future__ import annotations

import copy
import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from gateway.formats.json_schema import _quick_validator, json_schema_errors, load_json_schema

ROOT = Path(__file__).resolve().parents[2]
CASES = {
    "feeds/express-manifest-json.schema.json": ROOT / "samples" / "express-manifest-json",
    "feeds/platform-order-json.schema.json": ROOT / "samples" / "platform-order-json",
}


def _paths(value: Any, prefix: tuple[str | int, ...] = ()) -> Iterator[tuple[str | int, ...]]:
    yield prefix
    if isinstance(value, dict):
        for key, member in value.items():
            yield from _paths(member, (*prefix, key))
    elif isinstance(value, list):
        for index, member in enumerate(value):
            yield from _paths(member, (*prefix, index))


def _variants(message: Any) -> Iterator[Any]:
    """Each path of the message changed one way at a time."""
    for path in _paths(message):
        if not path:
            continue
        for change in ("remove", "null", "empty", "number", "text", "negative", "list"):
            changed = copy.deepcopy(message)
            parent = changed
            for step in path[:-1]:
                parent = parent[step]
            last = path[-1]
            if change == "remove":
                if isinstance(parent, dict):
                    del parent[last]
                else:
                    parent.pop(last)
            else:
                parent[last] = {
                    "null": None,
                    "empty": "",
                    "number": 7,
                    "text": "seven",
                    "negative": -1.5,
                    "list": [],
                }[change]
            yield changed


def _messages(folder: Path) -> list[Any]:
    return [json.loads(path.read_text(encoding="utf-8")) for path in sorted(folder.glob("*.json"))]


@pytest.mark.parametrize("schema", sorted(CASES))
def test_the_quick_check_and_the_full_validator_agree(schema: str) -> None:
    quick = _quick_validator(schema)
    full = load_json_schema(schema)
    samples = _messages(CASES[schema])
    assert samples
    checked = invalid = 0
    for sample in samples:
        for message in [sample, *_variants(sample)]:
            full_valid = next(iter(full.iter_errors(message)), None) is None
            assert quick.is_valid(message) == full_valid, json.dumps(message)[:300]
            checked += 1
            invalid += not full_valid
    assert invalid > checked // 4  # the variations do reach the schema's rules


@pytest.mark.parametrize("schema", sorted(CASES))
def test_an_invalid_message_still_gets_every_error(schema: str) -> None:
    message = {"unexpected": True}
    errors = json_schema_errors(schema, json.dumps(message).encode())
    assert len(errors) >= 2
    assert errors == sorted(errors, key=lambda error: error.json_path)
