"""The gateway's configuration: one YAML file, overridable by environment variables.

Everything is validated at start, and every mistake is reported at once with the key path
and the reason, as one ``ConfigurationError``. Environment variables named
``GATEWAY__SECTION__KEY`` override ``section.key`` of the file (``__`` separates levels; a
single ``_`` in a variable name also matches ``-`` in a key, so ``GATEWAY__ENDPOINTS__UK_CDS__URL``
sets ``endpoints.uk-cds.url``); their values are read as YAML scalars (``8080``, ``true``).

Relative paths in the file are taken relative to the file's own folder.
"""

from __future__ import annotations

import hashlib
import os
from collections.abc import Mapping
from pathlib import Path
from typing import Any, Literal

import yaml
from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    ValidationError,
    field_validator,
    model_validator,
)

from gateway.errors import ConfigurationError
from gateway.resources import bundled_mappings_dir

ENV_PREFIX = "GATEWAY__"


class _Section(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class ServerConfig(_Section):
    """Where the HTTP API listens."""

    host: str = "127.0.0.1"
    port: int = Field(default=8080, ge=0, le=65535)
    pipeline_threads: int = Field(default=2, ge=1, le=64)
    """Threads translating messages (lxml does most of its work outside the GIL)."""
    pipeline_processes: int = Field(default=0, ge=0, le=64)
    """Worker processes translating messages (0: threads of the gateway process instead).
    Processes use the other cores; each holds its own compiled mappings."""


class StorageConfig(_Section):
    """The message store."""

    path: Path = Path("gateway.db")
    group_commit_max: int = Field(default=512, ge=1)
    """Most write requests committed together in one transaction (one fsync)."""
    reader_threads: int = Field(default=2, ge=1, le=32)
    release_leases_at_start: bool = True
    """Resend deliveries left in flight by a crash at once; set false when several gateway
    processes share one database (their leases then run out instead)."""


class LimitsConfig(_Section):
    """Limits that protect the gateway from oversized or endless input."""

    max_body_bytes: int = Field(default=64 * 1024 * 1024, ge=1)
    max_replay_messages: int = Field(default=10_000, ge=1)
    max_messages_in_flight: int = Field(default=256, ge=1)
    """Feed messages taken in (read, translated, stored) at once; more answer 503 with
    Retry-After, nothing stored, and the sender sends them again."""
    max_bytes_in_flight: int = Field(default=256 * 1024 * 1024, ge=1)
    """Bytes of feed message bodies taken in at once (a message on its own always is)."""


class RetryConfig(_Section):
    """When to try a failed delivery again, and when to give up (dead-letter it)."""

    base_delay_seconds: float = Field(default=0.5, gt=0)
    max_delay_seconds: float = Field(default=60.0, gt=0)
    max_attempts: int = Field(default=12, ge=1)
    max_age_seconds: float = Field(default=24 * 3600.0, gt=0)


class WebhookRetryConfig(RetryConfig):
    """As ``RetryConfig``, with longer waits: a partner's webhook may be down for a while."""

    base_delay_seconds: float = Field(default=1.0, gt=0)
    max_delay_seconds: float = Field(default=300.0, gt=0)
    max_attempts: int = Field(default=20, ge=1)


class BreakerConfig(_Section):
    """When to stop sending to an endpoint that keeps failing, and when to try it again."""

    failure_threshold: int = Field(default=5, ge=1)
    reset_seconds: float = Field(default=10.0, gt=0)


class EndpointConfig(_Section):
    """A customs endpoint the gateway delivers to."""

    target: str
    """The destination format rendered for it (a pipeline target such as ``uk-cds``)."""
    url: str
    timeout_seconds: float = Field(default=10.0, gt=0)
    concurrency: int = Field(default=8, ge=1, le=1024)
    batch_size: int = Field(default=64, ge=1)
    retry: RetryConfig = RetryConfig()
    breaker: BreakerConfig = BreakerConfig()
    response_mode: Literal["callback", "poll"] = "callback"
    response_kind: str | None = None
    """The response mapping (``mappings/responses/<kind>.yaml``); None means the target's."""
    poll_url: str | None = None
    poll_interval_seconds: float = Field(default=5.0, gt=0)
    callback_secret: str | None = Field(default=None, min_length=16)
    """Shared secret the endpoint sends as ``Authorization: Bearer <secret>`` with each
    notification to ``POST /v1/responses/{endpoint}``; None leaves that route open."""

    @model_validator(mode="after")
    def _poll_needs_url(self) -> EndpointConfig:
        if self.response_mode == "poll" and not self.poll_url:
            raise ValueError("response_mode 'poll' needs a poll_url to poll")
        return self

    @field_validator("url", "poll_url")
    @classmethod
    def _http_url(cls, value: str | None) -> str | None:
        if value is not None and not value.startswith(("http://", "https://")):
            raise ValueError(f"'{value}' must start with http:// or https://")
        return value


class PartnerConfig(_Section):
    """A sender (postal operator, carrier, platform) or an operator, and how it authenticates.

    When any partner has a token, the API needs ``Authorization: Bearer <token>`` on every
    route but health, the OpenAPI document and metrics. A partner sees and replays only its
    own messages; an operator (``role: operator``) sees everything and may bulk-replay.
    """

    token: str | None = Field(default=None, min_length=1)
    """Bearer token in clear text (development); prefer ``token_sha256``."""
    token_sha256: str | None = None
    """Lower-case hex SHA-256 of the bearer token, so the file holds no usable secret."""
    role: Literal["partner", "operator"] = "partner"
    webhook_url: str | None = None
    """Where each customs outcome of the partner's items is POSTed (signed); None: pull only."""
    webhook_secret: str | None = Field(default=None, min_length=1)
    """The HMAC-SHA256 key of the ``Gateway-Signature`` header; needed with a webhook_url."""
    webhook_retry: WebhookRetryConfig = WebhookRetryConfig()
    """When to send a failed webhook event again, and when to give it up (dead)."""
    webhook_timeout_seconds: float = Field(default=10.0, gt=0)
    webhook_concurrency: int = Field(default=4, ge=1, le=256)
    """Webhook events in flight at once (events of one item always go one after another)."""
    webhook_breaker: BreakerConfig = BreakerConfig()
    """When to stop sending to a webhook that keeps failing, and when to try it again."""

    @field_validator("token_sha256")
    @classmethod
    def _hex_digest(cls, value: str | None) -> str | None:
        if value is None:
            return None
        digest = value.strip().lower()
        if len(digest) != 64 or any(char not in "0123456789abcdef" for char in digest):
            raise ValueError("token_sha256 must be the 64 hexadecimal digits of a SHA-256 digest")
        return digest

    @field_validator("webhook_url")
    @classmethod
    def _webhook_http_url(cls, value: str | None) -> str | None:
        if value is not None and not value.startswith(("http://", "https://")):
            raise ValueError(f"'{value}' must start with http:// or https://")
        return value

    @model_validator(mode="after")
    def _signed_webhook(self) -> PartnerConfig:
        if self.webhook_url and not self.webhook_secret:
            raise ValueError(
                "a webhook_url needs a webhook_secret to sign the events with "
                "(unsigned webhooks are not sent)"
            )
        return self

    @model_validator(mode="after")
    def _one_token(self) -> PartnerConfig:
        if self.token is not None and self.token_sha256 is not None:
            raise ValueError("give either token or token_sha256, not both")
        if self.role == "operator" and self.token_digest is None:
            raise ValueError("an operator needs a token or token_sha256 to sign in with")
        return self

    @property
    def token_digest(self) -> str | None:
        """The SHA-256 hex digest of the partner's token, however it was configured."""
        if self.token is not None:
            return hashlib.sha256(self.token.encode("utf-8")).hexdigest()
        return self.token_sha256


class LoggingConfig(_Section):
    """Log output: JSON lines on standard error."""

    level: Literal["debug", "info", "warning", "error"] = "info"


class GatewayConfig(_Section):
    """The whole configuration of one gateway instance."""

    server: ServerConfig = ServerConfig()
    storage: StorageConfig = StorageConfig()
    limits: LimitsConfig = LimitsConfig()
    logging: LoggingConfig = LoggingConfig()
    feeds: list[str] | None = None
    """Feeds accepted; None means every feed the mappings define."""
    parameters: dict[str, dict[str, str]] = {}
    """Mapping parameters per target, e.g. ``{"uk-cds": {"declarant_eori": "GB..."}}``."""
    endpoints: dict[str, EndpointConfig] = {}
    routes: Path | None = None
    """The routes file; None means the bundled ``mappings/routes.yaml``."""
    partners: dict[str, PartnerConfig] = {}

    @model_validator(mode="after")
    def _distinct_tokens(self) -> GatewayConfig:
        owners: dict[str, str] = {}
        for name, partner in self.partners.items():
            digest = partner.token_digest
            if digest is None:
                continue
            if digest in owners:
                raise ValueError(
                    f"partners '{owners[digest]}' and '{name}' have the same token; "
                    "each token must identify one partner"
                )
            owners[digest] = name
        return self

    @property
    def auth_enabled(self) -> bool:
        """Whether the API authenticates callers (any partner has a token)."""
        return any(partner.token_digest for partner in self.partners.values())

    @property
    def routes_path(self) -> Path:
        """The routes file in force."""
        return self.routes if self.routes is not None else bundled_mappings_dir() / "routes.yaml"


def load_config(path: Path | None, environ: Mapping[str, str] | None = None) -> GatewayConfig:
    """Read, override from the environment, and validate the configuration.

    ``path`` None means defaults plus environment only. Raises ``ConfigurationError`` listing
    every problem found, each with its key path.
    """
    data: dict[str, Any] = {}
    base = Path.cwd()
    if path is not None:
        try:
            text = path.read_text(encoding="utf-8")
        except OSError as exc:
            raise ConfigurationError(
                f"The configuration file {path} cannot be read: {exc.strerror or exc}."
            ) from exc
        try:
            loaded = yaml.safe_load(text)
        except yaml.YAMLError as exc:
            raise ConfigurationError(
                f"The configuration file {path} is not valid YAML: {exc}."
            ) from exc
        if loaded is not None and not isinstance(loaded, dict):
            raise ConfigurationError(
                f"The configuration file {path} must hold a mapping of sections at its top level."
            )
        data = loaded or {}
        base = path.resolve().parent
    _apply_environment(data, os.environ if environ is None else environ)
    return config_from_dict(
        data, base=base, source=f"the configuration file {path}" if path else "the configuration"
    )


def config_from_dict(
    data: Mapping[str, Any], *, base: Path | None = None, source: str = "the configuration"
) -> GatewayConfig:
    """Validate plain data as a configuration; relative paths resolve against ``base``."""
    try:
        config = GatewayConfig.model_validate(data)
    except ValidationError as exc:
        lines = []
        for error in exc.errors():
            where = ".".join(str(part) for part in error["loc"]) or "(top level)"
            lines.append(f"  {where}: {error['msg']}")
        count = len(lines)
        noun = "problem" if count == 1 else "problems"
        raise ConfigurationError(
            f"{source[:1].upper()}{source[1:]} has {count} {noun}:\n" + "\n".join(lines)
        ) from exc
    if base is None:
        return config
    storage = config.storage.model_copy(update={"path": _resolve(base, config.storage.path)})
    routes = _resolve(base, config.routes) if config.routes is not None else None
    return config.model_copy(update={"storage": storage, "routes": routes})


def _resolve(base: Path, path: Path) -> Path:
    return path if path.is_absolute() else base / path


def _apply_environment(data: dict[str, Any], environ: Mapping[str, str]) -> None:
    for name, raw in environ.items():
        if not name.startswith(ENV_PREFIX) or name == ENV_PREFIX:
            continue
        parts = [part for part in name[len(ENV_PREFIX) :].split("__") if part]
        if not parts:
            continue
        try:
            value = yaml.safe_load(raw) if raw != "" else ""
        except yaml.YAMLError as exc:
            raise ConfigurationError(
                f"The environment variable {name} holds a value that is not a YAML scalar: {exc}."
            ) from exc
        node = data
        for part in parts[:-1]:
            key = _match_key(node, part)
            child = node.get(key)
            if not isinstance(child, dict):
                child = {}
                node[key] = child
            node = child
        node[_match_key(node, parts[-1])] = value


def _match_key(node: Mapping[str, Any], part: str) -> str:
    wanted = part.lower().replace("-", "_")
    for key in node:
        if str(key).lower().replace("-", "_") == wanted:
            return str(key)
    return part.lower()
