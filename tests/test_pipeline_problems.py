"""Problems of refused items: the quick paths give what working each one out in full gives.

The pipeline keeps, per mapping, how each canonical path's source path is written around the
item's position, and builds a destination's requirement problems in one step. Here batches
with many problems are translated twice, once as it runs and once with every source path
worked out from the lineage and every requirement problem built the long way (a blank
problem completed by ``_destination_problem``), and every declaration must come out the same.
"""

from __future__ import annotations

import io

import pytest
from lxml import etree

import gateway.pipeline as pipeline_module
from gateway.demo import demo_parameters
from gateway.mapping.catalog import CompiledMapping, MappingCatalog
from gateway.pipeline import CanonicalDeclaration, Pipeline
from gateway.problems import Problem, Severity
from gateway.sample_feeds import itmatt_batch_bytes
from gateway.translation import TranslatedDeclaration

PARAMETERS = demo_parameters()  # the bundled example parameters of every destination
FEED = "upu-itmatt"
TARGETS = ["uk-cds", "ens-cc315a", "wco-dec"]


def long_way_requirement_problem(
    marker: etree._Element,
    declaration: CanonicalDeclaration,
    target: str,
    feed: CompiledMapping | None,
) -> Problem:
    """A requirement problem as it was built before: blank, then completed."""
    alternatives = [part.strip() for part in (marker.get("requirement") or "").split("|")]
    problem = Problem(
        severity=Severity.ERROR,
        code="required.missing",
        message="",
        item=declaration.declaration_id,
        canonical_path=marker.get("path"),
        rule=marker.get("rule"),
    )
    return pipeline_module._destination_problem(
        problem, target, feed, declaration, alternatives=alternatives[1:]
    )


def translated(pipeline: Pipeline, target: str, data: bytes) -> list[TranslatedDeclaration]:
    found: list[TranslatedDeclaration] = []
    for _chunk, rendered in pipeline.iter_translated(FEED, target, io.BytesIO(data)):
        found.extend(rendered)
    found.extend(pipeline.translate(FEED, target, data).declarations)
    return found


def as_values(declarations: list[TranslatedDeclaration]) -> list[tuple[object, ...]]:
    return [
        (d.index, d.declaration_id, d.canonical, d.output, d.problems, d.consignment_id)
        for d in declarations
    ]


@pytest.mark.parametrize("seed", [1, 2, 3])
@pytest.mark.parametrize("target", TARGETS)
def test_refused_items_get_the_problems_worked_out_in_full(
    monkeypatch: pytest.MonkeyPatch, seed: int, target: str
) -> None:
    data = itmatt_batch_bytes(260, seed=seed, problem_rate=0.3)
    with monkeypatch.context() as patched:
        patched.setattr(CompiledMapping, "source_path", CompiledMapping._work_out_source_path)
        patched.setattr(pipeline_module, "_requirement_problem", long_way_requirement_problem)
        slow = Pipeline(MappingCatalog(), parameters=PARAMETERS, chunk_size=97)
        expected = as_values(translated(slow, target, data))
    quick = Pipeline(MappingCatalog(), parameters=PARAMETERS, chunk_size=97)
    first = as_values(translated(quick, target, data))
    again = as_values(translated(quick, target, data))  # the caches filled by the first run
    refused = [row for row in expected if row[3] is None]
    assert len(refused) > 40
    assert sum(len(row[4]) for row in refused) > 60
    assert first == expected
    assert again == expected
