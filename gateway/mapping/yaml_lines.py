"""YAML loading that remembers line numbers, so mapping errors can name file and line."""

from __future__ import annotations

from typing import Any

import yaml

from gateway.errors import MappingError, MappingIssue


class LineDict(dict[str, Any]):
    """A YAML mapping that knows its own line and the line of each key (1-based)."""

    line: int = 0
    key_lines: dict[str, int]

    def line_of(self, key: str) -> int:
        return self.key_lines.get(key, self.line)


class LineList(list[Any]):
    """A YAML sequence that knows its own line (1-based)."""

    line: int = 0


class _Loader(yaml.SafeLoader):
    """SafeLoader (no arbitrary objects) that records lines and refuses duplicate keys."""

    duplicate_keys: list[tuple[str, int]]


def _construct_mapping(loader: _Loader, node: yaml.MappingNode) -> LineDict:
    result = LineDict()
    result.line = node.start_mark.line + 1
    result.key_lines = {}
    for key_node, value_node in node.value:
        key = loader.construct_object(key_node, deep=True)
        key_text = str(key)
        line = key_node.start_mark.line + 1
        if key_text in result:
            loader.duplicate_keys.append((key_text, line))
        result[key_text] = loader.construct_object(value_node, deep=True)
        result.key_lines[key_text] = line
    return result


def _construct_sequence(loader: _Loader, node: yaml.SequenceNode) -> LineList:
    result = LineList(loader.construct_object(child, deep=True) for child in node.value)
    result.line = node.start_mark.line + 1
    return result


_Loader.add_constructor(yaml.resolver.BaseResolver.DEFAULT_MAPPING_TAG, _construct_mapping)
_Loader.add_constructor(yaml.resolver.BaseResolver.DEFAULT_SEQUENCE_TAG, _construct_sequence)


def load_yaml(text: str, file: str, *, duplicates: list[MappingIssue] | None = None) -> Any:
    """Parse YAML text into LineDict/LineList/scalars; MappingError for syntax or duplicate keys.

    When ``duplicates`` is given, duplicate keys are added to it instead of raised, so a caller
    can report them together with the other problems of the file (the last value wins).
    """
    loader = _Loader(text)
    loader.duplicate_keys = []
    try:
        data = loader.get_single_data()
    except yaml.MarkedYAMLError as exc:
        line = exc.problem_mark.line + 1 if exc.problem_mark else None
        raise MappingError(
            [MappingIssue(file, line, "", f"the file is not valid YAML: {exc.problem}.")]
        ) from exc
    except yaml.YAMLError as exc:
        raise MappingError(
            [MappingIssue(file, None, "", f"the file is not valid YAML: {exc}.")]
        ) from exc
    finally:
        loader.dispose()
    issues = [
        MappingIssue(file, line, key, f"the key '{key}' appears twice in the same block.")
        for key, line in loader.duplicate_keys
    ]
    if duplicates is not None:
        duplicates.extend(issues)
    elif issues:
        raise MappingError(issues)
    return data
