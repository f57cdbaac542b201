"""The ``gateway`` command: translate, mappings lint/test, canonical fields, serve, simulate, demo.

Exit codes: 0 everything translated and validated, 1 some items were refused, 2 usage or
configuration errors. No traceback ever reaches the user: GatewayErrors are printed as the
sentences they are; anything unexpected is reported with an apology and a short reason.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Callable, Sequence
from pathlib import Path

from rich.console import Console

from gateway import __version__
from gateway.errors import ConfigurationError, GatewayError, MappingError

EXIT_OK, EXIT_REFUSED, EXIT_USAGE = 0, 1, 2

Handler = Callable[[argparse.Namespace], int]
PASSTHROUGH = ("serve", "simulate", "demo")
"""Commands that parse their own options (their arguments are handed over as they are)."""


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="gateway",
        description="Customs interoperability gateway: feeds in, WCO DM canonical form, customs out.",
    )
    parser.add_argument("--version", action="version", version=f"gateway {__version__}")
    commands = parser.add_subparsers(dest="command", metavar="COMMAND")

    translate = commands.add_parser("translate", help="translate feed messages for a destination")
    translate.add_argument(
        "--from", dest="feed", required=True, metavar="FEED", help="feed mapping, e.g. upu-itmatt"
    )
    translate.add_argument(
        "--to",
        dest="target",
        required=True,
        metavar="TARGET",
        help="destination mapping (e.g. uk-cds) or canonical",
    )
    translate.add_argument(
        "--out", type=Path, metavar="DIR", help="write one file per declaration into DIR"
    )
    translate.add_argument(
        "--format",
        choices=("xml", "json"),
        default="xml",
        help="output format (json: canonical only)",
    )
    translate.add_argument(
        "--report", type=Path, metavar="FILE", help="write a JSON report of every item and problem"
    )
    translate.add_argument(
        "--trace", action="store_true", help="show field lineage and source elements no rule read"
    )
    translate.add_argument(
        "--param",
        action="append",
        default=[],
        metavar="NAME=VALUE",
        help="a destination mapping parameter",
    )
    translate.add_argument(
        "--config", type=Path, metavar="FILE", help="configuration file with parameters and limits"
    )
    translate.add_argument(
        "--max-bytes", type=int, default=None, metavar="N", help="largest input accepted"
    )
    translate.add_argument(
        "--reference",
        action="append",
        default=[],
        metavar="NAME=FILE",
        help="a reference document the feed mapping reads, e.g. master=MAWB.xml",
    )
    translate.add_argument(
        "--jobs",
        type=_positive,
        default=None,
        metavar="N",
        help="threads translating chunks of a large batch side by side "
        "(default: the number of cores, at most 4; 1 for one thread)",
    )
    translate.add_argument("inputs", nargs="+", type=Path, metavar="INPUT")
    translate.set_defaults(handler=_lazy("gateway.commands.translate", "run"))

    mappings = commands.add_parser("mappings", help="check mapping files")
    mapping_commands = mappings.add_subparsers(dest="mappings_command", metavar="SUBCOMMAND")
    lint = mapping_commands.add_parser(
        "lint", help="compile every mapping and check every canonical path it names"
    )
    lint.set_defaults(handler=_lazy("gateway.commands.mappings", "lint"))
    test = mapping_commands.add_parser("test", help="run the golden-file cases under tests/golden/")
    test.add_argument(
        "--golden", type=Path, default=None, metavar="DIR", help="folder of golden cases"
    )
    test.add_argument(
        "--update",
        action="store_true",
        help="rewrite expected files from today's output (review the diff!)",
    )
    test.set_defaults(handler=_lazy("gateway.commands.mappings", "test"))

    canonical = commands.add_parser("canonical", help="the canonical model")
    canonical_commands = canonical.add_subparsers(dest="canonical_command", metavar="SUBCOMMAND")
    fields = canonical_commands.add_parser(
        "fields", help="print the canonical fields with their WCO DM IDs"
    )
    fields.set_defaults(handler=_lazy("gateway.commands.canonical", "fields"))

    for name, help_text, module in (
        ("serve", "run the gateway service", "gateway.commands.service"),
        ("simulate", "run a customs endpoint simulator", "gateway.commands.service"),
        ("demo", "run the end-to-end demo on loopback", "gateway.commands.service"),
    ):
        command = commands.add_parser(name, help=help_text, add_help=True)
        command.add_argument("args", nargs=argparse.REMAINDER, help=argparse.SUPPRESS)
        command.set_defaults(handler=_lazy(module, name))
    return parser


def _positive(text: str) -> int:
    """An argparse type: a whole number of at least 1, or a clear usage error."""
    try:
        number = int(text)
    except ValueError:
        number = 0
    if number < 1:
        raise argparse.ArgumentTypeError(f"'{text}' is not a whole number of at least 1")
    return number


def _lazy(module: str, function: str) -> Handler:
    def handler(arguments: argparse.Namespace) -> int:
        import importlib

        loaded = importlib.import_module(module)
        result: int = getattr(loaded, function)(arguments)
        return result

    return handler


def main(argv: Sequence[str] | None = None) -> int:
    """Run the command line; returns the exit code."""
    parser = _parser()
    words = list(sys.argv[1:] if argv is None else argv)
    if words and words[0] in PASSTHROUGH:  # their own parsers answer --help too
        arguments = argparse.Namespace(args=words[1:])
        handler: Handler | None = _lazy("gateway.commands.service", words[0])
    else:
        arguments = parser.parse_args(words)
        handler = getattr(arguments, "handler", None)
    if handler is None:
        parser.print_help(sys.stderr)
        return EXIT_USAGE
    errors = Console(stderr=True, highlight=False, soft_wrap=True)
    try:
        return handler(arguments)
    except (ConfigurationError, MappingError) as exc:
        errors.print(f"[bold red]error:[/] {exc}", markup=True)
        return EXIT_USAGE
    except GatewayError as exc:
        errors.print(f"[bold red]error:[/] {exc}", markup=True)
        return EXIT_USAGE
    except KeyboardInterrupt:
        errors.print("Interrupted.")
        return 130
    except BrokenPipeError:
        return EXIT_OK
    except Exception as exc:
        errors.print(
            f"[bold red]error:[/] the gateway failed unexpectedly ({type(exc).__name__}: {exc}). "
            "This is a bug; please report it with the command you ran.",
            markup=True,
        )
        return 70


if __name__ == "__main__":  # pragma: no cover
    raise SystemExit(main())
