"""The structure view mirrors the pydantic models: names, order, repetition, kinds, lookups."""

from __future__ import annotations

import typing

from pydantic import BaseModel

from gateway.canonical.model import Declaration
from gateway.canonical.structure import (
    CanonicalElement,
    canonical_root,
    find_element,
    iter_fields,
)
from gateway.canonical.values import Amount, Measure


def _compare(node: CanonicalElement, model: type[BaseModel]) -> int:
    """Check node's children against model's fields, recursively; return elements compared."""
    assert [child.name for child in node.children] == list(model.model_fields)
    compared = 0
    for child, (name, info) in zip(node.children, model.model_fields.items(), strict=True):
        annotation = info.annotation
        args = [arg for arg in typing.get_args(annotation) if arg is not type(None)]
        is_list = typing.get_origin(annotation) is list
        assert child.repeating == is_list, name
        inner = args[0] if args else annotation
        expected_path = f"{node.path}/{name}" if node.path else name
        assert child.path == expected_path
        compared += 1
        if (
            isinstance(inner, type)
            and issubclass(inner, BaseModel)
            and inner not in (Amount, Measure)
        ):
            assert child.kind == "group"
            assert child.model is inner
            compared += _compare(child, inner)
        else:
            assert child.kind != "group"
            assert child.children == ()
            if inner is Amount:
                assert (child.kind, child.attributes) == ("amount", ("currencyID",))
            elif inner is Measure:
                assert (child.kind, child.attributes) == ("measure", ("unitCode",))
            else:
                assert child.attributes == ()
    return compared


def test_structure_matches_the_models_names_order_and_repetition() -> None:
    """Every model field appears, in field order, with its repetition, path and kind."""
    root = canonical_root()
    assert (root.name, root.path, root.wco_id, root.kind) == ("Declaration", "", "42A", "group")
    compared = _compare(root, Declaration)
    assert compared == sum(1 for _ in iter_fields()) - 1


def test_declaration_top_level_order_is_the_canonical_order() -> None:
    """The Declaration's children come in the order the brief's tree gives (spot check)."""
    names = [child.name for child in canonical_root().children]
    assert names[:3] == ["FunctionCode", "FunctionalReferenceID", "ID"]
    assert names.index("Carrier") < names.index("GoodsShipment") < names.index("ECommerce")
    assert names[-1] == "ECommerce"


def test_find_element_by_path_and_by_attribute() -> None:
    """find_element resolves element paths, attribute paths, the root, and refuses unknowns."""
    name = find_element("GoodsShipment/Consignor/Name")
    assert name is not None
    assert (name.wco_id, name.kind, name.repeating) == ("R020", "text", False)
    amount = find_element("GoodsShipment/GovernmentAgencyGoodsItem/CustomsValueAmount/@currencyID")
    assert amount is not None
    assert amount.path == "GoodsShipment/GovernmentAgencyGoodsItem/CustomsValueAmount"
    assert find_element(f"{amount.path}/@unitCode") is None
    assert find_element("GoodsShipment/Consignor/Name/@currencyID") is None
    assert find_element("GoodsShipment/Nope") is None
    assert find_element("") is canonical_root()
    assert find_element("Declaration/GoodsShipment") is find_element("GoodsShipment")


def test_child_lookup_and_repeating_classes() -> None:
    """child() finds direct children only; repeating classes are marked repeating."""
    shipment = canonical_root().child("GoodsShipment")
    assert shipment is not None
    item = shipment.child("GovernmentAgencyGoodsItem")
    assert item is not None and item.repeating
    assert shipment.child("Commodity") is None
    commodity = item.child("Commodity")
    assert commodity is not None and not commodity.repeating
    classification = commodity.child("Classification")
    assert classification is not None and classification.repeating


def test_iter_fields_is_depth_first_with_parents_before_children() -> None:
    """Each element comes after its parent, and a subtree is contiguous."""
    paths = [element.path for element in iter_fields()]
    assert paths[0] == ""
    assert len(paths) == len(set(paths))
    seen: set[str] = {""}
    for path in paths[1:]:
        parent = path.rpartition("/")[0]
        assert parent in seen, path
        seen.add(path)
    start = paths.index("GoodsShipment/Consignor")
    assert paths[start + 1].startswith("GoodsShipment/Consignor/")


def test_structure_is_built_once() -> None:
    """canonical_root() returns the same cached object every time."""
    assert canonical_root() is canonical_root()
