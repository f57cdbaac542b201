"""The checks inside the real pipeline, on the bundled UPU ITMATT samples."""

from __future__ import annotations

from gateway.pipeline import Pipeline
from gateway.resources import bundled_samples_dir

SAMPLES = bundled_samples_dir() / "upu-itmatt"
CHECK_RULES = {
    "hs-code", "country-codes", "currency-codes", "net-not-above-gross", "not-negative",
    "vague-description", "description-missing", "s10",
}  # fmt: skip


def test_clean_sample_passes_every_check() -> None:
    result = Pipeline().read_feed("upu-itmatt", (SAMPLES / "cn-to-gb-small.xml").read_bytes())
    assert result.declarations
    assert [p for d in result.declarations for p in d.problems if p.rule in CHECK_RULES] == []


def test_sample_with_problems_reports_each_check_on_its_item() -> None:
    data = (SAMPLES / "cn-to-gb-with-problems.xml").read_bytes()
    result = Pipeline().read_feed("upu-itmatt", data)
    found = {
        (problem.code, problem.item)
        for declaration in result.declarations
        for problem in declaration.problems
        if problem.rule in CHECK_RULES
    }
    codes = {code for code, _ in found}
    assert {"s10.check-digit", "description.vague", "hs.shape", "codelist.country"} <= codes
    ids = {declaration.declaration_id for declaration in result.declarations}
    assert {item for _, item in found} <= ids
