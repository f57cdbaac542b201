"""A translation worker process: ``python -m gateway.service.translate_worker``.

Started by ``ProcessTranslator`` (``gateway.service.translators``), it talks over its standard
input and output in frames: a 4-byte big-endian length, then a pickle. The first frame in is
``WorkerSetup``; the worker compiles its pipeline and routes and answers ``("ready", None)``.
Every later frame in is ``(feed, body)``; the answer is ``("ok", Translation)`` or
``("error", exception)``, in the order the requests came. End of input ends the worker.

The frames are trusted: only the gateway process that started the worker writes them.
"""

from __future__ import annotations

import os
import pickle
import struct
import sys
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any, BinaryIO

HEADER = struct.Struct(">I")


@dataclass(frozen=True, slots=True)
class WorkerSetup:
    """What a worker needs to translate like the gateway that started it."""

    parameters: Mapping[str, Mapping[str, str]]
    routes_path: Path
    endpoints: Mapping[str, tuple[str, str]]
    """Endpoint name -> (target, content type)."""
    feeds: tuple[str, ...]


def read_frame(stream: BinaryIO) -> Any | None:
    """The next frame's object, or None at end of input."""
    header = stream.read(HEADER.size)
    if len(header) < HEADER.size:
        return None
    (size,) = HEADER.unpack(header)
    data = stream.read(size)
    if len(data) < size:
        return None
    return pickle.loads(data)


def frame(value: Any) -> bytes:
    """``value`` as one frame."""
    data = pickle.dumps(value, protocol=pickle.HIGHEST_PROTOCOL)
    return HEADER.pack(len(data)) + data


def _write_all(out: BinaryIO, data: bytes) -> None:
    view = memoryview(data)
    while view:
        written = out.write(view)
        view = view[written or 0 :]


def _answer(error: BaseException) -> bytes:
    try:
        return frame(("error", error))
    except Exception:  # an exception that cannot be pickled: send its sentence
        return frame(("error", RuntimeError(str(error))))


def main() -> None:
    # The frames use the original standard output; anything printed goes to standard error.
    out = os.fdopen(os.dup(1), "wb", buffering=0)
    os.dup2(2, 1)
    source = sys.stdin.buffer

    from gateway.pipeline import Pipeline
    from gateway.routing import load_routes
    from gateway.service.ingest import EndpointTarget

    # Run as ``-m``, this file is ``__main__``; the setup was pickled as the module's class.
    from gateway.service.translate_worker import WorkerSetup as PickledSetup
    from gateway.service.translators import translate_message

    setup = read_frame(source)
    if not isinstance(setup, PickledSetup):
        return
    pipeline = Pipeline(parameters=setup.parameters)
    for feed in setup.feeds:
        pipeline.feed_mapping(feed)
    routes = load_routes(setup.routes_path)
    endpoints = {
        name: EndpointTarget(name, target, content_type)
        for name, (target, content_type) in setup.endpoints.items()
    }
    _write_all(out, frame(("ready", None)))
    while (request := read_frame(source)) is not None:
        feed, body = request
        try:
            answer = frame(("ok", translate_message(pipeline, routes, endpoints, feed, body)))
        except Exception as exc:
            answer = _answer(exc)
        _write_all(out, answer)


if __name__ == "__main__":
    main()
