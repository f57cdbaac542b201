"""A customs endpoint simulator: a real aiohttp server that behaves like UK CDS would.

``POST /declarations`` takes a destination document (header ``Idempotency-Key``), checks it
against the destination schema, refuses an invalid one with 400 and a JSON problem, answers
a repeat of a key with the first receipt (200), and answers a new declaration with 202 and
a DMSRCV-shaped receipt. Later it posts the declaration's notifications (accepted, cleared,
queried, held, rejected, in the configured shares) to the callback URL, retrying each a few
times. Faults are injected on demand (``FaultSettings``, ``POST /control``): latency, 5xx,
hangs longer than the client's timeout, lost responses, outages, duplicate callbacks.

Also: ``GET /counts`` (received, unique, invalid, duplicates, callbacks_sent, ...),
``GET /seen`` (idempotency keys and LRNs), ``GET|POST /control``, ``GET /health``.

    async with CustomsSimulator(SimulatorOptions(callback_url=...)) as sim:
        post to sim.declarations_url ...; sim.counts.unique
"""

from __future__ import annotations

import asyncio
import contextlib
import dataclasses
import json
import random
import time
from collections.abc import Mapping
from datetime import UTC, datetime
from typing import Any

import aiohttp
from aiohttp import web
from lxml import etree

from gateway.errors import ConfigurationError, GatewayError, InputError
from gateway.formats.xml import parse_xml
from gateway.simulator.notifications import build_notification, customs_reference_for
from gateway.simulator.options import (
    DeclarationValidator,
    FaultSettings,
    OutcomeShares,
    SimulatorOptions,
)

__all__ = ["CustomsSimulator", "SimulatorCounts", "run_simulator"]

_LRN = etree.XPath(
    "(//*[local-name()='Declaration'])[1]/*[local-name()='FunctionalReferenceID']/text()"
)
_PROBLEM_TYPE = "urn:customs-gateway:simulator:"
_CHAINS: Mapping[str, tuple[str, ...]] = {
    "accepted": ("accepted",),
    "held": ("accepted", "control"),
    "queried": ("query",),
    "rejected": ("rejected",),
}


@dataclasses.dataclass
class SimulatorCounts:
    """What the simulator has seen; ``unique`` counts each idempotency key once."""

    received: int = 0
    unique: int = 0
    invalid: int = 0
    duplicates: int = 0
    callbacks_sent: int = 0
    callbacks_failed: int = 0
    faults_injected: int = 0

    def to_dict(self) -> dict[str, int]:
        return dataclasses.asdict(self)


def _problem(status: int, kind: str, title: str, detail: str, **extra: Any) -> web.Response:
    body = {"type": _PROBLEM_TYPE + kind, "title": title, "status": status, "detail": detail}
    body.update(extra)
    return web.json_response(body, status=status, content_type="application/problem+json")


def schema_validator(relative_path: str) -> DeclarationValidator:
    """A validator using the project schema ``relative_path`` (loaded once, now)."""
    from gateway.schemas import load_schema, validation_errors

    schema = load_schema(relative_path)

    def validate(document: etree._Element) -> list[str]:
        return validation_errors(schema, document)

    return validate


class CustomsSimulator:
    """A running customs endpoint on loopback; use as ``async with``."""

    def __init__(self, options: SimulatorOptions | None = None) -> None:
        self.options = options or SimulatorOptions()
        self.faults: FaultSettings = dataclasses.replace(self.options.faults)
        self.outcomes: OutcomeShares = self.options.outcomes
        self.counts = SimulatorCounts()
        self.decisions: dict[str, str] = {}
        """LRN -> the outcome the simulator decided for it."""
        self._receipts: dict[str, bytes] = {}
        self._lrns: set[str] = set()
        self._assigned: dict[str, int] = {}
        self._random = random.Random(self.options.seed)
        self._outage_until = 0.0
        self._closing = asyncio.Event()
        self._tasks: set[asyncio.Task[None]] = set()
        self._idle = asyncio.Event()
        self._idle.set()
        self._validator: DeclarationValidator | None = self.options.validator
        self._runner: web.AppRunner | None = None
        self._session: aiohttp.ClientSession | None = None
        self._callback_slots = asyncio.Semaphore(max(1, self.options.max_concurrent_callbacks))
        self._port = 0

    # -- life cycle ------------------------------------------------------------------------

    async def start(self) -> None:
        """Load the validator, open the callback session and start listening."""
        if self._validator is None:
            self._validator = schema_validator(self.options.schema)
        self._session = aiohttp.ClientSession(
            timeout=aiohttp.ClientTimeout(total=self.options.callback_timeout)
        )
        app = web.Application(client_max_size=self.options.max_body_bytes)
        app.router.add_post("/declarations", self._declarations)
        app.router.add_get("/counts", self._counts)
        app.router.add_get("/seen", self._seen)
        app.router.add_get("/control", self._control_get)
        app.router.add_post("/control", self._control_post)
        app.router.add_get("/health", self._health)
        self._runner = web.AppRunner(app, access_log=None, shutdown_timeout=1.0)
        await self._runner.setup()
        site = web.TCPSite(self._runner, self.options.host, self.options.port)
        try:
            await site.start()
        except OSError as exc:
            await self.close()
            raise ConfigurationError(
                f"The customs simulator could not listen on {self.options.host}:"
                f"{self.options.port}: {exc.strerror}."
            ) from exc
        addresses = self._runner.addresses
        self._port = int(addresses[0][1]) if addresses else self.options.port

    async def close(self) -> None:
        """Stop listening, release hanging requests and cancel every pending callback."""
        self._closing.set()
        tasks = list(self._tasks)
        for task in tasks:
            task.cancel()
        if tasks:
            await asyncio.gather(*tasks, return_exceptions=True)
        if self._runner is not None:
            await self._runner.cleanup()
            self._runner = None
        if self._session is not None:
            await self._session.close()
            self._session = None

    async def __aenter__(self) -> CustomsSimulator:
        await self.start()
        return self

    async def __aexit__(self, *exc_info: object) -> None:
        await self.close()

    # -- what tests and the demo read ----------------------------------------------------------

    @property
    def url(self) -> str:
        """The base URL, e.g. ``http://127.0.0.1:53211``."""
        return f"http://{self.options.host}:{self._port}"

    @property
    def declarations_url(self) -> str:
        """Where declarations are posted."""
        return f"{self.url}/declarations"

    @property
    def seen_keys(self) -> frozenset[str]:
        """Every idempotency key of a declaration taken (each once)."""
        return frozenset(self._receipts)

    @property
    def seen_lrns(self) -> frozenset[str]:
        """Every LRN (declaration FunctionalReferenceID) of a declaration taken."""
        return frozenset(self._lrns)

    def start_outage(self, seconds: float) -> None:
        """Answer 503 to every declaration for ``seconds`` from now."""
        self._outage_until = time.monotonic() + max(0.0, seconds)

    def end_outage(self) -> None:
        self._outage_until = 0.0

    @property
    def outage_remaining(self) -> float:
        return max(0.0, self._outage_until - time.monotonic())

    async def wait_for_callbacks(self, timeout: float = 10.0) -> None:
        """Wait until every scheduled notification has been sent or given up on."""
        await asyncio.wait_for(self._idle.wait(), timeout)

    # -- request handling ----------------------------------------------------------------------

    async def _pause(self, seconds: float) -> None:
        """Sleep ``seconds``, or less if the simulator is closing."""
        if seconds > 0:
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._closing.wait(), seconds)

    async def _declarations(self, request: web.Request) -> web.StreamResponse:
        self.counts.received += 1
        body = await request.read()
        if self.outage_remaining > 0:
            self.counts.faults_injected += 1
            response = _problem(
                503,
                "outage",
                "Service unavailable",
                "The customs endpoint is down for maintenance (simulated outage).",
            )
            response.headers["Retry-After"] = str(max(1, round(self.outage_remaining)))
            return response
        faults = self.faults
        await self._pause(faults.latency)
        if faults.timeout_rate and self._random.random() < faults.timeout_rate:
            self.counts.faults_injected += 1
            await self._pause(faults.hang_seconds)
            return _problem(504, "timeout", "Gateway timeout", "The simulated endpoint hung.")
        if faults.error_rate and self._random.random() < faults.error_rate:
            self.counts.faults_injected += 1
            return _problem(
                faults.error_status,
                "injected-error",
                "Simulated failure",
                f"The simulator injected a {faults.error_status} answer.",
            )
        key = request.headers.get("Idempotency-Key")
        if key is not None and key in self._receipts:
            self.counts.duplicates += 1
            return self._receipt_response(self._receipts[key], 200)
        try:
            lrn, receipt = self._take(body)
        except InputError as exc:
            self.counts.invalid += 1
            problems = [problem.to_dict() for problem in exc.problems] or [{"message": str(exc)}]
            return _problem(
                400, "invalid-declaration", "Invalid declaration", str(exc), problems=problems
            )
        if key is not None:
            self._receipts[key] = receipt
        self.counts.unique += 1
        self._schedule(lrn)
        if faults.lost_response_rate and self._random.random() < faults.lost_response_rate:
            self.counts.faults_injected += 1
            await self._pause(faults.hang_seconds)
        return self._receipt_response(receipt, 202)

    def _receipt_response(self, receipt: bytes, status: int) -> web.Response:
        return web.Response(body=receipt, status=status, content_type="application/xml")

    def _take(self, body: bytes) -> tuple[str, bytes]:
        """Check a declaration; its LRN and the DMSRCV receipt, or InputError with reasons."""
        from gateway.problems import Problem, Severity

        document = parse_xml(body, "the declaration", max_bytes=self.options.max_body_bytes)
        assert self._validator is not None  # set in start()
        errors = self._validator(document)
        if errors:
            problems = [
                Problem(
                    Severity.ERROR,
                    "schema.invalid",
                    f"The declaration breaks the destination schema: {error}",
                )
                for error in errors
            ]
            raise InputError(
                f"The declaration does not conform to the destination schema "
                f"({len(errors)} problem{'s' if len(errors) != 1 else ''}): {errors[0]}",
                problems,
            )
        found = _LRN(document)
        lrn = str(found[0]).strip() if isinstance(found, list) and found else ""
        if not lrn:
            message = (
                "The declaration has no Declaration/FunctionalReferenceID (LRN), so "
                "customs could not tell the declarant about it."
            )
            raise InputError(message, [Problem(Severity.ERROR, "declaration.lrn", message)])
        self._lrns.add(lrn)
        now = datetime.now(UTC)
        receipt = build_notification(
            "received", lrn, mrn=customs_reference_for(lrn, now), issued=now
        )
        return lrn, receipt

    def _decide(self) -> str:
        """The next outcome, keeping the assigned counts as close to the shares as possible."""
        shares = self.outcomes.normalised()
        total = sum(self._assigned.values()) + 1
        outcome = max(shares, key=lambda name: shares[name] * total - self._assigned.get(name, 0))
        self._assigned[outcome] = self._assigned.get(outcome, 0) + 1
        return outcome

    def _schedule(self, lrn: str) -> None:
        outcome = self._decide()
        self.decisions[lrn] = outcome
        if self.options.callback_url is None or self._closing.is_set():
            return
        chain = _CHAINS[outcome]
        if outcome == "accepted" and self.options.release_after_accept:
            chain = (*chain, "cleared")
        task = asyncio.get_running_loop().create_task(self._notify(lrn, chain))
        self._tasks.add(task)
        self._idle.clear()
        task.add_done_callback(self._task_done)

    def _task_done(self, task: asyncio.Task[None]) -> None:
        self._tasks.discard(task)
        if not self._tasks:
            self._idle.set()

    async def _notify(self, lrn: str, chain: tuple[str, ...]) -> None:
        await asyncio.sleep(self.options.first_callback_delay)
        for step, kind in enumerate(chain):
            if step:
                await asyncio.sleep(self.options.callback_step_delay)
            now = datetime.now(UTC)
            body = build_notification(kind, lrn, mrn=customs_reference_for(lrn, now), issued=now)
            copies = 2 if self._random.random() < self.faults.duplicate_callback_rate else 1
            for _ in range(copies):
                await self._send_callback(body)

    async def _send_callback(self, body: bytes) -> None:
        """POST one notification, retrying transient failures with exponential backoff."""
        url = self.options.callback_url
        assert url is not None and self._session is not None
        headers = {"Content-Type": "application/xml", **self.options.callback_headers}
        attempts = max(1, self.options.callback_attempts)
        for attempt in range(1, attempts + 1):
            async with self._callback_slots:
                try:
                    async with self._session.post(url, data=body, headers=headers) as response:
                        await response.read()
                        status = response.status
                except (aiohttp.ClientError, TimeoutError):
                    status = None
            if status is not None and status < 300:
                self.counts.callbacks_sent += 1
                return
            if status is not None and 400 <= status < 500 and status not in (408, 429):
                break
            if attempt < attempts:
                backoff = self.options.callback_backoff * 2 ** (attempt - 1)
                await asyncio.sleep(backoff * (0.5 + self._random.random() / 2))
        self.counts.callbacks_failed += 1

    async def _counts(self, request: web.Request) -> web.Response:
        return web.json_response(self.counts.to_dict())

    async def _seen(self, request: web.Request) -> web.Response:
        return web.json_response(
            {
                "idempotency_keys": sorted(self._receipts),
                "lrns": sorted(self._lrns),
                "decisions": dict(sorted(self.decisions.items())),
            }
        )

    async def _health(self, request: web.Request) -> web.Response:
        return web.json_response({"status": "ok"})

    def _control_state(self) -> dict[str, Any]:
        return {
            **self.faults.to_dict(),
            "outage_remaining": round(self.outage_remaining, 3),
            "outcomes": dataclasses.asdict(self.outcomes),
        }

    async def _control_get(self, request: web.Request) -> web.Response:
        return web.json_response(self._control_state())

    async def _control_post(self, request: web.Request) -> web.Response:
        """Change faults: any FaultSettings field, ``outage_seconds``, ``outcomes`` (shares)."""
        try:
            changes = await request.json()
        except (json.JSONDecodeError, UnicodeDecodeError):
            return _problem(
                400, "bad-control", "Bad control request", "The control request body is not JSON."
            )
        if not isinstance(changes, dict):
            return _problem(
                400,
                "bad-control",
                "Bad control request",
                "The control request must be a JSON object of settings.",
            )
        changes = dict(changes)
        outage = changes.pop("outage_seconds", None)
        outcomes = changes.pop("outcomes", None)
        try:
            new_shares = self.outcomes
            if outcomes is not None:
                if not isinstance(outcomes, dict):
                    raise ConfigurationError("outcomes must be an object of shares.")
                try:
                    new_shares = OutcomeShares(**{k: float(v) for k, v in outcomes.items()})
                except (TypeError, ValueError) as exc:
                    raise ConfigurationError(
                        f"The outcome shares {outcomes} are not valid."
                    ) from exc
            if outage is not None and (
                isinstance(outage, bool) or not isinstance(outage, (int, float)) or outage < 0
            ):
                raise ConfigurationError("outage_seconds must be a number of seconds, 0 or more.")
            self.faults.update(changes)
        except GatewayError as exc:
            return _problem(400, "bad-control", "Bad control request", str(exc))
        self.outcomes = new_shares
        if outage is not None:
            self.start_outage(float(outage))
        return web.json_response(self._control_state())


async def run_simulator(options: SimulatorOptions) -> None:
    """Run a simulator until cancelled (``gateway simulate``), saying where it listens."""
    async with CustomsSimulator(options) as simulator:
        print(
            f"Customs endpoint simulator listening: declarations to "
            f"{simulator.declarations_url}, counts at {simulator.url}/counts, "
            f"callbacks to {options.callback_url or 'nowhere (no --callback-url)'}.",
            flush=True,
        )
        await asyncio.Event().wait()
