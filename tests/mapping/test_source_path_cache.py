"""Source paths worked out once per output path: ``CompiledMapping.source_path`` keeps, per
canonical path, the text around the item's position, and must answer exactly what working
the path out from the lineage each time answers (``_work_out_source_path``)."""

from __future__ import annotations

from typing import Any, cast

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from gateway.mapping.catalog import (
    _DIRECT,
    _OTHER_PROBE,
    _PROBE,
    CompiledMapping,
    Lineage,
    MappingCatalog,
    SourceStep,
)

ITEM = SourceStep("Item", None)
CONTENT = SourceStep("Contents/Content", "Content", "Goods/Content")


def hand_made(lineage: dict[str, Lineage]) -> CompiledMapping:
    """A compiled mapping with only a lineage: all ``source_path`` reads."""
    return CompiledMapping(
        spec=cast(Any, None),
        stylesheet="",
        transform=cast(Any, None),
        lineage=lineage,
        read_paths=frozenset(),
    )


EDGES = hand_made(
    {
        "Goods/Name": Lineage((ITEM,), "Addressee/Name", "m.yaml:1"),
        # climbs out of the item: the position goes with the step it climbs from
        "Goods/Header": Lineage((ITEM,), "../Header/ID", "m.yaml:2"),
        # climbs out of the group only: the position stays
        "Goods/Content/Total": Lineage((ITEM, CONTENT), "../../Total", "m.yaml:3"),
        "Goods/Content/Value": Lineage((ITEM, CONTENT), "Value", "m.yaml:4"),
        "Goods/Sum": Lineage((ITEM,), "sum(Contents/Content/Value)", "m.yaml:5", computed=True),
        "Goods/Whole": Lineage((ITEM,), "", "m.yaml:6"),
        "Goods/Message": Lineage((), "/Batch/Header/ID", "m.yaml:7"),
        # a mapping that spells a probe's digits: no template, worked out each time
        "Goods/Probe": Lineage((SourceStep(f"Item[@n='{_PROBE}']", None),), "X", "m.yaml:8"),
        "Goods/OtherProbe": Lineage((ITEM,), f"X[{_OTHER_PROBE}]", "m.yaml:9"),
        "Goods/Climbs": Lineage((ITEM,), "../../..", "m.yaml:10"),
    }
)
EDGE_PATHS = [
    "Goods/Name",
    "Goods/Header",
    "Goods/Content[3]/Total",
    "Goods/Content[2]/Value",
    "Goods/Content/Value",
    "Goods/Sum",
    "Goods/Whole",
    "Goods/Message",
    "Goods/Probe",
    "Goods/OtherProbe",
    "Goods/Climbs",
    "Goods/Unknown",
    "",
]


@pytest.mark.parametrize("path", EDGE_PATHS)
@pytest.mark.parametrize("position", [1, 2, 9, 10, 99, 1000, 123456789, _PROBE, _OTHER_PROBE])
def test_every_edge_case_answers_as_worked_out_each_time(path: str, position: int) -> None:
    expected = EDGES._work_out_source_path(path, position)
    assert EDGES.source_path(path, position) == expected
    assert EDGES.source_path(path, position) == expected  # from the cache this time


def test_the_edge_cases_are_what_they_claim() -> None:
    assert EDGES.source_path("Goods/Name", 7) == "Item[7]/Addressee/Name"
    assert EDGES.source_path("Goods/Header", 7) == "Header/ID"
    assert EDGES.source_path("Goods/Content[3]/Total", 7) == "Item[7]/Total"
    assert EDGES.source_path("Goods/Sum", 7) == "sum(Contents/Content/Value) in Item[7]"
    assert EDGES.source_path("Goods/Probe", 7) == f"Item[@n='{_PROBE}'][7]/X"
    assert EDGES.source_path("Goods/OtherProbe", 7) == f"Item[7]/X[{_OTHER_PROBE}]"
    assert EDGES.source_path("Goods/Unknown", 7) is None
    kinds = {path: EDGES._templates[path] for path in ("Goods/Probe", "Goods/Header")}
    assert kinds == {"Goods/Probe": _DIRECT, "Goods/Header": "Header/ID"}
    assert EDGES._templates["Goods/Name"] == ("Item[", "]/Addressee/Name")


@settings(max_examples=300, deadline=None)
@given(
    path=st.sampled_from(EDGE_PATHS),
    positions=st.lists(st.integers(min_value=0, max_value=10**15), min_size=1, max_size=6),
)
def test_any_positions_in_any_order_answer_as_worked_out(path: str, positions: list[int]) -> None:
    mapping = hand_made(EDGES.lineage)  # a cache of its own, filled in the order given
    for position in positions:
        assert mapping.source_path(path, position) == mapping._work_out_source_path(path, position)


@pytest.fixture(scope="module")
def catalog() -> MappingCatalog:
    return MappingCatalog()


BUNDLED = [
    (kind, name) for kind in ("feed", "destination") for name in MappingCatalog().names(kind)
]


def _with_indices(key: str, number: int) -> str:
    """A lineage key with a position on every step, as problems name repeated groups."""
    return "/".join(f"{step}[{number + depth}]" for depth, step in enumerate(key.split("/")))


@pytest.mark.parametrize(("kind", "name"), BUNDLED)
def test_every_bundled_path_answers_as_worked_out(
    catalog: MappingCatalog, kind: str, name: str
) -> None:
    mapping = catalog.get(name, kind)
    for key in mapping.lineage:
        for path in (key, _with_indices(key, 1), _with_indices(key, 2)):
            for position in (1, 2, 37, 500, 501, 100000):
                expected = mapping._work_out_source_path(path, position)
                assert mapping.source_path(path, position) == expected, (path, position)


def test_the_cache_stays_bounded_and_right_when_cleared() -> None:
    mapping = hand_made(EDGES.lineage)
    for number in range(5000):
        path = f"Goods/Content[{number}]/Value"
        assert mapping.source_path(path, number) == mapping._work_out_source_path(path, number)
    assert len(mapping._templates) <= 4097
