"""Metrics in the Prometheus text format: counters, histograms, queue depth, circuit state."""

from __future__ import annotations

from gateway.service.metrics import Metrics
from gateway.store.base import AttemptOutcome


def test_render_counts_histograms_and_gauges() -> None:
    metrics = Metrics()
    metrics.count("gateway_messages_total", feed="upu-itmatt", outcome="accepted")
    metrics.count("gateway_messages_total", feed="upu-itmatt", outcome="accepted")
    metrics.attempt_finished("uk-cds", AttemptOutcome.DELIVERED, 0.02, 0.3)
    metrics.attempt_finished("uk-cds", AttemptOutcome.RETRY, 0.02, 0.1)
    text = metrics.render({"uk-cds": 7}, {"uk-cds": "open"}, ["uk-cds", "ens"])
    lines = text.splitlines()
    assert 'gateway_messages_total{feed="upu-itmatt",outcome="accepted"} 2' in lines
    assert 'gateway_delivery_attempts_total{destination="uk-cds",outcome="retry"} 1' in lines
    assert 'gateway_delivery_latency_seconds_bucket{destination="uk-cds",le="0.25"} 0' in lines
    assert 'gateway_delivery_latency_seconds_bucket{destination="uk-cds",le="0.5"} 1' in lines
    assert 'gateway_delivery_latency_seconds_count{destination="uk-cds"} 1' in lines
    assert 'gateway_queue_depth{destination="uk-cds"} 7' in lines
    assert 'gateway_queue_depth{destination="ens"} 0' in lines
    assert 'gateway_circuit_state{destination="uk-cds",state="open"} 1' in lines
    assert 'gateway_circuit_state{destination="uk-cds",state="closed"} 0' in lines
    assert "# TYPE gateway_delivery_latency_seconds histogram" in lines
    assert text.endswith("\n")


def test_label_values_are_escaped() -> None:
    metrics = Metrics()
    metrics.count("gateway_messages_total", feed='we"ird\\', outcome="x")
    assert 'feed="we\\"ird\\\\"' in metrics.render({}, {}, [])
