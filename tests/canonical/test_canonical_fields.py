"""The field table rows for `gateway canonical fields`."""

from __future__ import annotations

from rich.console import Console

from gateway.canonical.fields import FieldRow, field_rows, render_fields_table
from gateway.canonical.structure import iter_fields


def test_rows_cover_every_element_below_declaration() -> None:
    """One row per canonical element except the Declaration root, with kind and WCO identity."""
    rows = field_rows()
    assert len(rows) == sum(1 for _ in iter_fields()) - 1
    by_path = {row.path: row for row in rows}
    assert by_path["GoodsShipment/GovernmentAgencyGoodsItem/Commodity/Description"] == FieldRow(
        path="GoodsShipment/GovernmentAgencyGoodsItem/Commodity/Description",
        kind="text",
        wco_id="137",
        wco_name="Description of goods",
        repeating=False,
    )
    assert by_path["GoodsShipment/GovernmentAgencyGoodsItem"].repeating
    assert by_path["ECommerce/Order/ID"].wco_id is None


def test_table_renders_paths_and_marks_extensions() -> None:
    """The rich table shows each path, and 'ext' where an element has no WCO ID."""
    console = Console(width=200, record=True)
    console.print(render_fields_table(field_rows()))
    text = console.export_text()
    assert "GoodsShipment/Consignor/Name" in text
    assert "R020" in text
    assert "ext" in text
