"""The most HTTP submissions per second this machine can carry, whatever the gateway does.

Run from the project root::

    .venv/bin/python benchmarks/http_ceiling.py [--seconds 5] [--concurrency 32]

UK CDS takes one declaration per submission, so every delivered item costs one HTTP request
from the gateway to the customs endpoint. This script measures the ceiling of that alone, on
loopback, with nothing else running: an aiohttp client in this process POSTs a real UK CDS
declaration (rendered by the gateway from a sample ITMATT item) as fast as it is answered,
``--concurrency`` requests in flight, to a server in a child process, for ``--seconds``:

(a) bare: an aiohttp handler that reads the body and answers 202, nothing more;
(b) simulator: the project's customs endpoint simulator (UK CDS schema check, idempotency
    key, receipt), as in ``benchmarks/service.py``.

Client and server each have a core of this 2-core machine to themselves. The service
benchmark's batch phase needs the same requests plus everything else the gateway does (taking
the batch over HTTP, translating, storing, recording receipts) on the same two cores, so its
``batch_items_per_s`` cannot exceed (b), nor (a).

The last line printed is one JSON object: ``bare_requests_per_s``,
``simulator_requests_per_s``, ``seconds``, ``concurrency``.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import signal
import subprocess
import sys
import time
from collections.abc import Sequence
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

import aiohttp  # noqa: E402
from aiohttp import web  # noqa: E402

UK_CDS_PARAMETERS = {"declarant_eori": "GB123456789000", "goods_location_name": "LHRLHRLHR"}


async def _serve(mode: str, port: int) -> None:
    """The child process: a bare handler or the simulator on ``port``, until SIGTERM."""
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for signum in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(signum, stop.set)
    if mode == "simulator":
        from gateway.simulator import CustomsSimulator, SimulatorOptions

        async with CustomsSimulator(SimulatorOptions(port=port, seed=1)):
            print("ready", flush=True)
            await stop.wait()
        return

    async def accept(request: web.Request) -> web.Response:
        await request.read()
        return web.Response(status=202)

    app = web.Application(client_max_size=16 * 1024 * 1024)
    app.router.add_post("/{tail:.*}", accept)
    runner = web.AppRunner(app, access_log=None)
    await runner.setup()
    await web.TCPSite(runner, "127.0.0.1", port).start()
    print("ready", flush=True)
    await stop.wait()
    await runner.cleanup()


def _declarations(count: int) -> list[bytes]:
    """``count`` distinct UK CDS declarations, as the gateway renders them."""
    from gateway.pipeline import Pipeline
    from gateway.sample_feeds import itmatt_batch_bytes

    pipeline = Pipeline(parameters={"uk-cds": UK_CDS_PARAMETERS})
    result = pipeline.translate("upu-itmatt", "uk-cds", itmatt_batch_bytes(count, seed=7))
    return [d.output for d in result.declarations if d.output is not None]


async def _load(url: str, bodies: list[bytes], seconds: float, concurrency: int) -> float:
    """Requests answered per second over ``seconds``, ``concurrency`` in flight."""
    answered = 0
    failed = 0
    stop_at = time.perf_counter() + seconds

    async def client(http: aiohttp.ClientSession, first: int) -> None:
        nonlocal answered, failed
        index = first
        while time.perf_counter() < stop_at:
            body = bodies[index % len(bodies)]
            index += concurrency
            headers = {"Idempotency-Key": f"k{index}", "Content-Type": "application/xml"}
            async with http.post(url, data=body, headers=headers) as response:
                await response.read()
                if response.status >= 300:
                    failed += 1
            answered += 1

    connector = aiohttp.TCPConnector(limit=concurrency)
    async with aiohttp.ClientSession(connector=connector) as http:
        started = time.perf_counter()
        await asyncio.gather(*(client(http, number) for number in range(concurrency)))
        elapsed = time.perf_counter() - started
    if failed:
        raise SystemExit(f"{failed} of {answered} submissions were refused; the figure is void.")
    return answered / elapsed


def _free_port() -> int:
    import socket

    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _measure(mode: str, bodies: list[bytes], seconds: float, concurrency: int) -> float:
    port = _free_port()
    server = subprocess.Popen(
        [sys.executable, str(Path(__file__).resolve()), "--child", mode, "--port", str(port)],
        cwd=ROOT,
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        assert server.stdout is not None
        if server.stdout.readline().strip() != "ready":
            raise SystemExit(f"The {mode} server did not start.")
        path = "/declarations" if mode == "simulator" else "/submit"  # the simulator's route
        url = f"http://127.0.0.1:{port}{path}"
        asyncio.run(_load(url, bodies, 0.5, concurrency))  # warm-up
        return asyncio.run(_load(url, bodies, seconds, concurrency))
    finally:
        server.send_signal(signal.SIGTERM)
        server.wait(15)


def main(argv: Sequence[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=float, default=5.0)
    parser.add_argument("--concurrency", type=int, default=32)
    parser.add_argument("--child", choices=("bare", "simulator"), help=argparse.SUPPRESS)
    parser.add_argument("--port", type=int, help=argparse.SUPPRESS)
    options = parser.parse_args(argv)
    if options.child:
        asyncio.run(_serve(options.child, options.port))
        return
    bodies = _declarations(200)
    figures: dict[str, float] = {"seconds": options.seconds, "concurrency": options.concurrency}
    for mode in ("bare", "simulator"):
        rate = _measure(mode, bodies, options.seconds, options.concurrency)
        figures[f"{mode}_requests_per_s"] = round(rate, 1)
        print(f"{mode:10} {rate:10,.0f} submissions/s", flush=True)
    print(json.dumps(figures))


if __name__ == "__main__":
    main()
