"""Checks beyond schemas: rules a schema cannot say, run on canonical declarations.

A registry of small pure functions (see :mod:`gateway.checks.registry`), in the spirit of
jsonschema's keywords. Default checks run on every declaration: ``hs-code``,
``country-codes``, ``currency-codes``, ``net-not-above-gross``, ``not-negative``,
``vague-description`` and ``description-missing``. Named checks run where a mapping switches
them on for a canonical path: ``s10``, ``awb`` and ``required``::

    suite = CheckSuite([PathCheck("s10", "FunctionalReferenceID")])
    problems = suite.run(batch_root[:], ids)      # one list of problems per declaration

A suite is compiled once (per feed and destination) and reused; it is safe to share between
threads, since running it keeps no state.
"""

from __future__ import annotations

from collections.abc import Collection, Sequence
from dataclasses import dataclass

from lxml import etree

from gateway.errors import ConfigurationError
from gateway.problems import Problem, Severity

from . import codes, descriptions, identifiers, quantities, required  # registers the checks
from .reference import load_reference_data
from .registry import CHECKS, DEFAULT_CHECKS, BatchView, CheckInput, TargetPath
from .targets import parse_target_path

__all__ = ["CheckSuite", "PathCheck", "check_names", "default_check_names", "path_check_names"]

_CHECK_MODULES = (codes, descriptions, identifiers, quantities, required)


@dataclass(frozen=True)
class PathCheck:
    """A named check switched on for one canonical path, e.g. ``s10`` on the item ID."""

    check: str
    path: str
    severity: Severity = Severity.ERROR


def check_names() -> list[str]:
    """Every check name a mapping file or ``disabled`` may use, sorted."""
    return sorted(CHECKS)


def default_check_names() -> list[str]:
    """The checks that run on every declaration unless disabled, in run order."""
    return list(DEFAULT_CHECKS)


def path_check_names() -> list[str]:
    """The named checks that a mapping switches on for a canonical path, sorted."""
    return sorted(set(CHECKS) - set(DEFAULT_CHECKS))


def _unknown(name: str, known: Sequence[str], what: str) -> ConfigurationError:
    return ConfigurationError(
        f"There is no {what} named '{name}'; the known ones are {', '.join(known)}."
    )


class CheckSuite:
    """The checks for one feed and destination, compiled once and run on batches.

    ``path_checks`` switch named checks on for canonical paths; ``defaults`` runs the
    default checks, except those named in ``disabled``. Raises
    :class:`ConfigurationError` for unknown check names and malformed paths, and when a code
    list the checks need cannot be loaded.
    """

    def __init__(
        self,
        path_checks: Sequence[PathCheck] = (),
        *,
        defaults: bool = True,
        disabled: Collection[str] = (),
    ) -> None:
        for name in disabled:
            if name not in CHECKS:
                raise _unknown(name, check_names(), "check")
        planned: list[tuple[str, TargetPath | None, Severity]] = []
        if defaults:
            planned.extend(
                (name, None, Severity.ERROR) for name in DEFAULT_CHECKS if name not in disabled
            )
        for path_check in path_checks:
            if path_check.check not in CHECKS:
                raise _unknown(path_check.check, path_check_names(), "path check")
            if path_check.check in DEFAULT_CHECKS:
                raise ConfigurationError(
                    f"The check '{path_check.check}' runs on every declaration and takes no "
                    f"path; the checks to switch on for a path are {', '.join(path_check_names())}."
                )
            if path_check.check in disabled:
                continue
            target = parse_target_path(path_check.path)
            planned.append((path_check.check, target, Severity(path_check.severity)))
        self._planned = tuple(planned)
        self._reference = load_reference_data()

    @property
    def checks(self) -> list[tuple[str, str | None]]:
        """The checks this suite runs, in order, each with its path (None for defaults)."""
        return [
            (name, None if target is None else target.text) for name, target, _ in self._planned
        ]

    def run(self, batch: Sequence[etree._Element], ids: Sequence[str]) -> list[list[Problem]]:
        """Run every check on the batch; the problems of each declaration, in batch order.

        ``batch`` holds canonical Declaration elements, best all children of one batch root
        (then each check runs once for the whole batch); ``ids`` names each declaration in
        the problems (``Problem.item``). Every problem is reported, not only the first.
        """
        view = BatchView(batch, ids)
        found: list[list[Problem]] = [[] for _ in batch]
        for name, target, severity in self._planned:
            check_input = CheckInput(
                batch=view, reference=self._reference, rule=name, target=target, severity=severity
            )
            for position, problem in CHECKS[name](check_input):
                found[position].append(problem)
        return found
