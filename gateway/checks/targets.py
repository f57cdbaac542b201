"""Canonical paths that named checks are switched on for: parsing, and compiled XPaths.

A path names elements from the Declaration down, separated by ``/``, optionally ending in
``@attribute``: ``GoodsShipment/GovernmentAgencyGoodsItem/Commodity/Description``. A step
without an index means every repetition of that element; ``[n]`` picks the n-th (1-based).
"""

from __future__ import annotations

import functools
import re
from collections.abc import Iterator
from typing import Any

from gateway.errors import ConfigurationError

from .registry import CheckInput, DeclarationXPath, Location, TargetPath, node_text

__all__ = ["missing_xpath", "parse_target_path", "select_target", "target_values", "value_xpath"]

_ELEMENT_STEP = re.compile(r"[A-Za-z_][A-Za-z0-9_.-]*(?:\[[1-9][0-9]*\])?")
_ATTRIBUTE_STEP = re.compile(r"@[A-Za-z_][A-Za-z0-9_.-]*")


@functools.lru_cache(maxsize=512)
def parse_target_path(text: str) -> TargetPath:
    """Split and validate a canonical path; raises :class:`ConfigurationError` if malformed."""
    steps = tuple(text.strip().strip("/").split("/"))
    if steps and steps[0] == "Declaration":
        steps = steps[1:]
    problem = None
    if not steps or steps == ("",):
        problem = "it is empty"
    else:
        for position, step in enumerate(steps):
            last = position == len(steps) - 1
            if _ELEMENT_STEP.fullmatch(step) or (last and _ATTRIBUTE_STEP.fullmatch(step)):
                continue
            problem = f"its step '{step}' is not an element name (with an optional 1-based [n])" + (
                "" if last else "; only the last step may be an @attribute"
            )
            break
    if problem is not None:
        raise ConfigurationError(
            f"The canonical path '{text}' cannot be checked: {problem}. Write element names "
            "from the Declaration down, such as GoodsShipment/Consignment/"
            "TransportContractDocument/ID or GoodsShipment/GovernmentAgencyGoodsItem/"
            "CustomsValueAmount/@currencyID."
        )
    return TargetPath(text=text, steps=steps)


def _xpath_step(step: str) -> str:
    return step if step.startswith("@") else f"c:{step}"


@functools.lru_cache(maxsize=512)
def value_xpath(target: TargetPath) -> DeclarationXPath:
    """Selects every node at ``target`` that has a non-blank value, in every declaration."""
    steps = "/".join(_xpath_step(step) for step in target.steps)
    return DeclarationXPath(f"{{d}}/{steps}[normalize-space()]")


@functools.lru_cache(maxsize=512)
def missing_xpath(target: TargetPath) -> DeclarationXPath:
    """Selects the deepest node present on the way to ``target`` wherever the rest is missing.

    For ``A/B/C`` that is: declarations without A, A's without B, B's without a non-blank C.
    """
    branches = []
    for depth, step in enumerate(target.steps):
        above = "".join(f"/{_xpath_step(previous)}" for previous in target.steps[:depth])
        last = depth == len(target.steps) - 1
        test = f"{_xpath_step(step)}[normalize-space()]" if last else _xpath_step(step)
        branches.append(f"{{d}}{above}[not({test})]")
    return DeclarationXPath(" | ".join(branches))


def target_values(check: CheckInput) -> list[tuple[Any, str]]:
    """Every non-blank node at the check's target path, with its value, not yet located.

    Checks test the values and locate (:meth:`CheckInput.locate`) only the failing nodes:
    locating costs far more than testing a value.
    """
    if check.target is None:
        raise ConfigurationError(f"The check '{check.rule}' needs a canonical path to check.")
    return [(node, node_text(node)) for node in check.select(value_xpath(check.target))]


def select_target(check: CheckInput) -> Iterator[tuple[Location, str]]:
    """Every non-blank value at the check's target path, with where it is."""
    for node, value in target_values(check):
        location = check.locate(node)
        if location is not None:
            yield location, value
