"""Every golden-file case under tests/golden/ produces exactly its expected files."""

from __future__ import annotations

from pathlib import Path

import pytest

from gateway.commands.mappings import golden_cases, run_case

GOLDEN = Path(__file__).resolve().parent / "golden"
CASES = golden_cases(GOLDEN)


def test_there_are_golden_cases_for_every_mapping() -> None:
    """Each bundled feed and destination mapping has at least one golden case."""
    from gateway.mapping.catalog import MappingCatalog

    catalog = MappingCatalog()
    covered = {part for case in CASES for part in case.relative_to(GOLDEN).parts[:2]}
    for name in catalog.names("feed") + catalog.names("destination"):
        assert name in covered, f"no golden case exercises the mapping {name}"


@pytest.mark.parametrize("case", CASES, ids=[str(c.relative_to(GOLDEN)) for c in CASES])
def test_golden_case_matches_expected_files(case: Path) -> None:
    """Today's mappings reproduce the reviewed expected files of the case byte for byte."""
    result = run_case(case)
    assert result.passed, "\n".join(result.differences)
