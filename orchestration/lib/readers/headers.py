"""Finding a sheet's header row by the names in it, not its position (Q1, Q2, DE-08)."""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass

from orchestration.lib.readers.contract import (
    NUMBERED_CODE_HEADER,
    KindSpec,
    column_letter,
    header_key,
)
from orchestration.lib.readers.sources import Grid

# Title and parameter rows seen above real headers number one to six; forty leaves room for
# a long parameter block without reading a whole sheet when a sheet has no header at all.
HEADER_SCAN_ROWS = 40


@dataclass(frozen=True)
class HeaderColumn:
    index: int  # 0-based column in the grid
    column: str  # canonical name
    label: str  # the header as the file shows it

    @property
    def letter(self) -> str:
        return column_letter(self.index)


@dataclass(frozen=True)
class Header:
    row: int  # 0-based row index in the grid
    columns: tuple[HeaderColumn, ...]

    @property
    def matched(self) -> set[str]:
        return {c.column for c in self.columns}

    def missing(self, required: tuple[str, ...]) -> list[str]:
        present = self.matched
        if {"last_name", "first_name"} <= present:
            present = present | {"patient_name"}
        return [column for column in required if column not in present]

    def duplicate_problem(self) -> str | None:
        """Two columns feeding one canonical column: refuse rather than pick one (DE-07)."""
        by_column: dict[str, list[HeaderColumn]] = defaultdict(list)
        for column in self.columns:
            by_column[column.column].append(column)
        for group in by_column.values():
            if len(group) < 2 or all(
                NUMBERED_CODE_HEADER.fullmatch(header_key(c.label)) for c in group
            ):
                continue
            letters = [c.letter for c in group]
            where = ", ".join(letters[:-1]) + f" and {letters[-1]}"
            labels = {c.label for c in group}
            if len(labels) == 1:
                return f"duplicate header `{group[0].label}` at columns {where}"
            named = " and ".join(f"`{c.label}` ({c.letter})" for c in group)
            return f"columns {named} both hold the {group[0].column.replace('_', ' ')}"
        return None


def _merged_values(grid: Grid, row: int) -> dict[int, object]:
    """Values a merged cell spreads over the given row (calamine keeps them top-left only)."""
    spread: dict[int, object] = {}
    for (top, left), (bottom, right) in grid.merged:
        if top <= row <= bottom and top < len(grid.rows):
            value = grid.rows[top][left] if left < len(grid.rows[top]) else ""
            for col in range(left, right + 1):
                spread[col] = value
    return spread


def _cell(row: list[object], index: int) -> str:
    value = row[index] if index < len(row) else ""
    return "" if value is None else str(value).strip()


def header_at(grid: Grid, row: int, spec: KindSpec) -> Header:
    """Map the cells of one row (with the row above, for two-row headers) to columns."""
    cells = grid.rows[row]
    above = grid.rows[row - 1] if row > 0 else []
    spread = _merged_values(grid, row - 1) if row > 0 else {}
    columns = []
    for index in range(max(len(cells), len(above))):
        lower = _cell(cells, index)
        upper = str(spread.get(index, _cell(above, index)) or "").strip()
        for label in (lower, f"{upper} {lower}" if upper and lower else "", "" if lower else upper):
            if label and (column := spec.column_for(label)):
                columns.append(HeaderColumn(index, column, " ".join(label.split())))
                break
    return Header(row, tuple(columns))


def find_header(grid: Grid, spec: KindSpec) -> Header | None:
    """The first row, among the top rows, that names the most of the kind's columns."""
    best: Header | None = None
    for row in range(min(len(grid.rows), HEADER_SCAN_ROWS)):
        if sum(1 for value in grid.rows[row] if value not in ("", None)) < 2:
            continue
        header = header_at(grid, row, spec)
        if "patient_acct_no" not in header.matched or len(header.matched) < 2:
            continue
        if best is None or len(header.matched) > len(best.matched):
            best = header
    return best
