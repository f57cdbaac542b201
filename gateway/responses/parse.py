"""Customs responses in: bytes from an endpoint -> canonical ``CustomsOutcome`` values.

``parse_response("uk-cds", body)`` reads the body with the hardened XML parser (no DTDs,
no entities, no network, a size limit), then applies the response mapping
``responses/<endpoint_kind>.yaml`` found on the mapping search path (compiled once and
kept). Every problem is reported at once as an ``InputError`` carrying ``Problem`` values.
"""

from __future__ import annotations

import functools
import re

from gateway.errors import InputError, MappingError, MappingIssue
from gateway.formats.xml import parse_xml
from gateway.problems import Problem, Severity
from gateway.resources import mapping_search_path
from gateway.responses.mapping import ResponseMapping, load_response_mapping
from gateway.responses.outcome import CustomsOutcome

__all__ = ["MAX_RESPONSE_BYTES", "parse_response", "response_mapping"]

MAX_RESPONSE_BYTES = 4 * 1024 * 1024
"""Largest customs response accepted (4 MiB); real notifications are a few kilobytes."""

_ENDPOINT_KIND = re.compile(r"^[a-z0-9][a-z0-9._-]{0,63}$")


@functools.lru_cache(maxsize=32)
def response_mapping(endpoint_kind: str) -> ResponseMapping:
    """The compiled response mapping for ``endpoint_kind`` (cached after the first call).

    Looks for ``responses/<endpoint_kind>.yaml`` in each mapping folder, the operator's
    own (``GATEWAY_MAPPINGS_PATH``) first. Raises ``MappingError`` when none has it.
    """
    if not _ENDPOINT_KIND.match(endpoint_kind):
        raise MappingError(
            [
                MappingIssue(
                    "responses",
                    None,
                    "",
                    f"{endpoint_kind!r} is not an endpoint kind name (lower-case letters, "
                    "digits, '.', '_' and '-').",
                )
            ]
        )
    folders = mapping_search_path()
    for folder in folders:
        path = folder / "responses" / f"{endpoint_kind}.yaml"
        if path.is_file():
            return load_response_mapping(path)
    searched = ", ".join(str(folder / "responses") for folder in folders)
    raise MappingError(
        [
            MappingIssue(
                f"responses/{endpoint_kind}.yaml",
                None,
                "",
                f"no response mapping for the endpoint kind {endpoint_kind!r} was found "
                f"(searched {searched}).",
            )
        ]
    )


def parse_response(endpoint_kind: str, body: bytes) -> list[CustomsOutcome]:
    """Map one customs response body to outcomes, one per response it carries.

    Informational responses (``outcome: null`` in the mapping) yield no outcome, so the list
    may be empty. Raises ``InputError`` (with every ``Problem``) for a body that is not
    well-formed, is not this endpoint's response, or has a response that cannot be mapped;
    ``MappingError`` when the endpoint kind has no usable mapping.
    """
    mapping = response_mapping(endpoint_kind)
    source_name = f"the {endpoint_kind} response"
    root = parse_xml(body, source_name, max_bytes=MAX_RESPONSE_BYTES)
    outcomes, problems = mapping.read(root, source_name)
    errors = [problem for problem in problems if problem.severity is Severity.ERROR]
    if errors:
        raise InputError(_summary(source_name, errors), errors)
    return outcomes


def _summary(source_name: str, problems: list[Problem]) -> str:
    if len(problems) == 1:
        return problems[0].message
    return f"{source_name.capitalize()} has {len(problems)} problems: " + " ".join(
        problem.message for problem in problems
    )
