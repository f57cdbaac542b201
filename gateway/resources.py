"""Where the gateway's bundled schemas, mappings and samples live, installed or in a checkout.

An installed wheel carries them under ``gateway/_data``; a source checkout has them at the
repository root. Operators add folders of their own with ``GATEWAY_MAPPINGS_PATH`` and
``GATEWAY_SCHEMAS_PATH`` (``os.pathsep``-separated), searched before the bundled ones.
"""

from __future__ import annotations

import os
from pathlib import Path

_PACKAGE_DIR = Path(__file__).resolve().parent


def _bundled(kind: str) -> Path:
    installed = _PACKAGE_DIR / "_data" / kind
    if installed.is_dir():
        return installed
    return _PACKAGE_DIR.parent / kind


def _extra(variable: str) -> list[Path]:
    value = os.environ.get(variable, "")
    return [Path(part) for part in value.split(os.pathsep) if part]


def bundled_schemas_dir() -> Path:
    """The folder of project-authored schemas shipped with the gateway."""
    return _bundled("schemas")


def bundled_mappings_dir() -> Path:
    """The folder of mapping files and code lists shipped with the gateway."""
    return _bundled("mappings")


def bundled_samples_dir() -> Path:
    """The folder of sample feed messages shipped with the gateway (used by the demo)."""
    return _bundled("samples")


def mapping_search_path() -> list[Path]:
    """Mapping folders, operator's own first, then the bundled one."""
    return [*_extra("GATEWAY_MAPPINGS_PATH"), bundled_mappings_dir()]


def schema_search_path() -> list[Path]:
    """Schema folders, operator's own first, then the bundled one."""
    return [*_extra("GATEWAY_SCHEMAS_PATH"), bundled_schemas_dir()]


def find_schema(relative: str) -> Path | None:
    """The first schema file named ``relative`` on the schema search path, if any."""
    for folder in schema_search_path():
        candidate = folder / relative
        if candidate.is_file():
            return candidate
    return None
