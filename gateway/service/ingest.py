"""From a feed message read by the pipeline to the items and deliveries the store keeps.

``prepare_items`` routes every accepted canonical declaration, renders it once per target
for the endpoints it goes to, and turns each into a ``NewItem``: accepted with one delivery
per endpoint, or refused with every problem (failed checks, no route, a destination schema
refusing the rendered document). CPU-bound and free of I/O: the service runs it in a thread.
"""

from __future__ import annotations

import itertools
import secrets
from collections.abc import Mapping
from dataclasses import dataclass

from lxml import etree

from gateway.delivery.keys import delivery_key_of, parse_canonical
from gateway.pipeline import CanonicalDeclaration, FeedResult, Pipeline
from gateway.problems import Problem, Severity
from gateway.routing import RoutingTable, facts_from_declaration
from gateway.store.base import NewDelivery, NewItem
from gateway.translation import TranslatedDeclaration


@dataclass(frozen=True, slots=True)
class EndpointTarget:
    """What ingest needs to know of an endpoint: the format rendered for it."""

    name: str
    target: str
    content_type: str = "application/xml"


_INSTANCE = secrets.token_hex(6)
_SEQUENCE = itertools.count(1)


def new_id(prefix: str) -> str:
    """A unique identifier with a readable prefix (``msg_…``, ``itm_…``).

    A random part drawn once per process and a counter: unique across gateway instances
    sharing one database without a system call per identifier.
    """
    return f"{prefix}_{_INSTANCE}{next(_SEQUENCE):010x}"


def prepare_items(
    pipeline: Pipeline,
    routes: RoutingTable,
    endpoints: Mapping[str, EndpointTarget],
    result: FeedResult,
) -> list[NewItem]:
    """Route and render every declaration of a readable feed message."""
    routed: dict[int, _Routed] = {}
    wanted: dict[str, list[int]] = {}
    for declaration in result.declarations:
        if not declaration.accepted:
            continue
        # serialised and parsed once, for its routing facts and its delivery keys
        canonical = declaration.canonical
        root = parse_canonical(canonical)
        decision = routes.decide(facts_from_declaration(result.feed, root))
        names = tuple(name for name in decision.endpoints if name in endpoints)
        routed[declaration.index] = _Routed(names, decision.rules, canonical, root)
        for name in names:
            wanted.setdefault(endpoints[name].target, []).append(declaration.index)
    rendered: dict[str, dict[int, TranslatedDeclaration]] = {}
    for target, indices in wanted.items():
        outputs = pipeline.render(result, target, indices=sorted(set(indices)))
        rendered[target] = {output.index: output for output in outputs}
    return [
        _item(declaration, routed.get(declaration.index), endpoints, rendered)
        for declaration in result.declarations
    ]


@dataclass(frozen=True, slots=True)
class _Routed:
    """An accepted declaration routed: its endpoints, the rules that chose them, and its
    canonical form as bytes and as a tree (for the delivery keys)."""

    endpoints: tuple[str, ...]
    rules: tuple[str, ...]
    canonical: bytes
    root: etree._Element


def _item(
    declaration: CanonicalDeclaration,
    routed: _Routed | None,
    endpoints: Mapping[str, EndpointTarget],
    rendered: Mapping[str, Mapping[int, TranslatedDeclaration]],
) -> NewItem:
    problems = list(declaration.problems)
    canonical = declaration.canonical if routed is None else routed.canonical
    deliveries: list[NewDelivery] = []
    rules: tuple[str, ...] = ()
    if routed is not None:
        rules = routed.rules
        if not routed.endpoints:
            problems.append(_no_route(declaration))
        for name in routed.endpoints:
            endpoint = endpoints[name]
            output = rendered[endpoint.target].get(declaration.index)
            if output is None or not output.accepted:
                found = output.problems if output is not None else ()
                problems.extend(p for p in found if p not in problems)
                if output is None:
                    problems.append(_not_rendered(declaration, endpoint))
                continue
            deliveries.append(
                NewDelivery(
                    endpoint=name,
                    target=endpoint.target,
                    idempotency_key=delivery_key_of(name, declaration.declaration_id, routed.root),
                    ordering_key=declaration.consignment_id or declaration.declaration_id,
                    body=output.output if output.output is not None else canonical,
                    content_type=endpoint.content_type,
                )
            )
    accepted = not any(problem.is_error for problem in problems)
    return NewItem(
        item_id=new_id("itm"),
        index=declaration.index,
        declaration_id=declaration.declaration_id,
        consignment_id=declaration.consignment_id,
        canonical=canonical,
        accepted=accepted,
        problems=tuple(problem.to_dict() for problem in problems),
        deliveries=tuple(deliveries) if accepted else (),
        route_rules=rules,
    )


def _no_route(declaration: CanonicalDeclaration) -> Problem:
    return Problem(
        Severity.ERROR,
        "routing.no-route",
        f"No route sends the declaration {declaration.declaration_id} to a customs endpoint "
        "(no rule in the routes file matches its destination, type and value).",
        item=declaration.declaration_id,
    )


def _not_rendered(declaration: CanonicalDeclaration, endpoint: EndpointTarget) -> Problem:
    return Problem(
        Severity.ERROR,
        "render.missing",
        f"The declaration {declaration.declaration_id} could not be rendered as "
        f"{endpoint.target} for the endpoint {endpoint.name}.",
        item=declaration.declaration_id,
    )
