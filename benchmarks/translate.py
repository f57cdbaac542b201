"""How fast the gateway translates ITMATT postal items to UK CDS, against a hand-written XSLT.

Run from the project root::

    .venv/bin/python benchmarks/translate.py [--items 10000] [--rounds 3] [--quick]

On one deterministic batch of ``--items`` ITMATT items (``gateway.sample_feeds``, seed 2026,
no injected problems) it measures, with the runs alternated a, b, c, a, b, c ... after one
warm-up of each:

(a) floor: parse the batch and serialise every ``Item`` element on its own;
(b) xslt: parse the batch, run the hand-written XSLT 1.0 stylesheet
    ``benchmarks/itmatt-to-uk-cds.xsl`` under lxml/libxslt, serialise one document per item;
(c) engine: the gateway's own translation (``Pipeline.iter_feed`` + ``Pipeline.render``):
    streaming parse, feed schema validation, mapping to canonical, checks, canonical schema
    validation, rendering for uk-cds, output schema validation, one document per item;
(d) the same with two threads (not the target's ratio: two cores against one);
(e) bound: two lean hand-written stylesheets (source to canonical, canonical to UK CDS) with
    the engine's own schema validations and checks between them, and no problem reporting:
    what no engine doing that work can beat (``TwoHopBound``).

All three start from the same bytes in memory and count every input item (items the
destination refuses, e.g. for a missing HS code, count too; (b) skips the same items). The
figure kept for each is the best (shortest) round; the median is printed as well.

Then, in a child process each, it streams a 100,000-item and a 20,000-item batch through (c)
from a temporary file, discarding the outputs, and reports the child's peak resident memory
(``VmHWM`` on Linux, else ``ru_maxrss``), to show memory is flat in batch size.

The last line printed is one JSON object: ``floor_items_per_s``, ``xslt_items_per_s``,
``engine_items_per_s``, ``engine_vs_xslt`` (c/b), ``bound_vs_xslt`` (e/b), ``rss_mb_100k``
(and ``rss_mb_20k``, ``items``, ``rounds``, ``rss_items``, ``statistic`` for context). ``--quick`` (300 items,
1 round, 5,000 and 1,000 items for memory) is for the smoke test; its ``rss_mb_100k`` is then
the 5,000-item figure.
"""

from __future__ import annotations

import argparse
import io
import json
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import IO, Any

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from lxml import etree  # noqa: E402

from gateway.pipeline import Pipeline  # noqa: E402
from gateway.sample_feeds import (  # noqa: E402
    ITMATT_NAMESPACE,
    itmatt_batch_bytes,
    write_itmatt_batch,
)

STYLESHEET = Path(__file__).resolve().with_name("itmatt-to-uk-cds.xsl")
FEED = "upu-itmatt"
TARGET = "uk-cds"
SEED = 2026
PARAMETERS: dict[str, str] = {
    "declarant_eori": "GB123456789000",
    "goods_location_name": "LHRLHRLHR",
}
_ITEM = f"{{{ITMATT_NAMESPACE}}}Item"
THREADS = 2
"""Threads of contender (d); this machine has 2 cores."""


# -- the three contenders ----------------------------------------------------------------------


def _parser() -> etree.XMLParser:
    """The same hardened settings the gateway's own parser uses (no DTD, no network)."""
    return etree.XMLParser(
        resolve_entities=False, no_network=True, load_dtd=False, collect_ids=False
    )


def floor_documents(data: bytes) -> Iterator[bytes]:
    """(a) Parse the batch and serialise each item element: the cost of XML in and out."""
    root = etree.fromstring(data, _parser())
    for item in root.iterchildren(_ITEM):
        yield etree.tostring(item, encoding="UTF-8", xml_declaration=True)


class XsltBaseline:
    """(b) The hand-written stylesheet, compiled once, with the destination's parameters."""

    def __init__(self, parameters: dict[str, str] | None = None) -> None:
        self.transform = etree.XSLT(etree.parse(str(STYLESHEET), _parser()))
        given = PARAMETERS if parameters is None else parameters
        # Any: lxml's stubs type **kwargs of XSLT.__call__ so that a dict of params clashes
        # with its profile_run flag.
        self.parameters: dict[str, Any] = {
            name: etree.XSLT.strparam(value) for name, value in given.items()
        }

    def documents(self, data: bytes) -> Iterator[bytes]:
        """Parse the batch, transform it, and serialise one UK CDS document per accepted item."""
        document = etree.fromstring(data, _parser())
        result = self.transform(document, **self.parameters).getroot()
        for declaration in result:
            yield etree.tostring(declaration, encoding="UTF-8", xml_declaration=True)


class _StageClock:
    """Seconds spent in each named stage, by ``clock``: laps, or wrapped callables."""

    def __init__(self, clock: Callable[[], float] = time.perf_counter) -> None:
        self.seconds: dict[str, float] = {}
        self._clock = clock
        self._last = clock()

    def add(self, stage: str, seconds: float) -> None:
        self.seconds[stage] = self.seconds.get(stage, 0.0) + seconds

    def lap(self, stage: str) -> None:
        """The time since the last lap (or the start) goes to ``stage``."""
        now = self._clock()
        self.add(stage, now - self._last)
        self._last = now

    def wrap(self, stage: str, function: Callable[..., Any]) -> Callable[..., Any]:
        """``function``, its time added to ``stage`` at each call."""

        def timed(*args: Any, **kwargs: Any) -> Any:
            started = self._clock()
            try:
                return function(*args, **kwargs)
            finally:
                self.add(stage, self._clock() - started)

        return timed


class TwoHopBound:
    """(e) A lower bound for any engine with a canonical hop: two lean hand-written stylesheets.

    ``two-hop-itmatt-to-canonical.xsl`` writes the canonical declarations the feed mapping
    writes, in batches of the engine's chunk size; ``two-hop-canonical-to-uk-cds.xsl`` writes
    the baseline's UK CDS declarations from them. Between and around the hops run the same
    checks the engine must run, with the engine's own code and schemas: the feed schema, the
    canonical schema, the checks of the feed mapping (``CheckSuite``) on each batch, and the
    UK CDS schema on all outputs in one call. What it leaves out is what makes an engine: the
    tests and markers that say which value is wrong and where, lineage, streaming. An engine
    cannot be faster than this; the ratio of this bound to (b) is the most the target's ratio
    can be on the machine that runs it.
    """

    def __init__(self, parameters: dict[str, str] | None = None) -> None:
        from gateway.canonical.xsd import canonical_schema
        from gateway.schemas import load_schema, load_wrapped_schema

        folder = STYLESHEET.parent
        self.to_canonical = etree.XSLT(
            etree.parse(str(folder / "two-hop-itmatt-to-canonical.xsl"), _parser())
        )
        self.to_uk_cds = etree.XSLT(
            etree.parse(str(folder / "two-hop-canonical-to-uk-cds.xsl"), _parser())
        )
        given = PARAMETERS if parameters is None else parameters
        self.parameters: dict[str, Any] = {
            name: etree.XSLT.strparam(value) for name, value in given.items()
        }
        pipeline = make_pipeline()
        feed = pipeline.feed_mapping(FEED).spec
        destination = pipeline.destination_mapping(TARGET).spec
        if feed.input_schema is None or destination.output_schema is None:
            raise RuntimeError("The bound needs the feed's and the destination's schemas.")
        self.feed_schema = load_schema(feed.input_schema)
        self.canonical_schema = canonical_schema()
        self.output_schema = load_wrapped_schema(destination.output_schema)
        self.checks = pipeline.feed_checks(FEED)
        self.stages: dict[str, float] = {}

    def documents(self, data: bytes) -> Iterator[bytes]:
        """Parse, validate, map, check, render, validate and serialise: one document per item.

        A validation or check that finds something raises: the benchmark's batch has no
        problems, and a bound that skipped work on a failure would not be one. The seconds
        each stage took are kept in ``stages`` (the last run's).
        """
        clock = _StageClock()
        document = etree.fromstring(data, _parser())
        clock.lap("parse")
        self._valid(self.feed_schema, document, "the feed schema")
        clock.lap("feed schema")
        batches = self.to_canonical(document).getroot()
        clock.lap("to canonical (lean)")
        for batch in batches:
            self._valid(self.canonical_schema, batch, "the canonical schema")
            clock.lap("canonical schema")
            declarations = list(batch)
            found = self.checks.run(declarations, [str(n) for n in range(len(declarations))])
            if any(found):
                raise RuntimeError(f"The checks found problems in the bound's batch: {found}")
            clock.lap("checks")
        wrapped = self.to_uk_cds(batches.getroottree(), **self.parameters).getroot()
        clock.lap("to UK CDS (lean)")
        self._valid(self.output_schema, wrapped, "the UK CDS schema")
        clock.lap("UK CDS schema")
        for entry in wrapped:
            yield etree.tostring(entry[0], encoding="UTF-8", xml_declaration=True)
        clock.lap("serialise")
        self.stages = clock.seconds

    @staticmethod
    def _valid(schema: etree.XMLSchema, node: etree._Element, what: str) -> None:
        if not schema.validate(node):
            raise RuntimeError(
                f"The bound's document is not valid against {what}: {schema.error_log}"
            )


def engine_stages(data: bytes) -> dict[str, float]:
    """CPU seconds of each stage of (c) in one run over ``data``, after one warm-up run.

    A pipeline of its own, with its stages wrapped on the instances (benchmark instrumentation:
    it reaches into the pipeline's private methods, so it follows them when they change). The
    stylesheets and validations are timed where they run; "glue" is the rest of the run: the
    streaming parse, serialising, problems of refused items, the Python between the stages.
    """
    pipeline = make_pipeline()
    clock = _StageClock(time.process_time)
    feed = pipeline.feed_mapping(FEED)
    destination = pipeline.destination_mapping(TARGET)
    feed.transform = clock.wrap("feed stylesheet", feed.transform)  # type: ignore[assignment]
    specialised = destination.transform_for

    def transform_for(mapping: Any) -> Any:
        return clock.wrap("destination stylesheet", specialised(mapping))

    wrapped = {
        "_feed_schema_problems": "feed schema",
        "_validate_canonical": "canonical schema",
        "_run_checks": "checks",
    }
    for method, stage in wrapped.items():
        setattr(pipeline, method, clock.wrap(stage, getattr(pipeline, method)))
    setattr(destination, "transform_for", transform_for)  # noqa: B010 (a method, on purpose)
    import gateway.pipeline as pipeline_module

    output_schema = pipeline_module._batch_schema_problems
    try:
        pipeline_module._batch_schema_problems = clock.wrap("UK CDS schema", output_schema)
        sum(1 for _ in engine_documents(pipeline, io.BytesIO(data)))
        clock.seconds.clear()
        started = time.process_time()
        sum(1 for _ in engine_documents(pipeline, io.BytesIO(data)))
        whole = time.process_time() - started
    finally:
        pipeline_module._batch_schema_problems = output_schema
    stages = dict(clock.seconds)
    stages["glue"] = whole - sum(stages.values())
    stages["whole"] = whole
    return stages


def make_pipeline() -> Pipeline:
    """The engine with the uk-cds parameters the benchmark uses."""
    return Pipeline(parameters={TARGET: PARAMETERS})


def engine_documents(
    pipeline: Pipeline, stream: IO[bytes], source_name: str = "benchmark.xml", jobs: int = 1
) -> Iterator[bytes]:
    """(c) The gateway's translation, streamed chunk by chunk: UK CDS bytes per accepted item.

    ``jobs`` threads translate chunks side by side (``gateway translate --jobs``); the
    ratio to the baseline is taken with one, as the baseline runs on one.
    """
    for _chunk, rendered in pipeline.iter_translated(
        FEED, TARGET, stream, source_name=source_name, jobs=jobs
    ):
        for translated in rendered:
            if translated.output is not None:
                yield translated.output


# -- timing ------------------------------------------------------------------------------------


@dataclass
class Contender:
    """One way of producing the documents, with its timed rounds."""

    key: str
    label: str
    run: Callable[[], Iterator[bytes]]
    seconds: list[float]
    documents: int = 0

    def time_once(self) -> float:
        started = time.perf_counter()
        count = sum(1 for _ in self.run())
        elapsed = time.perf_counter() - started
        self.documents = count
        return elapsed


def run_alternated(contenders: Sequence[Contender], rounds: int) -> None:
    """One warm-up of each, then ``rounds`` rounds a, b, c, a, b, c ..."""
    for contender in contenders:
        contender.time_once()
    for _ in range(rounds):
        for contender in contenders:
            contender.seconds.append(contender.time_once())


# -- memory ------------------------------------------------------------------------------------


def peak_rss_mb() -> float:
    """This process's peak resident memory so far, in MB.

    On Linux this is ``VmHWM`` from ``/proc/self/status``: ``ru_maxrss`` there survives
    ``fork`` and ``exec``, so a child started by a parent that had grown to 300 MB reports
    300 MB whatever it does itself. Elsewhere it falls back to ``ru_maxrss``.
    """
    status = Path("/proc/self/status")
    if status.exists():
        for line in status.read_text(encoding="ascii", errors="replace").splitlines():
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) / 1024  # kB
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    if sys.platform == "darwin":  # macOS reports bytes
        return peak / 1024 / 1024
    return peak / 1024  # KiB elsewhere


def rss_child(items: int) -> dict[str, float]:
    """In this (child) process: write a batch to a file, stream it through the engine."""
    with tempfile.TemporaryDirectory(prefix="gateway-bench-") as folder:
        path = Path(folder) / "batch.xml"
        with path.open("wb") as out:
            write_itmatt_batch(out, items, seed=SEED)
        pipeline = make_pipeline()
        started = time.perf_counter()
        with path.open("rb") as stream:
            documents = sum(1 for _ in engine_documents(pipeline, stream, path.name))
        elapsed = time.perf_counter() - started
    return {
        "items": items,
        "documents": documents,
        "seconds": elapsed,
        "rss_mb": peak_rss_mb(),
    }


def measure_rss(items: int) -> dict[str, float]:
    """Run ``--rss-child ITEMS`` in a fresh interpreter and read its JSON answer."""
    completed = subprocess.run(
        [sys.executable, str(Path(__file__).resolve()), "--rss-child", str(items)],
        capture_output=True,
        text=True,
        check=False,
        cwd=ROOT,
    )
    if completed.returncode != 0:
        raise SystemExit(
            f"The memory measurement for {items} items failed (exit {completed.returncode}): "
            f"{completed.stderr.strip()[-2000:]}"
        )
    answer: dict[str, float] = json.loads(completed.stdout.strip().splitlines()[-1])
    return answer


# -- the report --------------------------------------------------------------------------------


OTHER_FEEDS = (
    ("iata-xfzb", "samples/iata-xfzb/house-waybills-two-items.xml", "IATA XFZB house waybill"),
    (
        "platform-order-json",
        "samples/platform-order-json/order-two-parcels.json",
        "platform order JSON",
    ),
)
"""Issue 3's other feed paths: (feed, sample message, label), each a small message per request."""


def other_feed_rates(pipeline: Pipeline, messages: int) -> dict[str, float]:
    """Declarations per second for each of OTHER_FEEDS, ``messages`` messages each -> uk-cds."""
    root = Path(__file__).resolve().parents[1]
    rates: dict[str, float] = {}
    for feed, sample, label in OTHER_FEEDS:
        data = (root / sample).read_bytes()
        pipeline.translate(feed, TARGET, data, source_name=sample)  # warm-up (compiles)
        started = time.perf_counter()
        declarations = 0
        for _ in range(messages):
            result = pipeline.translate(feed, TARGET, data, source_name=sample)
            declarations += len(result.declarations)
        rate = _rate(declarations, time.perf_counter() - started)
        rates[feed] = rate
        print(f"{label + ' -> uk-cds':36} {rate:13,.0f} items/s ({messages:,} messages)")
    return rates


def _rate(items: int, seconds: float) -> float:
    return items / seconds if seconds > 0 else float("inf")


def benchmark(items: int, rounds: int, rss_items: tuple[int, int]) -> dict[str, object]:
    """Run everything, print the table, and return the figures of the last line."""
    data = itmatt_batch_bytes(items, seed=SEED)
    pipeline = make_pipeline()
    baseline = XsltBaseline()
    bound = TwoHopBound()
    contenders = [
        Contender("floor", "(a) parse + serialise (floor)", lambda: floor_documents(data), []),
        Contender("xslt", "(b) hand-written XSLT 1.0", lambda: baseline.documents(data), []),
        Contender(
            "engine",
            "(c) gateway upu-itmatt -> uk-cds",
            lambda: engine_documents(pipeline, io.BytesIO(data)),
            [],
        ),
        Contender(
            "engine_threads",
            f"(d) as (c), --jobs {THREADS} (threads)",
            lambda: engine_documents(pipeline, io.BytesIO(data), jobs=THREADS),
            [],
        ),
        Contender(
            "bound",
            "(e) bound: lean two hops + checks",
            lambda: bound.documents(data),
            [],
        ),
    ]
    print(
        f"Batch: {items:,} ITMATT items ({len(data) / 1e6:.1f} MB), seed {SEED}; "
        f"{rounds} alternated round(s) after one warm-up; best round kept."
    )
    run_alternated(contenders, rounds)
    best = {c.key: _rate(items, min(c.seconds)) for c in contenders}
    print(f"{'':36} {'best items/s':>13} {'median items/s':>15} {'documents':>10}")
    for contender in contenders:
        median = _rate(items, statistics.median(contender.seconds))
        print(
            f"{contender.label:36} {best[contender.key]:13,.0f} {median:15,.0f} "
            f"{contender.documents:10,}"
        )
    xslt, engine = contenders[1], contenders[2]
    if xslt.documents != engine.documents:
        print(
            f"Note: the XSLT baseline wrote {xslt.documents:,} documents and the engine "
            f"{engine.documents:,}: the engine validates its output and refuses what fails "
            "(the baseline does not validate; see benchmarks/README.md)."
        )
    ratio = best["engine"] / best["xslt"]
    threaded = best["engine_threads"] / best["xslt"]
    print(f"engine / xslt: {ratio:.3f} (one thread each: the target's ratio)")
    print(
        f"engine with {THREADS} threads / xslt on one: {threaded:.3f} "
        "(not the target's ratio: more cores against one)"
    )
    stages = ", ".join(f"{name} {1e6 * sec / items:.1f}" for name, sec in bound.stages.items())
    print(f"(e) by stage, last round, us per item: {stages}")
    by_stage = ", ".join(
        f"{name} {1e6 * sec / items:.1f}" for name, sec in engine_stages(data).items()
    )
    print(f"(c) by stage, CPU us per item, one more run: {by_stage}")
    bound_ratio = best["bound"] / best["xslt"]
    print(
        f"bound / xslt: {bound_ratio:.3f} (the most the target's ratio can be here: two lean "
        "hand-written hops with the same schemas and checks, and no problem reporting)"
    )
    others = other_feed_rates(pipeline, max(50, items // 20))
    large, small = rss_items
    memory = {count: measure_rss(count) for count in (large, small)}
    for count, answer in memory.items():
        print(
            f"peak RSS streaming {count:,} items through (c): {answer['rss_mb']:.1f} MB "
            f"({answer['documents']:,.0f} documents, {_rate(count, answer['seconds']):,.0f} items/s)"
        )
    return {
        "floor_items_per_s": round(best["floor"], 1),
        "xslt_items_per_s": round(best["xslt"], 1),
        "engine_items_per_s": round(best["engine"], 1),
        "engine_vs_xslt": round(ratio, 3),
        "engine_threads_items_per_s": round(best["engine_threads"], 1),
        "engine_threads": THREADS,
        "bound_items_per_s": round(best["bound"], 1),
        "bound_vs_xslt": round(bound_ratio, 3),
        "xfzb_items_per_s": round(others["iata-xfzb"], 1),
        "order_json_items_per_s": round(others["platform-order-json"], 1),
        "rss_mb_100k": round(memory[large]["rss_mb"], 1),
        "rss_mb_20k": round(memory[small]["rss_mb"], 1),
        "items": items,
        "rounds": rounds,
        "rss_items": [large, small],
        "statistic": "best",
    }


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--items", type=int, default=10_000, help="items in the timed batch")
    parser.add_argument("--rounds", type=int, default=3, help="alternated rounds of each")
    parser.add_argument(
        "--quick", action="store_true", help="300 items, 1 round, 5k items for memory (smoke)"
    )
    parser.add_argument("--rss-child", type=int, metavar="ITEMS", help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.rss_child is not None:
        print(json.dumps(rss_child(args.rss_child)))
        return 0
    if args.quick:
        figures = benchmark(300, 1, (5_000, 1_000))
    else:
        if args.items < 1 or args.rounds < 1:
            parser.error("--items and --rounds take a number of at least 1.")
        figures = benchmark(args.items, args.rounds, (100_000, 20_000))
    print(json.dumps(figures))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
