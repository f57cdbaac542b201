"""A canonical declaration the canonical schema refuses names the place inside the declaration.

A feed mapping can write a value the canonical schema does not take (here a package count
that is not a number, from a feed without a schema of its own). The problem's canonical path is
said inside the declaration, as every other canonical path is, not as the position of the
declaration in the batch the engine happened to validate.
"""

from __future__ import annotations

from pathlib import Path

from gateway.mapping.catalog import MappingCatalog
from gateway.pipeline import Pipeline

FEED = """\
name: counted
kind: feed
input: {format: xml, root: Batch}
declarations:
  for_each: Parcel
  id: ID
  template:
    FunctionalReferenceID: {from: ID, required: true}
    TotalPackageQuantity: {from: Packages}
"""


def _pipeline(tmp_path: Path) -> Pipeline:
    (tmp_path / "feeds").mkdir()
    (tmp_path / "destinations").mkdir()
    (tmp_path / "feeds" / "counted.yaml").write_text(FEED, encoding="utf-8")
    return Pipeline(MappingCatalog([tmp_path]))


def test_canonical_schema_problem_names_the_path_inside_the_declaration(tmp_path: Path) -> None:
    parcels = "".join(
        f"<Parcel><ID>P{number}</ID><Packages>{'many' if number == 3 else 1}</Packages></Parcel>"
        for number in range(1, 5)
    )
    result = _pipeline(tmp_path).read_feed("counted", f"<Batch>{parcels}</Batch>".encode())
    refused = [
        (declaration.declaration_id, problem.code, problem.canonical_path)
        for declaration in result.declarations
        for problem in declaration.problems
    ]
    assert refused == [("P3", "canonical.invalid", "TotalPackageQuantity")]
