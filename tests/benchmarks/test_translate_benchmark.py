"""Smoke test of benchmarks/translate.py and its hand-written XSLT baseline.

The benchmark must run end to end and end with its JSON figures; the baseline stylesheet
must write the same UK CDS declarations as the engine, or the ratio it reports means nothing.
"""

from __future__ import annotations

import importlib.util
import io
import json
import subprocess
import sys
from pathlib import Path
from types import ModuleType

import pytest
from lxml import etree

from gateway.sample_feeds import itmatt_batch_bytes
from gateway.schemas import load_schema

ROOT = Path(__file__).resolve().parents[2]
SCRIPT = ROOT / "benchmarks" / "translate.py"
SAMPLES = ROOT / "samples" / "upu-itmatt"
DEC = "{urn:wco:datamodel:WCO:DEC-DMS:2}"
PROBLEM = "urn:customs-gateway:problem:1"
FIGURES = (
    "floor_items_per_s",
    "xslt_items_per_s",
    "engine_items_per_s",
    "engine_vs_xslt",
    "engine_threads_items_per_s",
    "bound_items_per_s",
    "bound_vs_xslt",
    "rss_mb_100k",
)

Shape = list[tuple[str, tuple[tuple[str, str], ...], str]]


@pytest.fixture(scope="module")
def bench() -> ModuleType:
    """benchmarks/translate.py imported as a module (it is a script, not part of the package)."""
    spec = importlib.util.spec_from_file_location("benchmark_translate", SCRIPT)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module  # its dataclasses look their module up while being built
    spec.loader.exec_module(module)
    return module


def shape(document: bytes) -> Shape:
    """Every element in document order: its qualified name, attributes and trimmed text.

    Namespace declarations, prefixes and whitespace between elements do not count.
    """
    root = etree.fromstring(document)
    return [
        (
            str(element.tag),
            tuple(sorted((str(name), str(value)) for name, value in element.attrib.items())),
            (element.text or "").strip(),
        )
        for element in root.iter()
        if isinstance(element.tag, str)
    ]


def lrn(document: bytes) -> str:
    """The declaration's functional reference (the postal item ID)."""
    found = etree.fromstring(document).findtext(f"{DEC}Declaration/{DEC}FunctionalReferenceID")
    assert found
    return found


def test_quick_run_ends_with_the_five_figures_as_json() -> None:
    """`--quick` runs all three contenders and the memory child, last line one JSON object."""
    completed = subprocess.run(
        [sys.executable, str(SCRIPT), "--quick"],
        capture_output=True,
        text=True,
        timeout=600,
        check=False,
        cwd=ROOT,
    )
    assert completed.returncode == 0, completed.stderr
    lines = completed.stdout.strip().splitlines()
    figures = json.loads(lines[-1])
    assert isinstance(figures, dict)
    for key in FIGURES:
        value = figures[key]
        assert isinstance(value, int | float) and not isinstance(value, bool), key
        assert value > 0, key
    assert figures["engine_vs_xslt"] == pytest.approx(
        figures["engine_items_per_s"] / figures["xslt_items_per_s"], rel=0.01
    )
    assert figures["bound_vs_xslt"] == pytest.approx(
        figures["bound_items_per_s"] / figures["xslt_items_per_s"], rel=0.01
    )
    assert any("items/s" in line for line in lines[:-1]), "the human-readable table is missing"
    assert any(line.startswith("(c) by stage") for line in lines), "the engine's stages"
    assert any(line.startswith("(e) by stage") for line in lines), "the bound's stages"


@pytest.mark.parametrize(
    "source",
    ["generated:20:11", "generated:20:2026", "cn-to-gb-small.xml", "us-to-gb.xml"],
)
def test_xslt_baseline_writes_the_engines_declarations(bench: ModuleType, source: str) -> None:
    """For each item the engine accepts, the baseline writes the same elements, attributes and
    values; an item only the baseline writes is one the engine refused for its output schema
    (the baseline does not validate), and the baseline writes nothing the engine reads as
    refused for any other reason."""
    if source.startswith("generated:"):
        _, items, seed = source.split(":")
        data = itmatt_batch_bytes(int(items), seed=int(seed))
    else:
        data = (SAMPLES / source).read_bytes()
    pipeline = bench.make_pipeline()
    engine = {lrn(d): d for d in bench.engine_documents(pipeline, io.BytesIO(data))}
    baseline = {lrn(d): d for d in bench.XsltBaseline().documents(data)}

    assert len(engine) >= 3, "too few accepted items to compare"
    assert set(engine) <= set(baseline), f"the baseline lacks {sorted(set(engine) - set(baseline))}"
    for item, document in engine.items():
        assert shape(baseline[item]) == shape(document), item

    refused = {
        d.declaration_id: d.problems
        for d in pipeline.translate(bench.FEED, bench.TARGET, data).declarations
        if d.output is None
    }
    for item in set(baseline) - set(engine):
        assert refused[item], item
        assert {problem.code for problem in refused[item]} == {"destination.schema"}, item


def test_xslt_baseline_output_is_valid_uk_cds_when_values_are_exact(bench: ModuleType) -> None:
    """The baseline's declarations pass the project's UK CDS schema (checked independently of
    the engine), except where libxml2 writes a number with too many decimals."""
    schema = load_schema("destinations/uk-cds/uk-cds-declaration.xsd")
    documents = list(bench.XsltBaseline().documents((SAMPLES / "cn-to-gb-small.xml").read_bytes()))
    assert len(documents) == 6
    for document in documents:
        tree = etree.ElementTree(etree.fromstring(document))
        assert schema.validate(tree), (lrn(document), str(schema.error_log))


def test_xslt_baseline_skips_items_missing_what_uk_cds_requires(bench: ModuleType) -> None:
    """An item with a content lacking its HS code gets no declaration from the baseline."""
    data = (SAMPLES / "cn-to-gb-small.xml").read_bytes()
    written = {lrn(d) for d in bench.XsltBaseline().documents(data)}
    # LX304175796CN has a content without HSCode; the six others are complete.
    assert "LX304175796CN" not in written
    assert "RR123456785CN" in written


@pytest.mark.parametrize("seed", [11, 2026])
def test_bound_writes_the_baselines_declarations(bench: ModuleType, seed: int) -> None:
    """The two lean hops of the bound write what the one-pass baseline writes (the same
    elements, attributes and values, in order): a bound that did less would mean nothing."""
    data = itmatt_batch_bytes(1200, seed=seed)  # more than two batches of 500
    bound = list(bench.TwoHopBound().documents(data))
    baseline = list(bench.XsltBaseline().documents(data))
    assert len(bound) > 600
    assert [shape(document) for document in bound] == [shape(document) for document in baseline]


def test_bound_writes_the_canonical_declarations_of_the_feed_mapping(bench: ModuleType) -> None:
    """The bound's first hop writes, for every item, the canonical declaration the generated
    feed stylesheet writes (problem attributes aside): it skips no work the engine does."""
    from gateway.mapping.catalog import MappingCatalog

    data = itmatt_batch_bytes(600, seed=7)
    source = etree.fromstring(data)
    batches = bench.TwoHopBound().to_canonical(source).getroot()
    lean = [declaration for batch in batches for declaration in batch]
    assert [len(batch) for batch in batches] == [500, 100]
    generated = list(MappingCatalog().get(bench.FEED, "feed").transform(source).getroot())
    assert len(lean) == len(generated) == 600

    def tree(element: etree._Element) -> tuple[object, ...]:
        attributes = sorted(
            (name, value) for name, value in element.attrib.items() if PROBLEM not in str(name)
        )
        return (
            element.tag,
            tuple(attributes),
            (element.text or "").strip(),
            tuple(tree(child) for child in element),
        )

    for mine, theirs in zip(lean, generated, strict=True):
        assert theirs.find(f".//{{{PROBLEM}}}Problem") is None  # the batch has no problems
        assert tree(mine) == tree(theirs)


def test_bound_refuses_to_time_a_batch_with_problems(bench: ModuleType) -> None:
    """A bound that skipped work on a bad item would be no bound: it stops instead."""
    data = itmatt_batch_bytes(50, seed=3, problem_rate=0.5)
    with pytest.raises(RuntimeError, match=r"not valid|checks found problems"):
        list(bench.TwoHopBound().documents(data))


def test_engine_stages_account_for_the_whole_run(bench: ModuleType) -> None:
    """Each stage of the engine is timed in the run, and the glue is what the stages leave."""
    stages = bench.engine_stages(itmatt_batch_bytes(200, seed=4))
    timed = [
        "feed schema",
        "feed stylesheet",
        "canonical schema",
        "checks",
        "destination stylesheet",
        "UK CDS schema",
    ]
    assert set(stages) == {*timed, "glue", "whole"}
    for stage in timed:
        assert stages[stage] > 0, stage
    assert stages["glue"] >= 0
    assert sum(stages[stage] for stage in [*timed, "glue"]) == pytest.approx(stages["whole"])
