"""Code lists: small CSV tables of codes (countries, currencies, units, CN 23 categories).

A code list is a UTF-8 CSV file ``<folder>/codelists/<name>.csv`` on the mapping search path
(operator's folders first, then the bundled ``mappings/``). Its first row names the columns;
its first column is the key, unique in the file. Mapping files and checks look codes up here::

    countries = load_codelist("countries")
    "GB" in countries                        # True
    countries.get("GB", "currency")          # "GBP"
    countries.get("XX")                      # None: unknown code

Lists are read once per (name, search path) and cached; they are immutable once loaded.
"""

from __future__ import annotations

import csv
import functools
import re
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from types import MappingProxyType

from gateway.errors import ConfigurationError
from gateway.resources import mapping_search_path

__all__ = ["CodeList", "available_codelists", "load_codelist"]

CODELIST_FOLDER = "codelists"
_NAME_PATTERN = re.compile(r"[A-Za-z0-9][A-Za-z0-9_.-]*")


@dataclass(frozen=True)
class CodeList:
    """One loaded code list: its name, its columns (the first is the key) and its rows."""

    name: str
    columns: tuple[str, ...]
    rows: Mapping[str, tuple[str, ...]] = field(repr=False, compare=False)
    source: Path | None = field(default=None, compare=False)

    def __contains__(self, code: object) -> bool:
        """Whether ``code`` is a key of this list (exact, case-sensitive match)."""
        return isinstance(code, str) and code in self.rows

    def __len__(self) -> int:
        return len(self.rows)

    def get(self, code: str, column: str | None = None) -> str | None:
        """The value of ``column`` for ``code``; the key itself when no column is given.

        Returns None when the code is unknown. An empty cell is returned as ``""``.
        Asking for a column the list does not have is a programming or mapping error and
        raises :class:`ConfigurationError`.
        """
        row = self.rows.get(code)
        if column is None:
            return None if row is None else row[0]
        try:
            index = self.columns.index(column)
        except ValueError:
            known = ", ".join(self.columns)
            raise ConfigurationError(
                f"The code list '{self.name}' has no column '{column}'; its columns are {known}."
            ) from None
        return None if row is None else row[index]

    @property
    def codes(self) -> frozenset[str]:
        """Every key in the list."""
        return frozenset(self.rows)


def _folders(search_path: Sequence[Path] | None) -> tuple[Path, ...]:
    paths = mapping_search_path() if search_path is None else search_path
    return tuple(Path(folder) for folder in paths)


def load_codelist(name: str, search_path: Sequence[Path] | None = None) -> CodeList:
    """Load the code list ``name`` from the first ``<folder>/codelists/<name>.csv`` found.

    ``search_path`` defaults to :func:`gateway.resources.mapping_search_path`. Raises
    :class:`ConfigurationError` when no folder holds the list, or when the file is not a
    well-formed code list (the message names the file and the line).
    """
    if not _NAME_PATTERN.fullmatch(name):
        raise ConfigurationError(
            f"'{name}' is not a valid code list name: use letters, digits, '.', '_' and '-' "
            "only, without a folder or the .csv suffix."
        )
    return _load_cached(name, _folders(search_path))


@functools.lru_cache(maxsize=128)
def _load_cached(name: str, folders: tuple[Path, ...]) -> CodeList:
    for folder in folders:
        candidate = folder / CODELIST_FOLDER / f"{name}.csv"
        if candidate.is_file():
            return _read_codelist(name, candidate)
    searched = ", ".join(str(folder / CODELIST_FOLDER) for folder in folders) or "(none)"
    raise ConfigurationError(
        f"The code list '{name}' was not found: no file {name}.csv in the folders searched "
        f"({searched})."
    )


def _read_codelist(name: str, path: Path) -> CodeList:
    try:
        with path.open(encoding="utf-8-sig", newline="") as handle:
            reader = csv.reader(handle, strict=True)
            return _parse_rows(name, path, reader, lambda: reader.line_num)
    except UnicodeDecodeError as exc:
        raise ConfigurationError(
            f"The code list file {path} is not valid UTF-8 (byte {exc.start}); save it as UTF-8."
        ) from exc
    except csv.Error as exc:
        raise ConfigurationError(f"The code list file {path} is not valid CSV: {exc}.") from exc
    except OSError as exc:
        raise ConfigurationError(
            f"The code list file {path} could not be read: {exc.strerror or exc}."
        ) from exc


def _parse_rows(
    name: str, path: Path, reader: Iterator[list[str]], line_of: Callable[[], int]
) -> CodeList:
    header: tuple[str, ...] | None = None
    rows: dict[str, tuple[str, ...]] = {}
    first_seen: dict[str, int] = {}
    for record in reader:
        line = line_of()
        if not record or all(not cell.strip() for cell in record):
            continue
        cells = tuple(cell.strip() for cell in record)
        if header is None:
            header = _check_header(path, line, cells)
            continue
        if len(cells) != len(header):
            raise ConfigurationError(
                f"{path}:{line}: this row has {len(cells)} cells but the header names "
                f"{len(header)} columns ({', '.join(header)})."
            )
        key = cells[0]
        if not key:
            raise ConfigurationError(f"{path}:{line}: the key column '{header[0]}' is empty.")
        if key in rows:
            raise ConfigurationError(
                f"{path}:{line}: the code '{key}' is listed twice (first on line "
                f"{first_seen[key]}); each code must appear once."
            )
        rows[key] = cells
        first_seen[key] = line
    if header is None:
        raise ConfigurationError(
            f"{path}:1: the code list is empty; its first row must name the columns."
        )
    return CodeList(name=name, columns=header, rows=MappingProxyType(rows), source=path)


def _check_header(path: Path, line: int, cells: tuple[str, ...]) -> tuple[str, ...]:
    if any(not cell for cell in cells):
        raise ConfigurationError(
            f"{path}:{line}: the header row has an empty column name; the first row must "
            "name every column."
        )
    duplicates = sorted({cell for cell in cells if cells.count(cell) > 1})
    if duplicates:
        raise ConfigurationError(
            f"{path}:{line}: the header row names the column(s) {', '.join(duplicates)} "
            "more than once."
        )
    return cells


def available_codelists(search_path: Sequence[Path] | None = None) -> list[str]:
    """The names of every code list on the search path, sorted, each once."""
    names: set[str] = set()
    for folder in _folders(search_path):
        lists = folder / CODELIST_FOLDER
        if lists.is_dir():
            names.update(
                entry.stem
                for entry in lists.glob("*.csv")
                if entry.is_file() and _NAME_PATTERN.fullmatch(entry.stem)
            )
    return sorted(names)
