"""Simulator notifications conform to the official WCO DM response schema and map back."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import pytest
from lxml import etree

from gateway.responses import parse_response
from gateway.schemas import SchemaPack, validation_errors
from gateway.simulator.notifications import (
    FUNCTION_CODES,
    build_notification,
    customs_reference_for,
)

STANDARDS = Path(__file__).resolve().parents[2].parent / "shared" / "standards"

# What each notification kind means to the gateway, by the CDS notification types they imitate.
EXPECTED_OUTCOME = {
    "received": "acknowledged",  # DMSRCV
    "accepted": "accepted",  # DMSACC
    "rejected": "rejected",  # DMSREJ
    "control": "held",  # DMSCTL
    "query": "queried",  # DMSREQ
    "cleared": "released",  # DMSCLE
}


@pytest.fixture(scope="module")
def official_response_schema() -> etree.XMLSchema:
    if not (STANDARDS / "wco-dm-hmrc-cds" / "notification" / "WCO_RES_2_DMS.xsd").is_file():
        pytest.skip(f"the reference standards are not at {STANDARDS}")
    return SchemaPack(STANDARDS).validator("wco-res")


@pytest.mark.parametrize("kind", sorted(FUNCTION_CODES))
def test_every_notification_kind_validates_against_wco_res_2_dms(
    kind: str, official_response_schema: etree.XMLSchema
) -> None:
    body = build_notification(kind, "LRN-0001", mrn="25GB0123456789ABCD")
    assert validation_errors(official_response_schema, etree.fromstring(body)) == []


@pytest.mark.parametrize("kind", sorted(FUNCTION_CODES))
def test_every_notification_kind_maps_back_to_its_outcome(kind: str) -> None:
    issued = datetime(2025, 1, 31, 11, 36, 14, tzinfo=UTC)
    body = build_notification(kind, "LRN-0001", mrn="25GB0123456789ABCD", issued=issued)
    [outcome] = parse_response("uk-cds", body)
    assert outcome.outcome == EXPECTED_OUTCOME[kind]
    assert outcome.declaration_ref == "LRN-0001"
    assert outcome.customs_reference == "25GB0123456789ABCD"
    assert outcome.issued_at == "2025-01-31T11:36:14Z"


def test_customs_reference_is_mrn_shaped_and_stable_per_lrn() -> None:
    moment = datetime(2025, 6, 1, tzinfo=UTC)
    first = customs_reference_for("LRN-1", moment)
    assert len(first) == 18
    assert first.startswith("25GB")
    assert first == customs_reference_for("LRN-1", moment)
    assert first != customs_reference_for("LRN-2", moment)


def test_unknown_kind_is_refused() -> None:
    with pytest.raises(ValueError, match="not a notification kind"):
        build_notification("teleported", "LRN-1")
