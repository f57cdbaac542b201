"""The canonical field list, for ``gateway canonical fields`` and for documentation."""

from __future__ import annotations

from dataclasses import dataclass

from rich.table import Table

from gateway.canonical.structure import iter_fields


@dataclass(frozen=True)
class FieldRow:
    """One canonical element: its path (relative to Declaration), kind and WCO DM identity."""

    path: str
    kind: str
    wco_id: str | None
    wco_name: str | None
    repeating: bool


def field_rows() -> list[FieldRow]:
    """Every canonical element below Declaration, depth first, in canonical order."""
    return [
        FieldRow(
            path=element.path,
            kind=element.kind,
            wco_id=element.wco_id,
            wco_name=element.wco_name,
            repeating=element.repeating,
        )
        for element in iter_fields()
        if element.path
    ]


def render_fields_table(rows: list[FieldRow]) -> Table:
    """A rich table of the rows: path, kind, repeats, WCO ID, WCO name ("ext" when none)."""
    table = Table(title="Canonical declaration fields")
    table.add_column("Path", overflow="fold")
    table.add_column("Kind")
    table.add_column("Repeats")
    table.add_column("WCO ID")
    table.add_column("WCO name", overflow="fold")
    for row in rows:
        table.add_row(
            row.path,
            row.kind,
            "yes" if row.repeating else "",
            row.wco_id or "ext",
            row.wco_name or "",
        )
    return table
