"""UK CDS declarations made from the express-carrier feeds (IATA XFZB/XFWB house and master
waybills, express JSON manifests) are valid against HMRC's official WCO DEC-DMS schema."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.conformance.conftest import AssertValidOfficial

GOLDEN = Path(__file__).resolve().parents[2] / "tests" / "golden"
FEEDS = ("iata-xfzb", "iata-xfwb", "express-manifest-json")
OUTPUTS = sorted(
    output for feed in FEEDS for output in (GOLDEN / feed / "uk-cds").glob("*/expected/*.xml")
)


def test_the_express_feeds_have_uk_cds_outputs_to_check() -> None:
    assert {output.relative_to(GOLDEN).parts[0] for output in OUTPUTS} == {
        "iata-xfzb",
        "express-manifest-json",
    }


@pytest.mark.parametrize("output", OUTPUTS, ids=[str(p.relative_to(GOLDEN)) for p in OUTPUTS])
def test_express_uk_cds_output_is_valid_against_the_official_schema(
    output: Path, assert_valid_official: AssertValidOfficial
) -> None:
    assert_valid_official("uk-cds", output.read_bytes())
