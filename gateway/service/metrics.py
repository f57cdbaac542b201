"""The gateway's metrics, written in the Prometheus text exposition format (version 0.0.4).

Counters and histograms live in this process (each instance is scraped on its own); queue
depth and circuit state are read when scraped.
"""

from __future__ import annotations

import bisect
import threading
from collections import defaultdict
from collections.abc import Iterable, Mapping

from gateway.store.base import WEBHOOK_ATTEMPT_OUTCOMES, AttemptOutcome

LATENCY_BUCKETS = (0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0, 60.0)

Labels = tuple[tuple[str, str], ...]


class _Histogram:
    def __init__(self, buckets: tuple[float, ...]) -> None:
        self.buckets = buckets
        self.counts = [0] * len(buckets)
        self.total = 0
        self.sum = 0.0

    def observe(self, value: float) -> None:
        index = bisect.bisect_left(self.buckets, value)
        if index < len(self.counts):
            self.counts[index] += 1
        self.total += 1
        self.sum += value


class Metrics:
    """Counters and histograms of one gateway instance."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._counters: dict[str, dict[Labels, float]] = defaultdict(lambda: defaultdict(float))
        self._histograms: dict[str, dict[Labels, _Histogram]] = defaultdict(dict)

    def count(self, name: str, amount: float = 1.0, **labels: str) -> None:
        key = tuple(sorted(labels.items()))
        with self._lock:
            self._counters[name][key] += amount

    def observe(self, name: str, value: float, **labels: str) -> None:
        key = tuple(sorted(labels.items()))
        with self._lock:
            histogram = self._histograms[name].get(key)
            if histogram is None:
                histogram = self._histograms[name][key] = _Histogram(LATENCY_BUCKETS)
            histogram.observe(value)

    def counter_value(self, name: str, **labels: str) -> float:
        """The current value of one counter (0 when never counted)."""
        with self._lock:
            return self._counters.get(name, {}).get(tuple(sorted(labels.items())), 0.0)

    # the worker's DeliveryObserver
    def attempt_finished(
        self, endpoint: str, outcome: AttemptOutcome, duration: float, since_enqueued: float
    ) -> None:
        self.count("gateway_delivery_attempts_total", destination=endpoint, outcome=outcome.value)
        self.observe("gateway_delivery_attempt_seconds", duration, destination=endpoint)
        if outcome is AttemptOutcome.DELIVERED:
            self.observe("gateway_delivery_latency_seconds", since_enqueued, destination=endpoint)

    def webhook_observer(self) -> WebhookMetrics:
        """The observer of the webhook workers (counts per partner, not per destination)."""
        return WebhookMetrics(self)

    def render(
        self,
        queue_depths: Mapping[str, int],
        circuits: Mapping[str, str],
        endpoints: Iterable[str],
        webhook_depths: Mapping[str, int] | None = None,
    ) -> str:
        """Everything in the Prometheus text format."""
        lines: list[str] = []
        with self._lock:
            for name in sorted(self._counters):
                lines.append(f"# HELP {name} {_HELP.get(name, name)}")
                lines.append(f"# TYPE {name} counter")
                for labels, value in sorted(self._counters[name].items()):
                    lines.append(f"{name}{_labels(labels)} {_number(value)}")
            for name in sorted(self._histograms):
                lines.append(f"# HELP {name} {_HELP.get(name, name)}")
                lines.append(f"# TYPE {name} histogram")
                for labels, histogram in sorted(self._histograms[name].items()):
                    cumulative = 0
                    for bound, count in zip(histogram.buckets, histogram.counts, strict=True):
                        cumulative += count
                        bucket = (*labels, ("le", _number(bound)))
                        lines.append(f"{name}_bucket{_labels(bucket)} {cumulative}")
                    lines.append(
                        f"{name}_bucket{_labels((*labels, ('le', '+Inf')))} {histogram.total}"
                    )
                    lines.append(f"{name}_sum{_labels(labels)} {histogram.sum:.6f}")
                    lines.append(f"{name}_count{_labels(labels)} {histogram.total}")
        lines.append("# HELP gateway_queue_depth Deliveries waiting in the outbox per destination.")
        lines.append("# TYPE gateway_queue_depth gauge")
        names = sorted(set(endpoints) | set(queue_depths))
        for endpoint in names:
            depth = queue_depths.get(endpoint, 0)
            lines.append(f"gateway_queue_depth{_labels((('destination', endpoint),))} {depth}")
        if webhook_depths is not None:
            lines.append("# HELP gateway_webhook_queue_depth Webhook events waiting per partner.")
            lines.append("# TYPE gateway_webhook_queue_depth gauge")
            for partner in sorted(webhook_depths):
                labels = (("partner", partner),)
                lines.append(
                    f"gateway_webhook_queue_depth{_labels(labels)} {webhook_depths[partner]}"
                )
        lines.append(
            "# HELP gateway_circuit_state Circuit breaker state per destination (1 = current)."
        )
        lines.append("# TYPE gateway_circuit_state gauge")
        for endpoint in sorted(circuits):
            for state in ("closed", "open", "half-open"):
                value = 1 if circuits[endpoint] == state else 0
                labels = (("destination", endpoint), ("state", state))
                lines.append(f"gateway_circuit_state{_labels(labels)} {value}")
        return "\n".join(lines) + "\n"


class WebhookMetrics:
    """Told about every finished webhook attempt (a ``DeliveryObserver`` for webhook workers)."""

    def __init__(self, metrics: Metrics) -> None:
        self._metrics = metrics

    def attempt_finished(
        self, endpoint: str, outcome: AttemptOutcome, duration: float, since_enqueued: float
    ) -> None:
        # A webhook worker's "endpoint" is the partner it sends to.
        self._metrics.count(
            "gateway_webhook_attempts_total",
            partner=endpoint,
            outcome=WEBHOOK_ATTEMPT_OUTCOMES[outcome],
        )
        if outcome is AttemptOutcome.DELIVERED:
            self._metrics.observe(
                "gateway_webhook_latency_seconds", since_enqueued, partner=endpoint
            )


_HELP = {
    "gateway_messages_total": "Messages received, by feed and outcome.",
    "gateway_items_total": "Items received, by feed, destination and outcome.",
    "gateway_customs_outcomes_total": "Customs outcomes received, by destination and outcome.",
    "gateway_delivery_attempts_total": "Delivery attempts, by destination and outcome.",
    "gateway_delivery_attempt_seconds": "Duration of one delivery attempt.",
    "gateway_delivery_latency_seconds": "Time from enqueue to delivered, per destination.",
    "gateway_ingest_seconds": "Time from request to answer on message ingest.",
    "gateway_webhook_attempts_total": "Webhook attempts to senders, by partner and outcome "
    "(sent, retry, dead).",
    "gateway_webhook_latency_seconds": "Time from customs outcome to webhook sent, per partner.",
}


def _labels(labels: Labels) -> str:
    if not labels:
        return ""
    inner = ",".join(f'{key}="{_escape(value)}"' for key, value in labels)
    return "{" + inner + "}"


def _escape(value: str) -> str:
    return value.replace("\\", "\\\\").replace("\n", "\\n").replace('"', '\\"')


def _number(value: float) -> str:
    return str(int(value)) if float(value).is_integer() else repr(value)
