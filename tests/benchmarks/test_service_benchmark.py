"""Smoke test of benchmarks/service.py: it runs end to end on loopback and ends with its figures."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[2]
FIGURES = (
    "single_msgs_per_s",
    "batch_items_per_s",
    "p50_accept_ms",
    "p99_accept_ms",
    "p99_delivered_ms",
    "relay_msgs_per_s",
    "vs_relay",
)


def _last_line_figures(script: str, *arguments: str, timeout: float) -> dict[str, Any]:
    """Run ``benchmarks/SCRIPT``; it must succeed and end with a JSON line of figures."""
    result = subprocess.run(
        [sys.executable, str(ROOT / "benchmarks" / script), *arguments],
        capture_output=True,
        text=True,
        timeout=timeout,
        check=False,
        cwd=ROOT,
    )
    assert result.returncode == 0, result.stderr[-2000:]
    figures: dict[str, Any] = json.loads(result.stdout.strip().splitlines()[-1])
    return figures


def test_service_benchmark_quick_run_ends_with_every_figure() -> None:
    """`--quick` starts gateway, simulator and relay, loads them and prints the JSON figures."""
    figures = _last_line_figures("service.py", "--quick", timeout=240)
    for key in FIGURES:
        assert key in figures, key
        assert figures[key] > 0, (key, figures[key])
    assert (
        abs(figures["vs_relay"] - figures["single_msgs_per_s"] / figures["relay_msgs_per_s"]) < 0.01
    )
    if Path("/proc/self/stat").exists():  # CPU per unit is read from /proc
        for key in ("cpu_ms_per_single_message", "cpu_ms_per_batch_item"):
            cpu = figures[key]
            assert cpu["gateway"] > 0 and cpu["workers"] >= 0 and cpu["endpoint"] > 0, cpu
            parts = cpu["gateway"] + cpu["workers"] + cpu["endpoint"] + cpu["load"]
            assert abs(cpu["total"] - parts) < 0.01, cpu
        assert figures["cpu_ms_per_relay_message"]["workers"] == 0  # the relay has none


def test_http_ceiling_benchmark_measures_both_servers() -> None:
    """benchmarks/http_ceiling.py loads a bare server and the simulator, and every submission
    is taken (it refuses to print a figure when one was not)."""
    figures = _last_line_figures("http_ceiling.py", "--seconds", "0.3", timeout=120)
    assert figures["bare_requests_per_s"] > 0
    assert figures["simulator_requests_per_s"] > 0
