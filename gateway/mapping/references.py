"""Reference documents: another message a feed mapping reads alongside the one it translates.

A house waybill (XFZB) names its master air waybill but not the flight: that is in the master
(XFWB). A feed mapping declares the documents it may read besides its input::

    references:
      master: {feed: iata-xfwb, description: The master air waybill the house travels under.}

and its rules read them through the variable ``$ref-NAME`` (``$ref-master/mwb:MasterConsignment
/...``), bound to the reference document's root element. The caller hands the documents to the
pipeline for one run (``Pipeline.translate(..., references={"master": data})``, or
``gateway translate --reference master=FILE``); a reference not given is an empty node-set, so
the fields read from it are simply empty (and a ``required`` rule says so).

How the stylesheet gets them: each reference is a global ``xsl:variable`` whose value is the
extension function ``gwf:reference('NAME')``. The documents of the current run are held in a
context variable set around the transform (``bound_references``), so concurrent runs in other
threads or tasks each see their own documents.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from contextvars import ContextVar
from typing import Any

from lxml import etree

from gateway.mapping.functions import FUNCTIONS_NS
from gateway.mapping.spec import REFERENCE_PREFIX

_CURRENT: ContextVar[Mapping[str, etree._Element] | None] = ContextVar(
    "gateway_references", default=None
)


def variable_name(reference: str) -> str:
    """The XSLT variable that holds the reference document ``reference``."""
    return f"{REFERENCE_PREFIX}{reference}"


@contextmanager
def bound_references(documents: Mapping[str, etree._Element]) -> Iterator[None]:
    """Make ``documents`` (name -> root element) what ``$ref-NAME`` reads while inside."""
    token = _CURRENT.set(dict(documents))
    try:
        yield
    finally:
        _CURRENT.reset(token)


def reference_root(name: str) -> list[etree._Element]:
    """The root of the reference document ``name`` in this run, as a node-set (empty if absent)."""
    root = (_CURRENT.get() or {}).get(name)
    return [] if root is None else [root]


def _reference(_context: Any, name: Any) -> list[etree._Element]:
    text = name[0] if isinstance(name, list) and name else name
    return reference_root(str(text))


def reference_extension() -> dict[tuple[str, str], Callable[..., Any]]:
    """``gwf:reference(NAME)``, the extension function ``$ref-NAME`` compiles to, by
    (namespace, name): handed to each compiled stylesheet, as the functions of
    ``gateway.mapping.functions`` are."""
    return {(FUNCTIONS_NS, "reference"): _reference}
