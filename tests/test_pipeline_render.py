"""Rendering a message read in many chunks: input order, and canonical forms left as they were."""

from __future__ import annotations

import pytest

from gateway.pipeline import Pipeline
from gateway.sample_feeds import itmatt_batch_bytes

PARAMETERS = {"uk-cds": {"declarant_eori": "GB123456789000", "goods_location_name": "LHRLHRLHR"}}


@pytest.mark.parametrize("seed", [5, 6, 7])
def test_a_message_of_many_chunks_renders_in_input_order(seed: int) -> None:
    """Seven chunks read whole and then rendered come back in the order of the message.

    The chunks were grouped by the id() of their batch element's proxy; a proxy let go could
    come back at the same address for a later chunk, which then joined an earlier one's
    group (seen: items 0-99, 200-299, ..., then 100-199)."""
    pipeline = Pipeline(parameters=PARAMETERS, chunk_size=100)
    result = pipeline.read_feed("upu-itmatt", itmatt_batch_bytes(700, seed=seed))
    rendered = pipeline.render(result, "uk-cds")
    assert [d.index for d in rendered] == list(range(700))
    assert [d.declaration_id for d in rendered] == [d.declaration_id for d in result.declarations]


def test_rendering_leaves_the_canonical_form_of_refused_declarations_as_it_was() -> None:
    """Declarations refused before rendering are passed by in place, marked for the run; the
    mark's namespace declaration must go with the mark (it stayed as xmlns:ns0 before)."""
    pipeline = Pipeline(parameters=PARAMETERS, chunk_size=100)
    result = pipeline.read_feed("upu-itmatt", itmatt_batch_bytes(300, seed=11, problem_rate=0.3))
    before = [d.canonical for d in result.declarations]
    refused = [d for d in result.declarations if not d.accepted]
    assert len(refused) > 20
    pipeline.render(result, "uk-cds")
    after = [d.canonical for d in result.declarations]
    assert after == before
    assert not any(b"urn:customs-gateway:problem:1" in canonical for canonical in after)
