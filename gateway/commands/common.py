"""What several commands share: parameters from the configuration file and --param."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

import yaml

from gateway.errors import ConfigurationError


def load_parameters(config: Path | None, params: Sequence[str]) -> dict[str, dict[str, str]]:
    """Mapping parameters per target: the configuration file's ``parameters:`` then ``--param``.

    ``--param NAME=VALUE`` applies to every target that declares NAME;
    ``--param TARGET.NAME=VALUE`` to one target.
    """
    parameters: dict[str, dict[str, str]] = {}
    if config is not None:
        try:
            data = yaml.safe_load(config.read_text(encoding="utf-8")) or {}
        except FileNotFoundError as exc:
            raise ConfigurationError(f"The configuration file {config} does not exist.") from exc
        except (OSError, UnicodeDecodeError, yaml.YAMLError) as exc:
            raise ConfigurationError(
                f"The configuration file {config} cannot be read: {exc}"
            ) from exc
        section = data.get("parameters", {}) if isinstance(data, dict) else {}
        if not isinstance(section, dict):
            raise ConfigurationError(
                f"In {config}, 'parameters' must map targets to name: value pairs."
            )
        for target, values in section.items():
            if not isinstance(values, dict):
                raise ConfigurationError(
                    f"In {config}, parameters.{target} must map names to values."
                )
            parameters[str(target)] = {str(k): str(v) for k, v in values.items()}
    shared: dict[str, str] = {}
    for item in params:
        name, separator, value = item.partition("=")
        if not separator or not name:
            raise ConfigurationError(f"--param takes NAME=VALUE, not '{item}'.")
        if "." in name:
            target, name = name.split(".", 1)
            parameters.setdefault(target, {})[name] = value
        else:
            shared[name] = value
    parameters.setdefault("*", {}).update(shared)
    return parameters


def parameters_for(
    parameters: dict[str, dict[str, str]], target: str, declared: Sequence[str]
) -> dict[str, str]:
    """The values for one target: its own, plus shared --param values it declares."""
    values = {name: value for name, value in parameters.get("*", {}).items() if name in declared}
    values.update(parameters.get(target, {}))
    return values
