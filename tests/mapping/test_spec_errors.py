"""Mistakes in mapping files: every one reported at once, each with file, line and rule."""

from __future__ import annotations

import textwrap
from pathlib import Path

import pytest

from gateway.errors import MappingError, MappingIssue
from gateway.mapping.catalog import MappingCatalog
from gateway.mapping.spec import read_mapping

FILE = "/ops/mappings/feeds/bad.yaml"

# Line numbers matter: the assertions below name them.
MANY_MISTAKES = """\
name: wrong-name
kind: feed
input: {format: xml, root: R}
parameters:
  eori: {description: the declarant's EORI}
declarations:
  for_each: Item
  id: ID
  template:
    A: {from: X, apply: [shout]}
    B: {from: X, apply: [{round: many}]}
    C: {param: missing}
    D: {from: X, value: "1"}
    when: "1"
    E: {from: "X[["}
    F:
      from: X
      Child: {from: Y}
    G: {from: X}
    G: {from: Y}
    H: {from: X, apply: [{convert_unit: {from: GRM}}]}
"""


def _issues(text: str, file: str = FILE) -> list[MappingIssue]:
    with pytest.raises(MappingError) as caught:
        read_mapping(text, file)
    return list(caught.value.issues)


def _at(issues: list[MappingIssue], line: int) -> MappingIssue:
    found = [issue for issue in issues if issue.line == line]
    assert found, f"no issue reported on line {line}: {issues}"
    return found[0]


@pytest.fixture(scope="module")
def many() -> list[MappingIssue]:
    return _issues(MANY_MISTAKES)


def test_every_mistake_of_a_file_is_reported_in_one_error(many: list[MappingIssue]) -> None:
    assert sorted(issue.line or 0 for issue in many) == [1, 10, 11, 12, 13, 14, 15, 17, 20, 21]
    assert all(issue.file == FILE for issue in many)


def test_unknown_function_names_the_rule_and_lists_the_known_ones(
    many: list[MappingIssue],
) -> None:
    issue = _at(many, 10)
    assert issue.rule == "A"
    assert "'shout' is not a known function" in issue.message
    assert "decimal" in issue.message
    assert "regex_replace" in issue.message


def test_bad_function_arguments_say_what_the_function_takes(many: list[MappingIssue]) -> None:
    assert _at(many, 11).rule == "B"
    assert "decimal places" in _at(many, 11).message
    missing = _at(many, 21)
    assert missing.rule == "H"
    assert "'convert_unit' needs the argument(s) to" in missing.message


def test_unknown_parameter_names_the_declared_ones(many: list[MappingIssue]) -> None:
    issue = _at(many, 12)
    assert issue.rule == "C"
    assert "'missing'" in issue.message
    assert "eori" in issue.message


def test_two_value_keys_in_one_rule_are_refused(many: list[MappingIssue]) -> None:
    issue = _at(many, 13)
    assert issue.rule == "D"
    assert "only one of from, value" in issue.message


def test_a_directive_used_as_an_output_element_is_refused(many: list[MappingIssue]) -> None:
    issue = _at(many, 14)
    assert issue.rule == "when"
    assert "directive" in issue.message


def test_a_path_that_is_not_xpath_is_refused_with_the_reason(many: list[MappingIssue]) -> None:
    issue = _at(many, 15)
    assert issue.rule == "E"
    assert "'X[['" in issue.message
    assert "never closed" in issue.message


def test_an_element_with_a_value_and_child_elements_is_refused(many: list[MappingIssue]) -> None:
    issue = _at(many, 17)
    assert issue.rule == "F"
    assert "cannot also have child elements" in issue.message


def test_a_duplicate_yaml_key_is_reported_with_the_other_mistakes(
    many: list[MappingIssue],
) -> None:
    issue = _at(many, 20)
    assert issue.rule == "G"
    assert "appears twice" in issue.message


def test_a_name_differing_from_the_file_name_is_refused(many: list[MappingIssue]) -> None:
    issue = _at(many, 1)
    assert issue.rule == "name"
    assert "'wrong-name'" in issue.message
    assert "'bad'" in issue.message


def test_the_error_text_is_full_sentences_naming_file_line_and_rule(
    many: list[MappingIssue],
) -> None:
    text = str(MappingError(many))
    assert text.startswith(f"The mapping has {len(many)} problems:")
    lines = text.splitlines()[1:]
    assert len(lines) == len(many)
    for line, issue in zip(lines, many, strict=True):
        assert line.strip().startswith(f"{FILE}:{issue.line} (rule {issue.rule}): ")
        assert line.endswith("."), line
    for issue in many:
        assert issue.message[:1].isalpha() or issue.message[:1] == "'"
        assert "Traceback" not in issue.message


def test_a_wrong_kind_is_refused() -> None:
    text = "name: bad\nkind: feeder\noutput: {root: X}\ndocuments: {template: {A: '1'}}\n"
    issue = _at(_issues(text), 2)
    assert issue.rule == "kind"
    assert "feed, destination" in issue.message


def test_an_unknown_section_is_refused() -> None:
    text = "name: bad\nkind: feed\ninput: {root: R}\ndeclaration:\n  for_each: Item\n"
    issues = _issues(text)
    assert _at(issues, 4).rule == "declaration"
    assert "not a mapping-file section" in _at(issues, 4).message


def test_a_directive_at_the_end_of_a_slash_path_is_refused() -> None:
    text = textwrap.dedent(
        """\
        name: bad
        kind: feed
        input: {root: R}
        declarations:
          for_each: Item
          id: ID
          template:
            Group/for_each: X
        """
    )
    issue = _at(_issues(text), 8)
    assert issue.rule == "Group/for_each"
    assert "directive" in issue.message


def test_invalid_yaml_names_the_line() -> None:
    issue = _at(_issues("name: bad\nkind: [feed\n"), 3)
    assert "not valid YAML" in issue.message


def test_a_mapping_sitting_in_the_wrong_folder_is_refused(tmp_path: Path) -> None:
    (tmp_path / "destinations").mkdir()
    (tmp_path / "destinations" / "x.yaml").write_text(
        "name: x\nkind: feed\ninput: {root: R}\n"
        "declarations: {for_each: Item, id: ID, template: {A: '1'}}\n",
        encoding="utf-8",
    )
    with pytest.raises(MappingError, match="sits among the destination mappings"):
        MappingCatalog([tmp_path]).get("x", "destination")
