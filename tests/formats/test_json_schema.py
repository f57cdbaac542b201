"""JSON feeds against their JSON Schema: JSON paths, placing errors in the tree, loading."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from gateway.errors import SchemaError
from gateway.formats.json_schema import (
    element_at,
    is_json_schema,
    json_path,
    json_schema_errors,
    load_json_schema,
)
from gateway.formats.json_tree import parse_json


def test_json_paths_read_like_the_mapping_files() -> None:
    assert json_path(["shipments", 1, "items", 0, "hsCode"]) == "$.shipments[1].items[0].hsCode"
    assert json_path([]) == "$"
    assert json_path(["odd key", 0]) == '$["odd key"][0]'


def test_an_error_is_placed_on_the_deepest_element_present() -> None:
    """Array entries repeat their key's element; a missing member stops at its parent."""
    root = parse_json(b'{"a": [{"b": 1}, {"b": 2, "c": {"d": "x"}}], "top": [[1, 2]]}', "t")
    second = element_at(root, ["a", 1])
    assert second.findtext("b") == "2"
    assert element_at(root, ["a", 1, "c", "d"]).text == "x"
    assert element_at(root, ["a", 0, "missing"]) is element_at(root, ["a", 0])
    assert element_at(root, ["a", 7]) is root.find("a")


def test_only_schema_json_files_are_json_schemas() -> None:
    assert is_json_schema("feeds/express-manifest-json.schema.json")
    assert not is_json_schema("feeds/upu-itmatt.xsd")


def test_every_error_is_reported_in_document_order() -> None:
    relative = "feeds/express-manifest-json.schema.json"
    errors = json_schema_errors(relative, json.dumps({"manifestId": ""}).encode())
    paths = [error.json_path for error in errors]
    assert paths == sorted(paths)
    assert {"$", "$.manifestId"} <= set(paths)
    assert all(error.schema_rule for error in errors)


def test_missing_and_broken_schemas_are_schema_errors(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("GATEWAY_SCHEMAS_PATH", str(tmp_path))
    with pytest.raises(SchemaError, match="not on the schema search path"):
        load_json_schema("feeds/absent-for-test.schema.json")
    (tmp_path / "broken-for-test.schema.json").write_text('{"type": 12}', encoding="utf-8")
    with pytest.raises(SchemaError, match="is not a valid schema"):
        load_json_schema("broken-for-test.schema.json")
