"""``gateway demo``: the gateway and the simulator on loopback, every bundled sample sent.

The figures the demo reports are checked against what the sample files contain, counted here
independently (items per file, the items the samples' READMEs say are faulty), and against
the simulator's own count of declarations it took.
"""

from __future__ import annotations

import json
import subprocess
import sys
from collections import Counter
from pathlib import Path

from lxml import etree

from gateway.demo import DEMO_FEEDS, DemoOptions, DemoReport, run_demo
from gateway.resources import bundled_samples_dir
from gateway.sample_feeds import ITMATT_NAMESPACE

SAMPLES = bundled_samples_dir()
ROOT = Path(__file__).resolve().parents[1]


def _items_in(feed: str, path: Path) -> int:
    """How many items a sample file holds, read straight from the file."""
    if feed == "upu-itmatt":
        root = etree.fromstring(path.read_bytes())
        return sum(1 for _ in root.iter(f"{{{ITMATT_NAMESPACE}}}Item"))
    data = json.loads(path.read_text(encoding="utf-8"))
    if feed == "express-manifest-json":
        return len(data["shipments"])
    return len(data["shipping"]["trackingNumbers"])


async def _run(tmp_path: Path) -> DemoReport:
    return await run_demo(DemoOptions(keep=tmp_path, quiet=True, timeout=30))


async def test_demo_reports_every_sample_item_and_customs_sees_each_delivered_item_once(
    tmp_path: Path,
) -> None:
    report = await _run(tmp_path)

    expected: Counter[str] = Counter()
    for feed, _who in DEMO_FEEDS:
        for path in sorted((SAMPLES / feed).iterdir()):
            if path.suffix in (".xml", ".json"):
                expected[feed] += _items_in(feed, path)
    received: Counter[str] = Counter()
    for summary in report.summaries:
        received[summary.feed] += summary.received
    assert received == expected, "every item of every sample is counted once"
    assert report.finished, "every delivered item reached a final customs outcome in time"

    totals = report.totals()
    assert totals["received"] == totals["refused"] + totals["delivered"]
    assert totals["delivered"] == report.simulator_unique, "customs took each item once"
    assert report.simulator_duplicates == 0
    finals = totals["released"] + totals["held"] + totals["queried"] + totals["rejected"]
    assert finals == totals["delivered"]
    assert totals["accepted"] == totals["released"] + totals["held"], (
        "held items were accepted first, then held"
    )
    assert min(totals["released"], totals["queried"], totals["held"], totals["rejected"]) > 0, (
        "the simulator's mix shows every outcome"
    )
    assert report.database == tmp_path / "gateway-demo.db" and report.database.exists()


async def test_demo_refuses_exactly_the_faulty_items_of_the_problem_samples(
    tmp_path: Path,
) -> None:
    report = await _run(tmp_path)
    itmatt = [i for i in report.items if i.sample == "cn-to-gb-with-problems.xml"]
    # The sample's README: items 1 and 4 are valid, each of the other eight has one problem.
    assert len(itmatt) == 10
    refused = sorted(i.index for i in itmatt if i.state == "refused")
    delivered = sorted(i.index for i in itmatt if i.state != "refused")
    first = min(i.index for i in itmatt)
    assert delivered == [first, first + 3]
    assert len(refused) == 8
    assert all(i.problem_codes for i in itmatt if i.state == "refused"), "each refusal says why"
    codes = {code for i in itmatt for code in i.problem_codes}
    assert {"s10.check-digit", "description.vague", "hs.shape", "value.negative"} <= codes
    order = [i for i in report.items if i.sample == "order-with-problems.json"]
    assert order and all(i.state == "refused" for i in order)
    refused_total = sum(s.refused for s in report.summaries)
    assert refused_total == sum(i.state == "refused" for i in report.items)
    assert report.reasons()["s10.check-digit"] >= 1


def test_gateway_demo_command_exits_0_and_prints_the_summary(tmp_path: Path) -> None:
    """The README's command, as a subprocess without a terminal: plain lines, then the table."""
    done = subprocess.run(
        [sys.executable, "-m", "gateway", "demo", "--keep", str(tmp_path)],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=90,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    out = done.stdout
    assert "What happened to every item, per feed and destination" in out
    assert "Why items were refused" in out
    assert "What just happened" in out
    assert "Traceback" not in out + done.stderr
    assert "\x1b[" not in out, "no terminal control codes when output is not a terminal"
