"""Customs responses in: notifications mapped declaratively to canonical outcomes.

``parse_response(endpoint_kind, body)`` turns an endpoint's response into ``CustomsOutcome``
values through ``mappings/responses/<endpoint_kind>.yaml``; ``render_postal_response``
gives a postal sender the outcome in a postal-vocabulary message.
"""

from gateway.responses.outcome import OUTCOMES, CustomsOutcome
from gateway.responses.parse import parse_response, response_mapping
from gateway.responses.postal import POSTAL_RESPONSE_NS, render_postal_response

__all__ = [
    "OUTCOMES",
    "POSTAL_RESPONSE_NS",
    "CustomsOutcome",
    "parse_response",
    "render_postal_response",
    "response_mapping",
]
