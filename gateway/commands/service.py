"""``gateway demo``, ``gateway serve`` and ``gateway simulate``.

Until the service lands, ``demo`` translates every bundled sample feed for every destination
and shows what a customs officer would see: how many items were translated, which were
refused and why, and where the documents were written.
"""

from __future__ import annotations

import argparse
import tempfile
from collections import Counter
from pathlib import Path

from rich.console import Console
from rich.table import Table

from gateway.commands.common import load_parameters, parameters_for
from gateway.errors import ConfigurationError
from gateway.pipeline import Pipeline
from gateway.resources import bundled_samples_dir


def demo(arguments: argparse.Namespace) -> int:
    """Translate the bundled samples and print a summary table per feed and destination."""
    extra = list(arguments.args or [])
    out = (
        Path(extra[extra.index("--out") + 1])
        if "--out" in extra
        else Path(tempfile.mkdtemp(prefix="gateway-demo-"))
    )
    console = Console(highlight=False, soft_wrap=True)
    samples = bundled_samples_dir()
    parameters = load_parameters(samples / "demo-parameters.yaml", [])
    pipeline = Pipeline()
    console.rule(
        "[bold]Customs gateway demo: bundled sample feeds through the declarative mappings",
        style="cyan",
    )
    table = Table(title="What each feed became", show_lines=False)
    for column in ("feed", "sample", "destination", "items", "translated", "refused"):
        table.add_column(
            column, justify="right" if column in ("items", "translated", "refused") else "left"
        )
    reasons: Counter[str] = Counter()
    examples: dict[str, str] = {}
    for feed in pipeline.feeds():
        folder = samples / feed
        if not folder.is_dir():
            continue
        for sample in sorted(p for p in folder.iterdir() if p.suffix in (".xml", ".json")):
            for target in pipeline.targets():
                if target != "canonical":
                    declared = list(pipeline.destination_mapping(target).spec.parameters)
                    pipeline.parameters[target] = parameters_for(parameters, target, declared)
                result = pipeline.translate(
                    feed, target, sample.read_bytes(), source_name=sample.name
                )
                accepted = [d for d in result.declarations if d.accepted and d.output is not None]
                refused = [d for d in result.declarations if not d.accepted]
                target_dir = out / feed / target / sample.stem
                target_dir.mkdir(parents=True, exist_ok=True)
                for declaration in accepted:
                    assert declaration.output is not None
                    (target_dir / f"{declaration.declaration_id}.xml").write_bytes(
                        declaration.output
                    )
                for declaration in refused if target != "canonical" else []:
                    for problem in declaration.problems:
                        if problem.is_error:
                            reasons[problem.code] += 1
                            examples.setdefault(
                                problem.code, f"{declaration.declaration_id}: {problem.message}"
                            )
                if not result.readable:
                    reasons["message refused"] += 1
                    examples.setdefault("message refused", result.problems[0].message)
                table.add_row(
                    feed,
                    sample.name,
                    target,
                    str(len(result.declarations)),
                    str(len(accepted)),
                    str(len(refused)),
                )
    console.print(table)
    if reasons:
        why = Table(title="Why items were refused (one example each)")
        why.add_column("problem")
        why.add_column("count", justify="right")
        why.add_column("example")
        for code, count in reasons.most_common():
            why.add_row(code, str(count), examples[code])
        console.print(why)
    console.print(f"Translated documents are in [bold]{out}[/]. Try:", markup=True)
    console.print(
        "  gateway translate --from upu-itmatt --to uk-cds --config samples/demo-parameters.yaml --trace samples/upu-itmatt/us-to-gb.xml"
    )
    return 0


def serve(arguments: argparse.Namespace) -> int:
    """Run the gateway service until interrupted (SIGINT or SIGTERM)."""
    import asyncio

    from gateway.service import serve as run_service

    parser = argparse.ArgumentParser(prog="gateway serve", description="run the gateway service")
    parser.add_argument("--config", type=Path, default=None, help="configuration file (YAML)")
    options = parser.parse_args(list(arguments.args or []))
    asyncio.run(run_service(options.config))
    return 0


def simulate(arguments: argparse.Namespace) -> int:
    """Run a customs endpoint simulator until interrupted."""
    import asyncio

    from gateway.simulator import (
        FaultSettings,
        SimulatorOptions,
        parse_outcome_shares,
        run_simulator,
    )

    parser = argparse.ArgumentParser(
        prog="gateway simulate", description="a customs endpoint simulator (UK CDS)"
    )
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=8090)
    parser.add_argument(
        "--callback-url", default=None, help="where to post asynchronous notifications"
    )
    parser.add_argument(
        "--outcomes",
        default="accepted=1",
        help="shares, e.g. accepted=0.7,queried=0.1,held=0.1,rejected=0.1",
    )
    parser.add_argument(
        "--error-rate", type=float, default=0.0, help="share of requests answered 503"
    )
    parser.add_argument("--latency", type=float, default=0.0, help="seconds added to every answer")
    parser.add_argument("--seed", type=int, default=None)
    options = parser.parse_args(list(arguments.args or []))
    try:
        shares = parse_outcome_shares(options.outcomes)
    except ValueError as exc:
        raise ConfigurationError(f"--outcomes: {exc}") from exc
    settings = SimulatorOptions(
        host=options.host,
        port=options.port,
        callback_url=options.callback_url,
        outcomes=shares,
        faults=FaultSettings(latency=options.latency, error_rate=options.error_rate),
        seed=options.seed,
    )
    asyncio.run(run_simulator(settings))
    return 0
