"""A real (non-editable) install carries the schemas, mappings and samples: `gateway` works
from any folder, not only from a checkout."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]


@pytest.fixture(scope="module")
def installed(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The project installed from its source tree into a folder of its own (no dependencies:
    they come from the test environment)."""
    target = tmp_path_factory.mktemp("site")
    subprocess.run(
        [
            sys.executable,
            "-m",
            "pip",
            "install",
            "--quiet",
            "--no-deps",
            "--no-build-isolation",
            "--target",
            str(target),
            str(REPO),
        ],
        check=True,
        capture_output=True,
        timeout=300,
    )
    return target


def run_installed(site: Path, cwd: Path, *arguments: str) -> subprocess.CompletedProcess[str]:
    environment = {**os.environ, "PYTHONPATH": str(site)}
    environment.pop("GATEWAY_MAPPINGS_PATH", None)
    environment.pop("GATEWAY_SCHEMAS_PATH", None)
    return subprocess.run(
        [sys.executable, "-m", "gateway", *arguments],
        check=False,
        cwd=cwd,
        env=environment,
        capture_output=True,
        text=True,
        timeout=120,
    )


def test_the_installed_package_carries_its_data_folders(installed: Path) -> None:
    data = installed / "gateway" / "_data"
    assert (data / "schemas" / "destinations" / "uk-cds" / "uk-cds-declaration.xsd").is_file()
    assert (data / "mappings" / "feeds" / "upu-itmatt.yaml").is_file()
    assert (data / "mappings" / "codelists" / "countries.csv").is_file()
    assert (data / "samples" / "upu-itmatt" / "us-to-gb.xml").is_file()


def test_installed_gateway_translates_from_another_folder(installed: Path, tmp_path: Path) -> None:
    """Run from an empty folder, with the installed copy first on the path (not the checkout)."""
    sample = REPO / "samples" / "upu-itmatt" / "cn-to-gb-small.xml"
    out = tmp_path / "out"
    result = run_installed(
        installed,
        tmp_path,
        "translate",
        "--from",
        "upu-itmatt",
        "--to",
        "uk-cds",
        "--param",
        "declarant_eori=GB000000000001",
        "--param",
        "goods_location_name=LHRLHRLHR",
        "--out",
        str(out),
        str(sample),
    )
    assert result.returncode in (0, 1), result.stderr
    assert "Traceback" not in result.stderr
    written = sorted(path.name for path in out.glob("*.xml"))
    assert "RR123456785CN.xml" in written
    probe = run_installed(installed, tmp_path, "mappings", "lint")
    assert probe.returncode == 0, probe.stderr
    where = subprocess.run(
        [sys.executable, "-c", "import gateway, sys; sys.stdout.write(gateway.__file__)"],
        cwd=tmp_path,
        env={**os.environ, "PYTHONPATH": str(installed)},
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    assert where.startswith(str(installed)), where
