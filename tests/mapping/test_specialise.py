"""A destination stylesheet specialised to a feed writes the same bytes as the general one.

The specialised stylesheet (``CompiledMapping.transform_for``) leaves out the rules that read
only canonical paths the feed never writes. These tests pin that it does leave them out, and
that for every bundled feed and destination its output, problem markers included, is byte
for byte the general stylesheet's: on every golden and sample input, on generated batches
with problems, and on random declarations made of any of the feed's canonical paths.
"""

from __future__ import annotations

import io
import random
import textwrap
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from lxml import etree

from gateway.canonical import CANONICAL_NS
from gateway.errors import InputError
from gateway.mapping.catalog import CompiledMapping, MappingCatalog, compile_spec
from gateway.mapping.spec import read_mapping
from gateway.mapping.specialise import specialise, written_paths
from gateway.mapping.xslt import stylesheet_text
from gateway.pipeline import Pipeline
from gateway.sample_feeds import itmatt_batch_bytes

ROOT = Path(__file__).resolve().parents[2]
CATALOG = MappingCatalog()
FEEDS = CATALOG.names("feed")
DESTINATIONS = CATALOG.names("destination")
PAIRS = [(feed, destination) for feed in FEEDS for destination in DESTINATIONS]
C = f"{{{CANONICAL_NS}}}"
Trie = dict[str, "Trie"]


def _parameters(mapping: CompiledMapping) -> dict[str, Any]:
    """A value for every parameter of a destination (XSLT string parameters)."""
    return {
        f"param-{name}": etree.XSLT.strparam(f"GB{index}X{name[:3].upper()}")
        for index, name in enumerate(mapping.spec.parameters)
    }


def _both(destination: CompiledMapping, feed: CompiledMapping, batch: etree._Element) -> None:
    """The general and the specialised stylesheet write the same bytes for ``batch``."""
    parameters = _parameters(destination)
    general = destination.transform(batch.getroottree(), **parameters)
    specialised = destination.transform_for(feed)(batch.getroottree(), **parameters)
    assert etree.tostring(specialised) == etree.tostring(general)


def _inputs(feed: str) -> Iterator[tuple[bytes, dict[str, bytes]]]:
    """Every golden-case and sample input of a feed, with its reference documents."""
    import yaml

    seen: set[Path] = set()
    for case in sorted((ROOT / "tests" / "golden" / feed).rglob("case.yaml")):
        settings_ = yaml.safe_load(case.read_text(encoding="utf-8")) or {}
        source = (case.parent / str(settings_["input"])).resolve()
        if source in seen:
            continue
        seen.add(source)
        references = {
            str(name): (case.parent / str(path)).resolve().read_bytes()
            for name, path in (settings_.get("references") or {}).items()
        }
        yield source.read_bytes(), references
    samples = ROOT / "samples" / feed
    if samples.is_dir():
        for path in sorted(samples.iterdir()):
            if path.suffix in {".xml", ".json"} and path.resolve() not in seen:
                yield path.read_bytes(), {}


def _canonical_batches(
    pipeline: Pipeline, feed: str, data: bytes, references: dict[str, bytes]
) -> Iterator[etree._Element]:
    """The canonical batches a feed message becomes, as the pipeline renders them."""
    try:
        for chunk in pipeline.iter_feed(feed, io.BytesIO(data), references=references):
            if chunk.declarations:
                parent = chunk.declarations[0].element.getparent()
                assert parent is not None
                yield parent
    except InputError:  # an input the feed refuses as a whole renders nothing
        return


@pytest.mark.parametrize("feed,destination", PAIRS)
def test_specialised_stylesheet_writes_the_same_bytes_for_every_bundled_input(
    feed: str, destination: str
) -> None:
    """Golden and sample inputs of each feed, through each destination, both ways."""
    pipeline = Pipeline(CATALOG)
    feed_mapping, destination_mapping = (
        CATALOG.get(feed, "feed"),
        CATALOG.get(destination, "destination"),
    )
    rendered = 0
    for data, references in _inputs(feed):
        for batch in _canonical_batches(pipeline, feed, data, references):
            _both(destination_mapping, feed_mapping, batch)
            rendered += 1
    assert rendered, f"no input of {feed} was rendered"


@pytest.mark.parametrize("destination", DESTINATIONS)
def test_specialised_stylesheet_writes_the_same_bytes_for_batches_with_problems(
    destination: str,
) -> None:
    """Generated postal batches where one item in four lacks something or has a bad value."""
    pipeline = Pipeline(CATALOG)
    feed_mapping = CATALOG.get("upu-itmatt", "feed")
    destination_mapping = CATALOG.get(destination, "destination")
    for seed in range(3):
        data = itmatt_batch_bytes(60, seed=seed, problem_rate=0.25)
        for batch in _canonical_batches(pipeline, "upu-itmatt", data, {}):
            _both(destination_mapping, feed_mapping, batch)


def _tree(paths: frozenset[str]) -> Trie:
    """The paths as nested dicts, one level per step."""
    tree: Trie = {}
    for path in sorted(paths):
        node = tree
        for step in path.split("/"):
            node = node.setdefault(step, {})
    return tree


_VALUES = [
    "",
    " ",
    "GB",
    "gb",
    "12.50",
    "3",
    "x  y",
    "GB123456789000",
    "KGM",
    "2026-01-02T03:04:05Z",
]


def _fill(parent: etree._Element, tree: Trie, chance: random.Random) -> None:
    """Elements (none, one or two of each) and attributes of the tree, with random values."""
    for name, below in tree.items():
        if name.startswith("@"):
            if chance.random() < 0.6:
                parent.set(name[1:], chance.choice(_VALUES))
            continue
        for _ in range(chance.choice([0, 0, 1, 1, 1, 2])):
            child = etree.SubElement(parent, C + name)
            if not [key for key in below if not key.startswith("@")] or chance.random() < 0.2:
                child.text = chance.choice(_VALUES)
            _fill(child, below, chance)


@pytest.mark.parametrize("feed,destination", PAIRS)
@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(chance=st.randoms(use_true_random=False))
def test_specialised_stylesheet_writes_the_same_bytes_for_any_declaration_of_the_feed(
    feed: str, destination: str, chance: random.Random
) -> None:
    """Random declarations made of any of the paths the feed writes (any number of each,
    empty, blank or filled) render the same both ways."""
    feed_mapping, destination_mapping = (
        CATALOG.get(feed, "feed"),
        CATALOG.get(destination, "destination"),
    )
    tree = _tree(written_paths(feed_mapping.lineage))
    batch = etree.Element(C + "DeclarationBatch", nsmap={None: CANONICAL_NS})  # type: ignore[dict-item]
    batch.set("feed", feed)
    for _ in range(3):
        _fill(etree.SubElement(batch, C + "Declaration"), tree, chance)
    _both(destination_mapping, feed_mapping, batch)


def test_written_paths_drop_positions_and_add_every_ancestor() -> None:
    assert written_paths(["A/B[2]/C", "A/@x"]) == frozenset({"A", "A/B", "A/B/C", "A/@x"})


_DESTINATION = textwrap.dedent(
    """\
    name: tiny
    kind: destination
    output:
      root: Out
    documents:
      per: declaration
      template:
        Name: {from: "Exporter/Name | GoodsShipment/Consignor/Name"}
        Buyer:
          Name: {from: GoodsShipment/Buyer/Name}
          ID: {from: GoodsShipment/Buyer/ID, apply: [upper]}
        Required:
          Name: {from: GoodsShipment/Buyer/Name, required: true}
        Prefixed: {from: GoodsShipment/Buyer/Name, apply: [{prefix: "X"}]}
        Party:
          for_each: GoodsShipment/DomesticDutyTaxParty
          ID: {from: ID}
        Mode:
          - {when: "not(GoodsShipment/GovernmentProcedure)", Code: "40"}
          - {when: "GoodsShipment/GovernmentProcedure", Code: "00"}
        Computed: {xpath: "count(GoodsShipment/Buyer)"}
    """
)


def test_specialise_leaves_out_what_the_feed_never_writes() -> None:
    """Never-written groups, leaves and for_each go; required ones, leaves that turn ''
    into a value, list entries and computed values stay; unions and tests are narrowed."""
    spec = read_mapping(_DESTINATION, "tiny.yaml")
    written = written_paths(["GoodsShipment/Consignor/Name"])
    specialised = specialise(spec, written)
    assert specialised is not None
    names = [child.name for child in specialised.template.children]
    assert names == ["Name", "Required", "Prefixed", "Mode", "Mode", "Computed"]
    assert specialised.template.children[0].value_xpath == "c:GoodsShipment / c:Consignor / c:Name"
    assert [child.when for child in specialised.template.children[3:5]] == ["true()", "false()"]
    assert spec.template.children[0].value_xpath.startswith("c:Exporter")  # the original stays


def test_specialise_returns_none_when_the_feed_writes_everything_read() -> None:
    spec = read_mapping(_DESTINATION, "tiny.yaml")
    written = written_paths(
        [
            "Exporter/Name",
            "GoodsShipment/Consignor/Name",
            "GoodsShipment/Buyer/Name",
            "GoodsShipment/Buyer/ID",
            "GoodsShipment/DomesticDutyTaxParty/ID",
            "GoodsShipment/GovernmentProcedure",
        ]
    )
    assert specialise(spec, written) is None


def test_specialise_keeps_what_it_cannot_read_as_plain_paths() -> None:
    """Functions, wildcards, variables and predicates other than a position count as present."""
    text = textwrap.dedent(
        """\
        name: tiny
        kind: destination
        output:
          root: Out
        documents:
          per: declaration
          template:
            A: {from: "GoodsShipment/*/Name"}
            B: {from: "GoodsShipment/Buyer[Name = 'x']/ID"}
            C: {from: "//Buyer/Name"}
            D: {from: "GoodsShipment/Buyer[1]/Name"}
        """
    )
    spec = read_mapping(text, "tiny.yaml")
    specialised = specialise(spec, written_paths(["GoodsShipment/Consignor/Name"]))
    assert specialised is not None
    assert [child.name for child in specialised.template.children] == ["A", "B", "C"]


def test_transform_for_is_cached_and_general_without_a_feed() -> None:
    destination = CATALOG.get("uk-cds", "destination")
    feed = CATALOG.get("upu-itmatt", "feed")
    assert destination.transform_for(None) is destination.transform
    assert destination.transform_for(feed) is destination.transform_for(feed)
    assert destination.transform_for(feed) is not destination.transform


def test_specialised_stylesheet_text_compiles_for_every_pair() -> None:
    for feed, destination in PAIRS:
        spec = specialise(
            CATALOG.get(destination, "destination").spec,
            written_paths(CATALOG.get(feed, "feed").lineage),
        )
        if spec is not None:
            compile_spec(spec)
            assert "<xsl:stylesheet" in stylesheet_text(spec)


@pytest.mark.parametrize(
    "when,decided",
    [
        (
            "not(GoodsShipment/Buyer) and count(GoodsShipment/Consignor) = 1",
            "count(c:GoodsShipment / c:Consignor) = 1",
        ),
        ("not(GoodsShipment/Buyer) and not(Exporter)", "true()"),
        ("GoodsShipment/Consignor and GoodsShipment/Buyer", "false()"),
        ("not(GoodsShipment/Consignor) and not(Exporter)", "not(c:GoodsShipment / c:Consignor)"),
        ("GoodsShipment/Buyer or GoodsShipment/Consignor", None),
        ("not(GoodsShipment/Buyer) = false()", None),
        ("not(GoodsShipment/Buyer)[1]", None),
    ],
)
def test_specialise_decides_the_conjuncts_of_a_when_about_never_written_paths(
    when: str, decided: str | None
) -> None:
    """``A and B``: a never-written ``A`` makes it false, ``not(A)`` is left out; anything
    else (an ``or`` at the top, ``not()`` inside a larger expression) stays as written."""
    text = _DESTINATION.replace('when: "GoodsShipment/GovernmentProcedure"', f"when: {when!r}")
    spec = read_mapping(text, "tiny.yaml")
    original = [child for child in spec.template.children if child.name == "Mode"][1].when
    specialised = specialise(spec, written_paths(["GoodsShipment/Consignor/Name"]))
    assert specialised is not None
    mode = [child for child in specialised.template.children if child.name == "Mode"][1]
    assert mode.when == (decided if decided is not None else original)
