"""How compiled mappings name the source of a value in problems."""

from __future__ import annotations

from gateway.mapping.catalog import source_text


def test_a_computed_source_is_named_as_an_expression_in_its_item() -> None:
    assert source_text("Item[7]", "Addressee/Name") == "Item[7]/Addressee/Name"
    assert (
        source_text("Item[9]", "sum(Contents/Content/Value)", computed=True)
        == "sum(Contents/Content/Value) in Item[9]"
    )
    assert source_text("", "count(Item)", computed=True) == "count(Item)"
    assert source_text("Item[2]", "") == "Item[2]"
