"""Configuration: one YAML file, environment overrides, every problem reported at once."""

from __future__ import annotations

from pathlib import Path

import pytest

from gateway.config import load_config
from gateway.errors import ConfigurationError

EXAMPLE = Path(__file__).resolve().parents[1] / "examples" / "gateway.yaml"


def _write(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "gateway.yaml"
    path.write_text(text, encoding="utf-8")
    return path


def test_the_documented_example_is_valid() -> None:
    config = load_config(EXAMPLE, environ={})
    assert "uk-cds" in config.endpoints
    assert config.storage.path.is_absolute()


def test_the_example_sends_to_where_gateway_simulate_listens() -> None:
    """README: `gateway serve --config examples/gateway.yaml` beside `gateway simulate`."""
    from urllib.parse import urlsplit

    from gateway.commands.service import SIMULATOR_PORT

    config = load_config(EXAMPLE, environ={})
    where = urlsplit(config.endpoints["uk-cds"].url)
    assert (where.hostname, where.port) == ("127.0.0.1", SIMULATOR_PORT)
    assert where.path == "/declarations"


def test_defaults_without_a_file() -> None:
    config = load_config(None, environ={})
    assert config.server.port == 8080 and config.endpoints == {}
    assert config.routes_path.name == "routes.yaml"


def test_relative_paths_resolve_against_the_file(tmp_path: Path) -> None:
    path = _write(tmp_path, "storage: {path: data/g.db}\nroutes: my-routes.yaml\n")
    config = load_config(path, environ={})
    assert config.storage.path == tmp_path / "data" / "g.db"
    assert config.routes == tmp_path / "my-routes.yaml"


def test_environment_overrides_nested_keys_and_endpoint_names(tmp_path: Path) -> None:
    path = _write(tmp_path, "endpoints:\n  uk-cds: {target: uk-cds, url: 'http://a/'}\n")
    config = load_config(
        path,
        environ={
            "GATEWAY__SERVER__PORT": "9123",
            "GATEWAY__ENDPOINTS__UK_CDS__URL": "http://b.example/decl",
            "GATEWAY__ENDPOINTS__UK_CDS__RETRY__MAX_ATTEMPTS": "3",
            "OTHER": "ignored",
        },
    )
    assert config.server.port == 9123
    assert config.endpoints["uk-cds"].url == "http://b.example/decl"
    assert config.endpoints["uk-cds"].retry.max_attempts == 3


def test_every_problem_is_reported_with_its_key_path(tmp_path: Path) -> None:
    path = _write(
        tmp_path,
        (
            "server: {port: 99999}\n"
            "colour: blue\n"
            "endpoints:\n"
            "  ep: {target: uk-cds, url: 'ftp://x', concurrency: 0}\n"
        ),
    )
    with pytest.raises(ConfigurationError) as raised:
        load_config(path, environ={})
    message = str(raised.value)
    assert str(path) in message
    for where in ("server.port", "colour", "endpoints.ep.concurrency", "endpoints.ep.url"):
        assert where in message, where
    assert "ftp://x" in message


def test_unreadable_and_malformed_files(tmp_path: Path) -> None:
    with pytest.raises(ConfigurationError, match="cannot be read"):
        load_config(tmp_path / "missing.yaml", environ={})
    with pytest.raises(ConfigurationError, match="not valid YAML"):
        load_config(_write(tmp_path, "a: [\n"), environ={})
    with pytest.raises(ConfigurationError, match="mapping of sections"):
        load_config(_write(tmp_path, "- 1\n"), environ={})
