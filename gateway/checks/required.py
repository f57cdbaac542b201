"""The named check ``required``: a canonical path must be present (and not blank).

Destinations switch it on for what they need and feeds may lack. Inside repeating groups it
applies to every repetition: ``GoodsShipment/GovernmentAgencyGoodsItem/Commodity/Description``
means a description in every goods item.
"""

from __future__ import annotations

from collections.abc import Iterator

from gateway.errors import ConfigurationError

from .registry import CheckInput, Finding, register
from .targets import missing_xpath

__all__ = ["required"]


@register("required", default=False)
def required(check: CheckInput) -> Iterator[Finding]:
    """Report each place where the target path, or a step on the way to it, is missing."""
    target = check.target
    if target is None:
        raise ConfigurationError("The check 'required' needs a canonical path to check.")
    for node in check.select(missing_xpath(target)):
        location = check.locate(node)
        if location is None:
            continue
        present = location.path.split("/") if location.path else []
        missing_path = "/".join([*present, *target.steps[len(present) :]])
        yield check.problem(
            location,
            "required.missing",
            f"{missing_path} is required here, but this declaration does not have it "
            f"(the rule asks for {target.text}).",
            path=missing_path,
        )
