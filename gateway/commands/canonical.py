"""``gateway canonical fields``: the canonical model's fields and their WCO DM IDs."""

from __future__ import annotations

import argparse

from rich.console import Console

from gateway.canonical.fields import field_rows, render_fields_table


def fields(arguments: argparse.Namespace) -> int:
    del arguments
    Console(soft_wrap=False, width=200).print(render_fields_table(field_rows()))
    return 0
