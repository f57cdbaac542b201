"""``gateway demo``, ``gateway serve`` and ``gateway simulate``.

``demo`` runs the gateway and a customs endpoint simulator on loopback, sends the bundled
sample feeds through them and prints what happened to every item (``gateway.demo``).
"""

from __future__ import annotations

import argparse
from pathlib import Path

from gateway.errors import ConfigurationError

SIMULATOR_PORT = 8090
"""Where ``gateway simulate`` listens unless told otherwise (``examples/gateway.yaml`` sends there)."""


def demo(arguments: argparse.Namespace) -> int:
    """Run the end-to-end demo on loopback and print a summary per feed and destination."""
    from gateway.demo import main

    return main(list(arguments.args or []))


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
    parser.add_argument("--port", type=int, default=SIMULATOR_PORT)
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
