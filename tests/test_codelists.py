"""Tests for gateway.codelists and the bundled code lists in mappings/codelists."""

from __future__ import annotations

import csv
from decimal import Decimal
from pathlib import Path

import pytest

from gateway.codelists import CodeList, available_codelists, load_codelist
from gateway.errors import ConfigurationError

ROOT = Path(__file__).resolve().parents[1]
BUNDLED = ROOT / "mappings"
STANDARDS = ROOT.parent / "shared" / "standards" / "codelists"


def write_list(folder: Path, name: str, text: str) -> Path:
    lists = folder / "codelists"
    lists.mkdir(parents=True, exist_ok=True)
    path = lists / f"{name}.csv"
    path.write_bytes(text.encode("utf-8"))
    return path


def read_rows(name: str) -> list[dict[str, str]]:
    with (BUNDLED / "codelists" / f"{name}.csv").open(encoding="utf-8", newline="") as handle:
        return list(csv.DictReader(handle))


def read_standard(name: str) -> list[dict[str, str]]:
    path = STANDARDS / name
    if not path.is_file():
        pytest.skip(f"the reference standards are not at {STANDARDS}")
    with path.open(encoding="utf-8", newline="") as handle:
        return list(csv.DictReader(handle))


# ---------------------------------------------------------------- the module


def test_lookup_by_key_and_column(tmp_path: Path) -> None:
    write_list(tmp_path, "fruit", "code,name,colour\nAPL,apple,green\nBAN,banana,\n")
    fruit = load_codelist("fruit", [tmp_path])
    assert isinstance(fruit, CodeList)
    assert fruit.name == "fruit"
    assert fruit.columns == ("code", "name", "colour")
    assert "APL" in fruit
    assert "apl" not in fruit
    assert 42 not in fruit
    assert fruit.get("APL") == "APL"
    assert fruit.get("APL", "name") == "apple"
    assert fruit.get("BAN", "colour") == ""
    assert fruit.get("KIW") is None
    assert fruit.get("KIW", "name") is None
    assert fruit.codes == frozenset({"APL", "BAN"})
    assert len(fruit) == 2


def test_asking_for_an_unknown_column_names_the_columns(tmp_path: Path) -> None:
    write_list(tmp_path, "fruit", "code,name\nAPL,apple\n")
    with pytest.raises(ConfigurationError, match=r"no column 'taste'.*code, name"):
        load_codelist("fruit", [tmp_path]).get("APL", "taste")


def test_first_folder_on_the_search_path_wins(tmp_path: Path) -> None:
    own, bundled = tmp_path / "own", tmp_path / "bundled"
    write_list(own, "fruit", "code,name\nAPL,own apple\n")
    write_list(bundled, "fruit", "code,name\nAPL,bundled apple\nBAN,banana\n")
    write_list(bundled, "veg", "code\nLEK\n")
    assert load_codelist("fruit", [own, bundled]).get("APL", "name") == "own apple"
    assert load_codelist("veg", [own, bundled]).get("LEK") == "LEK"
    assert available_codelists([own, bundled]) == ["fruit", "veg"]


def test_lists_are_cached_per_name_and_path(tmp_path: Path) -> None:
    write_list(tmp_path, "fruit", "code\nAPL\n")
    first = load_codelist("fruit", [tmp_path])
    assert load_codelist("fruit", (tmp_path,)) is first
    other = tmp_path / "other"
    write_list(other, "fruit", "code\nBAN\n")
    assert load_codelist("fruit", [other]).codes == {"BAN"}


def test_a_missing_list_names_the_list_and_the_folders_searched(tmp_path: Path) -> None:
    with pytest.raises(ConfigurationError) as caught:
        load_codelist("planets", [tmp_path / "a", tmp_path / "b"])
    message = str(caught.value)
    assert "'planets'" in message
    assert str(tmp_path / "a" / "codelists") in message
    assert str(tmp_path / "b" / "codelists") in message


@pytest.mark.parametrize("name", ["../countries", "countries.csv/x", "", "a/b", " x"])
def test_a_name_with_a_folder_in_it_is_refused(name: str) -> None:
    with pytest.raises(ConfigurationError, match="not a valid code list name"):
        load_codelist(name, [BUNDLED])


@pytest.mark.parametrize(
    ("text", "line", "reason"),
    [
        ("code,name\nAPL,apple\nBAN,banana\nAPL,again\n", 4, "listed twice.*line 2"),
        ("code,name\nAPL,apple\nBAN\n", 3, "1 cells but the header names 2"),
        ("code,name\nAPL,apple,red\n", 2, "3 cells"),
        ("", 1, "empty"),
        ("\n\n", 1, "empty"),
        ("code,,name\nAPL,x,apple\n", 1, "empty column name"),
        ("code,name,name\nAPL,x,y\n", 1, "more than once"),
        ("code,name\n,apple\n", 2, "key column 'code' is empty"),
    ],
)
def test_a_malformed_list_names_the_file_and_line(
    tmp_path: Path, text: str, line: int, reason: str
) -> None:
    path = write_list(tmp_path, "broken", text)
    with pytest.raises(ConfigurationError, match=reason) as caught:
        load_codelist("broken", [tmp_path])
    assert f"{path}:{line}:" in str(caught.value)


def test_a_list_not_in_utf8_is_refused_with_the_file_named(tmp_path: Path) -> None:
    path = write_list(tmp_path, "latin", "")
    path.write_bytes("code,name\nCAF,café\n".encode("iso-8859-1"))
    with pytest.raises(ConfigurationError, match="not valid UTF-8") as caught:
        load_codelist("latin", [tmp_path])
    assert str(path) in str(caught.value)


def test_blank_lines_and_a_byte_order_mark_are_tolerated(tmp_path: Path) -> None:
    path = write_list(tmp_path, "bom", "")
    path.write_bytes(b"\xef\xbb\xbfcode,name\n\nAPL,apple\n\n")
    fruit = load_codelist("bom", [tmp_path])
    assert fruit.columns == ("code", "name")
    assert fruit.codes == {"APL"}


def test_default_search_path_finds_the_bundled_lists_and_operator_folders_first(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("GATEWAY_MAPPINGS_PATH", raising=False)
    assert {"countries", "currencies", "units", "cn23-categories"} <= set(available_codelists())
    assert load_codelist("countries").get("GB", "alpha3") == "GBR"
    write_list(tmp_path, "countries", "alpha2,name\nGB,Operator's Britain\n")
    monkeypatch.setenv("GATEWAY_MAPPINGS_PATH", str(tmp_path))
    assert load_codelist("countries").get("GB", "name") == "Operator's Britain"


# ---------------------------------------------------------------- the bundled lists


@pytest.mark.parametrize(
    ("name", "header"),
    [
        ("countries", ("alpha2", "alpha3", "numeric", "name", "currency")),
        ("currencies", ("code", "numeric", "minor_units", "name")),
        ("units", ("code", "name", "quantity", "factor")),
        ("cn23-categories", ("code", "canonical", "name", "description")),
    ],
)
def test_bundled_lists_load_with_their_documented_columns(
    name: str, header: tuple[str, ...]
) -> None:
    """Loading also proves every key is unique and every row has every column."""
    codelist = load_codelist(name, [BUNDLED])
    assert codelist.columns == header
    assert len(codelist) == len(read_rows(name))


def test_countries_are_well_formed_and_their_currencies_are_listed() -> None:
    currencies = load_codelist("currencies", [BUNDLED])
    rows = read_rows("countries")
    assert len(rows) >= 240
    for row in rows:
        assert len(row["alpha2"]) == 2 and row["alpha2"].isupper(), row
        assert len(row["alpha3"]) == 3 and row["alpha3"].isupper(), row
        assert len(row["numeric"]) == 3 and row["numeric"].isdigit(), row
        assert row["name"], row
        assert row["currency"] == "" or row["currency"] in currencies, row
    by_code = {row["alpha2"]: row for row in rows}
    assert by_code["GB"]["currency"] == "GBP"
    assert by_code["CN"]["numeric"] == "156"
    assert by_code["US"]["alpha3"] == "USA"
    assert by_code["NA"]["name"] == "Namibia", "NA must not be read as a missing value"
    assert "XX" not in by_code


def test_countries_match_the_iso_3166_reference() -> None:
    reference = {
        row["ISO3166-1-Alpha-2"]: row
        for row in read_standard("iso3166-country-codes.csv")
        if row["ISO3166-1-Alpha-2"]
    }
    ours = {row["alpha2"]: row for row in read_rows("countries")}
    assert set(ours) == set(reference)
    for code, row in ours.items():
        assert row["alpha3"] == reference[code]["ISO3166-1-Alpha-3"]
        assert int(row["numeric"]) == int(reference[code]["ISO3166-1-numeric"])


def test_currencies_are_the_active_iso_4217_codes() -> None:
    reference = read_standard("iso4217-currency-codes.csv")
    active = {
        r["AlphabeticCode"] for r in reference if r["AlphabeticCode"] and not r["WithdrawalDate"]
    }
    withdrawn_only = {r["AlphabeticCode"] for r in reference if r["WithdrawalDate"]} - active
    ours = {row["code"]: row for row in read_rows("currencies")}
    assert set(ours) == active
    assert not withdrawn_only & set(ours)
    assert ours["GBP"]["minor_units"] == "2"
    assert ours["JPY"]["minor_units"] == "0"
    assert ours["KWD"]["minor_units"] == "3"
    assert ours["EUR"]["numeric"] == "978"
    assert all(row["minor_units"] == "" or row["minor_units"].isdigit() for row in ours.values())


def test_units_hold_every_rec20_code_not_deleted() -> None:
    reference = read_standard("unece-rec20-units-of-measure.csv")
    expected = {row["CommonCode"] for row in reference if row["Status"] != "X"}
    assert set(load_codelist("units", [BUNDLED]).codes) == expected


@pytest.mark.parametrize(
    ("code", "factor"),
    [
        ("KGM", "1"),
        ("GRM", "0.001"),
        ("MGM", "0.000001"),
        ("TNE", "1000"),
        ("LBR", "0.45359237"),
        ("ONZ", "0.028349523125"),
    ],
)
def test_mass_units_convert_to_kilograms_by_the_stated_factor(code: str, factor: str) -> None:
    units = load_codelist("units", [BUNDLED])
    assert units.get(code, "quantity") == "mass"
    assert Decimal(units.get(code, "factor") or "nan") == Decimal(factor)


@pytest.mark.parametrize(
    ("code", "quantity", "factor"),
    [
        ("MTR", "length", "1"),
        ("CMT", "length", "0.01"),
        ("INH", "length", "0.0254"),
        ("LTR", "volume", "1"),
        ("MLT", "volume", "0.001"),
        ("MTQ", "volume", "1000"),
        ("H87", "count", ""),
        ("C62", "count", ""),
    ],
)
def test_other_common_units_have_their_quantity_and_factor(
    code: str, quantity: str, factor: str
) -> None:
    units = load_codelist("units", [BUNDLED])
    assert units.get(code, "quantity") == quantity
    got = units.get(code, "factor")
    assert got == factor if not factor else Decimal(got or "nan") == Decimal(factor)


def test_every_unit_factor_is_a_positive_number_with_a_quantity() -> None:
    for row in read_rows("units"):
        if row["factor"]:
            assert Decimal(row["factor"]) > 0, row
            assert row["quantity"] in {"mass", "length", "volume"}, row


def test_cn23_categories_map_letters_to_canonical_codes() -> None:
    categories = load_codelist("cn23-categories", [BUNDLED])
    assert {code: categories.get(code, "canonical") for code in sorted(categories.codes)} == {
        "C": "COMMERCIAL_SAMPLE",
        "D": "DOCUMENTS",
        "G": "GIFT",
        "O": "OTHER",
        "R": "RETURNED_GOODS",
        "S": "SALE_OF_GOODS",
    }
