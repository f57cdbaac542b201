"""Shared set-up for service tests: a gateway configuration on loopback with a real store."""

from __future__ import annotations

import socket
from pathlib import Path
from typing import Any

from gateway.config import GatewayConfig, config_from_dict
from gateway.resources import bundled_samples_dir

SAMPLES = bundled_samples_dir() / "upu-itmatt"
UK_CDS_PARAMETERS = {"declarant_eori": "GB123456789000", "goods_location_name": "LHRLHRLHR"}


def free_port() -> int:
    """A loopback port free right now (for a server whose URL others need in advance)."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def gateway_config(
    tmp_path: Path, endpoint_url: str, *, retry: dict[str, Any] | None = None, **overrides: Any
) -> GatewayConfig:
    """A configuration with one uk-cds endpoint at ``endpoint_url`` and fast retries."""
    data: dict[str, Any] = {
        "server": {"host": "127.0.0.1", "port": 0},
        "storage": {"path": str(tmp_path / "gateway.db")},
        "parameters": {"uk-cds": UK_CDS_PARAMETERS},
        "endpoints": {
            "uk-cds": {
                "target": "uk-cds",
                "url": endpoint_url,
                "timeout_seconds": 2,
                "concurrency": 8,
                "retry": retry
                or {"base_delay_seconds": 0.01, "max_delay_seconds": 0.05, "max_attempts": 5},
                "breaker": {"failure_threshold": 50, "reset_seconds": 0.2},
            }
        },
    }
    for key, value in overrides.items():
        data[key] = value
    return config_from_dict(data)


def sample(name: str) -> bytes:
    return (SAMPLES / name).read_bytes()
