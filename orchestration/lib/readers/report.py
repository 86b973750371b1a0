"""A report file to canonical rows: which kind and month it is, its rows, what was refused.

`identify` reads only the top of a file (title rows, header) to tell its kind and month;
`read_report` reads every sheet and turns each data row into the kind's raw columns, sorting
the other rows into skipped (titles, group rows, repeated headers, footers) and rejected
(a value that cannot be read, a blank account number).
"""

from __future__ import annotations

import gc
import re
from collections import Counter
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field, replace
from datetime import date, datetime, time, timedelta
from functools import partial
from itertools import repeat
from operator import ne
from pathlib import Path

from orchestration.lib.readers import columnar, values, xlsx_head
from orchestration.lib.readers.contract import (
    CALL_TIMES,
    CODE_LIST_COLUMNS,
    DIGITS_AS_THEY_ARE,
    NAME_PARTS,
    ROW_DATE_COLUMNS,
    KindSpec,
    header_key,
    kind_from_text,
)
from orchestration.lib.readers.headers import Header, HeaderColumn, find_header
from orchestration.lib.readers.sources import Grid, UnreadableFile, read_grids

# First cells of rows that close a page or a report (Q3, DE-09).
_FOOTER = re.compile(
    r"(grand\s*total|sub\s*-?\s*total|totals?\b|count\b|record\s*count|records?\s*:|"
    r"number\s+of\b|page\s+\d+\s*(of\s+\d+)?|report\s+(generated|run|printed)|"
    r"(generated|printed|run)\s+(on|by|at|date)\b|end\s+of\s+report|\*{3})",
    re.IGNORECASE,
)
_PERIOD_LABEL = re.compile(
    r"(report(ing)?\s+period|date\s+range|period|service\s+month|billing\s+month|"
    r"for\s+the\s+month\s+of|month\s+of|dates?\s+of\s+service|from\s+date|date\s+from)",
    re.IGNORECASE,
)
_NOT_A_PERIOD = re.compile(r"generated|printed|run\s+(date|on|at)|as\s+of|created", re.I)
_ANY_DATE = re.compile(r"\d{1,2}/\d{1,2}/\d{2,4}|\d{4}-\d{2}-\d{2}")


@dataclass(frozen=True)
class Rejection:
    sheet: str | None
    row: int  # 1-based, as the spreadsheet shows it
    column: str  # the header as the file shows it
    value: str
    reason: str
    # The row's account number when that cell could be read: a patient whose row of an
    # enabled list is rejected is then told apart from one missing from the list.
    patient_acct_no: str | None = None


# Takes a block of rows as `ParsedReport.keep` does.
RowSink = Callable[[str | None, list[int], list[list]], None]


@dataclass
class ParsedReport:
    kind: str
    # (sheet, row, *spec.columns) of every row read, unless `sink` takes them as they come.
    rows: list[tuple] = field(default_factory=list)
    sink: RowSink | None = None
    rows_loaded: int = 0
    rejections: list[Rejection] = field(default_factory=list)
    rows_rejected: int = 0
    rows_skipped: int = 0
    accounts_padded: int = 0
    row_months: Counter = field(default_factory=Counter)
    notes: list[str] = field(default_factory=list)
    problem: str | None = None

    def keep(self, sheet: str | None, numbers: list[int], columns: list[list]) -> None:
        """A block of rows read: their sheet, row numbers and `spec.columns` column by column."""
        self.rows_loaded += len(numbers)
        if self.sink is None:
            self.rows.extend(zip(repeat(sheet), numbers, *columns))
        else:
            self.sink(sheet, numbers, columns)


@dataclass(frozen=True)
class Identity:
    kind: str | None
    service_month: date | None
    problem: str | None


def month_label(month: date) -> str:
    return f"{month:%B %Y}"


def _non_empty(row: list[object]) -> list[object]:
    return [v for v in row if v is not None and not (isinstance(v, str) and not v.strip())]


# ---- identity ------------------------------------------------------------------------------


def _title_lines(grids: list[Grid], specs: dict[str, KindSpec]) -> list[str]:
    """Text of the rows above the first header found (report name, period, practice)."""
    grid = next((g for g in grids if g.rows), None)
    if grid is None:
        return []
    stop = min(len(grid.rows), 40)
    headers = [h for spec in specs.values() if (h := find_header(grid, spec))]
    if headers:
        stop = min(h.row for h in headers)
    lines = []
    for row in grid.rows[:stop]:
        cells = [values.clean_text(v) for v in _non_empty(row)]
        if cells:
            lines.append(" ".join(c for c in cells if c))
    return lines


def period_month(lines: list[str]) -> tuple[date | None, str | None]:
    """The month a title row's period line names; a problem when the period spans months."""
    for line in lines:
        label = _PERIOD_LABEL.search(line)
        if label:
            rest = line[label.end() :]
            found = [values.to_date(text) for text in _ANY_DATE.findall(rest)]
            if found:
                first, last = found[0], found[-1]
                if (first.year, first.month) != (last.year, last.month):
                    return None, (
                        f"the report period “{line}” covers more than one month: "
                        "run the report for a single calendar month"
                    )
                return first.replace(day=1), None
            if month := values.month_in_text(rest):
                return month, None
        elif not _NOT_A_PERIOD.search(line):
            match = values.MONTH_WORD_YEAR.search(line)
            if match:
                return values.month_in_text(match.group(0)), None
    return None, None


def name_months(path: Path, drop_root: Path | None) -> tuple[date | None, date | None]:
    """Months spelled in the file name and in its nearest dated parent folder."""
    from_name = values.month_in_text(path.stem)
    from_folder = None
    parent = path.parent
    while drop_root is not None and parent != drop_root and drop_root in parent.parents:
        if from_folder := values.month_in_text(parent.name):
            break
        parent = parent.parent
    if from_folder is None and drop_root is None:
        from_folder = values.month_in_text(path.parent.name)
    return from_name, from_folder


def kind_by_signature(grids: list[Grid], specs: dict[str, KindSpec]) -> str | None:
    """The kind whose required columns a sheet's header has, the most specific one winning."""
    scores: dict[str, tuple[int, int]] = {}
    for grid in grids:
        for spec in specs.values():
            header = find_header(grid, spec)
            if header and not header.missing(spec.required):
                score = (len(spec.required), len(header.matched))
                scores[spec.kind] = max(scores.get(spec.kind, (0, 0)), score)
        if scores:
            break
    if not scores:
        return None
    top = max(scores.values())
    winners = [kind for kind, score in scores.items() if score == top]
    return winners[0] if len(winners) == 1 else None


def _month_from_names(path: Path, drop_root: Path | None) -> date | None:
    """The month the file and folder names agree on, for a file whose contents cannot tell.

    A refused file that names its kind and month still belongs to that month: its run must
    know the newest report of the kind was refused, and its quarantine folder is the month's.
    """
    from_name, from_folder = name_months(path, drop_root)
    if from_name and from_folder and from_name != from_folder:
        return None
    return from_name or from_folder


_IDENTITY_ROWS = 60


def identify(path: Path, specs: dict[str, KindSpec], drop_root: Path | None = None) -> Identity:
    # A workbook's first rows alone, where they tell its kind and month without a problem;
    # merged cells, which only the whole sheet tells, may then still settle a header.
    heads = xlsx_head.head_rows(path, _IDENTITY_ROWS)
    if heads is not None:
        identity = _identity(path, [Grid(name, rows) for name, rows in heads], specs, drop_root)
        if identity.problem is None:
            return identity
    try:
        _, grids = read_grids(path, head_rows=_IDENTITY_ROWS)
    except UnreadableFile as exc:
        return Identity(
            kind_from_text(path.stem, specs),
            _month_from_names(path, drop_root),
            f"cannot read the file: {exc}",
        )
    return _identity(path, grids, specs, drop_root)


def _identity(
    path: Path, grids: list[Grid], specs: dict[str, KindSpec], drop_root: Path | None
) -> Identity:
    lines = _title_lines(grids, specs)
    kind = (
        kind_from_text(path.stem, specs)
        or next((k for line in lines if (k := kind_from_text(line, specs))), None)
        or kind_by_signature(grids, specs)
    )
    if kind is None:
        return Identity(None, _month_from_names(path, drop_root), "unrecognised report")

    from_title, period_problem = period_month(lines)
    if period_problem:
        return Identity(kind, _month_from_names(path, drop_root), period_problem)
    from_name, from_folder = name_months(path, drop_root)
    sources = [
        ("the report period", from_title),
        ("the file name", from_name),
        ("the folder name", from_folder),
    ]
    named = [(source, month) for source, month in sources if month]
    for (source_a, month_a), (source_b, month_b) in zip(named, named[1:], strict=False):
        if month_a != month_b:
            # Filed under the month its name gives, the month it was dropped as: refusing it
            # must stop that month rather than let it bill without this report.
            return Identity(
                kind,
                from_name or from_folder,
                f"months disagree: {source_a} says {month_label(month_a)} "
                f"but {source_b} says {month_label(month_b)}",
            )
    if named:
        return Identity(kind, named[0][1], None)

    parsed = read_report(path, specs[kind])
    if parsed.row_months:
        return Identity(kind, parsed.row_months.most_common(1)[0][0], None)
    return Identity(
        kind,
        None,
        "no service month: put the month in the file name (e.g. 2026-11) "
        "or keep the report's period line",
    )


# ---- rows ----------------------------------------------------------------------------------

# A sheet is read a block of rows at a time, column by column: each column's distinct cells are
# parsed once and the block's cells are then looked up, so a million-row export parses a few
# hundred thousand distinct cells instead of eleven million, and the per-cell work left is a
# dictionary lookup. What a column parsed is remembered across blocks up to a bound, which a
# column of unique cells (encounter ids) reaches and stays at.
_BLOCK_ROWS = 1 << 16
_REMEMBERED_VALUES = 1 << 18


class _Refused(str):
    """A cell's parse that raised ValueProblem: the message, told apart from a parsed value."""


# Cells of these types equal only cells of their own type (a date never equals a datetime),
# so they are their own dictionary keys. Numbers are not: 1, 1.0 and True are equal keys but
# not equal cells.
_OWN_KEYS = frozenset({str, date, datetime, time, timedelta, type(None)})
# A data row's first cell or account number as a workbook holds it.
_NUMBERS = (int, float)


def _cell_keys(cells: tuple[object, ...]) -> list[object] | tuple[object, ...]:
    """Dictionary keys for cells: the cells themselves, or each with its type where the column
    holds a number; a key of the second form is the one tuple (cells are never tuples)."""
    if set(map(type, cells)) <= _OWN_KEYS:
        return cells  # text, dates and blanks: the cells are their own keys
    return [v if v.__class__ is str else (v.__class__, v) for v in cells]


def _all_digits(cells: tuple[object, ...]) -> bool:
    """Whether every cell is text of ASCII digits alone."""
    try:
        joined = "".join(cells)
    except TypeError:  # a cell that is not text
        return False
    return joined.isascii() and joined.isdigit() and all(cells)


def _digits_parse(
    column: str, spec: KindSpec
) -> Callable[[tuple[str, ...]], list[str] | None] | None:
    """What `spec.parser(column)` makes of a column of digits, when it is that simple."""
    width = spec.account_width
    if column == "patient_acct_no":

        def accounts(cells: tuple[str, ...]) -> list[str] | None:
            if width and max(map(len, cells)) > width:
                return None  # too long: refused one by one, with the reason
            return [cell.zfill(width) for cell in cells] if width else list(cells)

        return accounts
    return list if spec.parser(column) in DIGITS_AS_THEY_ARE else None


class _ColumnParser:
    """One parse function with what it has parsed, applied to whole columns of cells."""

    def __init__(
        self,
        parse: Callable[[object], str | None],
        *,
        text_cells: bool = False,
        digits: Callable[[tuple[str, ...]], list[str] | None] | None = None,
    ):
        self.parse = parse
        # The parse of a column of digits alone, in one go (ids and account numbers, whose
        # cells are mostly distinct, so that parsing once per distinct cell saves nothing).
        self.digits = digits
        # A text file's cells are all strings: they are their own keys, nothing to look at.
        self.keys = tuple if text_cells else _cell_keys
        self.seen: dict[object, str | None] = {}
        self.seen_refused: set[object] = set()

    def _parsed(self, key: object) -> str | None:
        try:
            return self.parse(key[1] if key.__class__ is tuple else key)
        except values.ValueProblem as exc:
            return _Refused(str(exc))

    def column(self, cells: tuple[object, ...]) -> tuple[list[str | None], bool]:
        """The parse of every cell (a `_Refused` message where the cell cannot be read), and
        whether any cell was refused."""
        if self.digits is not None and _all_digits(cells):
            parsed = self.digits(cells)
            if parsed is not None:
                return parsed, False
        keys = self.keys(cells)
        distinct = set(keys)
        seen = self.seen
        new = {key: self._parsed(key) for key in distinct.difference(seen)}
        refused = {key for key, value in new.items() if value.__class__ is _Refused}
        any_refused = bool(refused) or not self.seen_refused.isdisjoint(distinct)
        if len(seen) + len(new) <= _REMEMBERED_VALUES:
            seen.update(new)
            self.seen_refused |= refused
            table = seen
        else:
            new.update((key, seen[key]) for key in distinct.intersection(seen))
            table = new
        return list(map(table.__getitem__, keys)), any_refused

    def distinct(self, texts: tuple[str, ...]) -> tuple[list[str | None], list[bool]]:
        """The parse of each of a column's distinct text cells (None where refused), and
        which were refused: the columnar reader's view of `column`."""
        parsed, any_refused = self.column(texts)
        if not any_refused:
            return parsed, [False] * len(parsed)
        refused = [value.__class__ is _Refused for value in parsed]
        return [None if bad else value for value, bad in zip(parsed, refused, strict=True)], refused


class _SheetReader:
    """Turns the data rows under one header into raw rows, counting what it leaves out."""

    def __init__(self, spec: KindSpec, grid: Grid, header: Header, out: ParsedReport):
        self.spec, self.grid, self.header, self.out = spec, grid, header, out
        by_column: dict[str, list[HeaderColumn]] = {}
        for column in header.columns:
            by_column.setdefault(column.column, []).append(column)
        self.by_column = by_column
        self.width = max(c.index for c in header.columns) + 1
        text = grid.text_cells
        parsers = {
            c: _ColumnParser(spec.parser(c), text_cells=text, digits=_digits_parse(c, spec))
            for c in by_column
        }
        self.unpadded = _ColumnParser(partial(values.parse_account, width=0), text_cells=text)
        # In header order, so a row's rejections list in the order a clerk reads the sheet.
        self.plan = [
            (name, columns, parsers[name], name in CODE_LIST_COLUMNS)
            for name, columns in by_column.items()
        ]
        self.derives_name = any(p in by_column for p in NAME_PARTS)
        self.from_call_times = (
            "minutes" in spec.columns
            and "minutes" not in by_column
            and all(t in by_column for t in CALL_TIMES)
        )
        self.account = by_column["patient_acct_no"][0]
        self.label_keys = {c.index: header_key(c.label.split(" ")[-1]) for c in header.columns}
        self.full_keys = {c.index: header_key(c.label) for c in header.columns}
        self.date_column = next((c for c in ROW_DATE_COLUMNS if c in by_column), None)
        self.minutes_column = next(
            (c for c in ("minutes", "total_minutes") if c in spec.columns), None
        )
        # A time entry without its minutes would load as NULL and quietly count as nothing.
        self.minutes_required = (
            self.by_column[self.minutes_column][0]
            if self.minutes_column in spec.required and self.minutes_column in by_column
            else None
        )
        self.grand_totals: list[int] = []

    def _is_repeated_header(self, row: list[object]) -> bool:
        # A page's repeated header repeats the account column's label; checking it first
        # keeps the full comparison off ordinary data rows (whose accounts are digits).
        index = self.account.index
        cell = row[index] if index < len(row) else None
        if (
            not isinstance(cell, str)
            or cell.isdigit()
            or header_key(cell) not in (self.full_keys[index], self.label_keys[index])
        ):
            return False
        hits = 0
        for index, key in self.full_keys.items():
            if index < len(row) and isinstance(row[index], str):
                cell = header_key(row[index])
                hits += cell in (key, self.label_keys[index])
        return hits >= max(2, len(self.full_keys) // 2)

    def _note_grand_total(self, row: list[object]) -> None:
        if not self.minutes_column or self.minutes_column not in self.by_column:
            return
        column = self.by_column[self.minutes_column][0]
        candidates = [row[column.index]] if column.index < len(row) else []
        candidates += re.findall(r"[\d,]+", str(row[0]).split(":", 1)[-1]) if row else []
        for candidate in candidates:
            try:
                total = values.to_minutes(candidate)
            except values.ValueProblem:
                continue
            if total is not None:
                self.grand_totals.append(total)
                return

    def read(self, rows: Iterable[tuple[int, list[object]]] | None = None) -> int:
        """Rows of the sheet, each parsed, skipped or rejected; returns the minutes loaded.

        `rows`, (grid row index, cells) in order, are read instead of the sheet's own.
        """
        minutes = 0
        numbers: list[int] = []
        block: list[list[object]] = []
        width = self.width
        account = self.account.index
        if rows is None:
            rows = self.grid.rows_from(self.header.row + 1)
        for index, row in rows:
            # The usual data row, its first cell a number or text opening with a digit and
            # its account number digits, passes every check below (a digit opens no footer,
            # the account is a second filled cell and no header label), so it skips them.
            head = row[0] if row else None
            cell = row[account] if 0 < account < len(row) else None
            if not (
                ((head.__class__ is str and head[:1].isdigit()) or head.__class__ in _NUMBERS)
                and ((cell.__class__ is str and cell.isdigit()) or cell.__class__ in _NUMBERS)
            ):
                first, several = _first_filled(row)
                if first is None:
                    continue
                if first.__class__ is str and opens_footer(first):
                    if re.match(r"\s*grand\s*total", first, re.I):
                        self._note_grand_total(row)
                    self.out.rows_skipped += 1
                    continue
                if not several or self._is_repeated_header(row):
                    self.out.rows_skipped += 1  # a group row (provider alone) or page header
                    continue
            numbers.append(index + 1)
            block.append(row if len(row) >= width else row + [None] * (width - len(row)))
            if len(block) == _BLOCK_ROWS:
                minutes += self._read_block(numbers, block)
                numbers, block = [], []
        if block:
            minutes += self._read_block(numbers, block)
        return minutes

    def _read_block(self, numbers: list[int], block: list[list[object]]) -> int:
        """Parse a block of data rows column by column; returns the minutes of those loaded."""
        sheet = self.grid.name
        problems: dict[int, list[Rejection]] = {}
        # Every row of the block is at least self.width long; cells past it are not read.
        grid_columns = list(zip(*block, strict=False))

        def cells(column: HeaderColumn) -> tuple[object, ...]:
            return grid_columns[column.index]

        def reject(position: int, column: HeaderColumn, reason: str, *, first=False) -> None:
            found = problems.setdefault(position, [])
            raw = values.shown(cells(column)[position])
            found.insert(
                0 if first else len(found),
                Rejection(sheet, numbers[position], column.label, raw, reason),
            )

        def rejected(position: int, column: HeaderColumn) -> bool:
            return any(p.column == column.label for p in problems.get(position, ()))

        def parse(column: HeaderColumn, parser: _ColumnParser) -> list[str | None]:
            parsed, refused = parser.column(cells(column))
            for position, value in enumerate(parsed if refused else ()):
                if value.__class__ is _Refused:
                    reject(position, column, str(value))
                    parsed[position] = None
            return parsed

        record: dict[str, list] = {}
        for name, columns, parser, is_code_list in self.plan:
            if is_code_list:
                lists = zip(*(parse(c, parser) for c in columns), strict=True)
                record[name] = _distinct_map(_joined_codes, list(lists))
            else:
                record[name] = parse(columns[0], parser)

        required = self.minutes_required
        if required and None in record[required.column]:
            for position, value in enumerate(record[required.column]):
                if value is None and not rejected(position, required):
                    reject(position, required, "minutes missing")

        if self.derives_name:
            blank = [None] * len(block)
            names, last, first = (record.get(c) or blank for c in ("patient_name", *NAME_PARTS))
            pairs = list(zip(last, first, names, strict=True))
            record["patient_name"] = _distinct_map(
                lambda parts: parts[2] or values.join_last_first(parts[0], parts[1]), pairs
            )
        if self.from_call_times:
            starts = cells(self.by_column["start_time"][0])
            ends = cells(self.by_column["end_time"][0])
            record["minutes"] = [
                None if i in problems else values.minutes_between(start, end)
                for i, (start, end) in enumerate(zip(starts, ends, strict=True))
            ]

        accounts = record["patient_acct_no"]
        for position, account in enumerate(accounts if None in accounts else ()):
            if account is None and not rejected(position, self.account):
                reject(position, self.account, "the account number is blank", first=True)

        out = self.out
        for position in sorted(problems):
            account = accounts[position]
            out.rejections.extend(replace(r, patient_acct_no=account) for r in problems[position])
        out.rows_rejected += len(problems)
        kept = [i for i in range(len(block)) if i not in problems] if problems else None

        def loaded(column: list) -> list:
            return column if kept is None else [column[i] for i in kept]

        accounts = loaded(accounts)
        unpadded, _ = self.unpadded.column(cells(self.account))
        out.accounts_padded += sum(map(ne, accounts, loaded(unpadded)))
        if self.date_column:
            months = Counter(when[:7] for when in loaded(record[self.date_column]) if when)
            for month, count in months.items():
                out.row_months[date(int(month[:4]), int(month[5:7]), 1)] += count
        blank = [None] * (len(block) - len(problems))
        columns = [loaded(record[c]) if c in record else blank for c in self.spec.columns]
        out.keep(sheet, loaded(numbers), columns)
        if not self.minutes_column or self.minutes_column not in record:
            return 0
        counts = Counter(loaded(record[self.minutes_column]))
        return sum(int(value) * count for value, count in counts.items() if value)


def opens_footer(first: str) -> bool:
    """Whether a row's first filled cell, text, opens a footer (`Grand Total`, `Page 2 of 9`).

    A footer's first cell starts with a word or `***`, never with a digit.
    """
    return not first[:1].isdigit() and _FOOTER.match(first.strip()) is not None


def _first_filled(row: list[object]) -> tuple[object, bool]:
    """A row's first non-blank cell, and whether another follows it."""
    first = None
    for value in row:
        if value is None or (value.__class__ is str and (not value or value.isspace())):
            continue
        if first is not None:
            return first, True
        first = value
    return first, False


def _distinct_map(function: Callable[[object], str | None], items: list) -> list:
    """`function` of each item, computed once per distinct item."""
    table = {item: function(item) for item in set(items)}
    return [table[item] for item in items]


def _joined_codes(parts: tuple[str | None, ...]) -> str | None:
    """The code lists of several diagnosis columns as one, each code once, in order."""
    codes = ";".join(part for part in parts if part)
    return ";".join(dict.fromkeys(codes.split(";"))) or None


@contextmanager
def _collector_paused() -> Iterator[None]:
    """Python's cycle collector off while a report is read.

    Reading makes millions of lists and tuples and no reference cycles; left on, the collector
    walks every row read so far again and again as the rows pile up, which took a third of the
    time of a large workbook. It runs again, as before, once the report is read.
    """
    was_enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was_enabled:
            gc.enable()


def read_report(
    path: Path,
    spec: KindSpec,
    *,
    sink: RowSink | None = None,
    table_sink: columnar.TableSink | None = None,
) -> ParsedReport:
    """Every sheet with a header of this kind, read into rows (raises UnreadableFile).

    With a `sink`, each block of rows goes to it as it is read, and a large text file is read
    as it goes, so memory stays flat however long the file; `rows` stays empty. With a
    `table_sink` as well, a delimited text file's plain rows go to it as Arrow tables (see
    `columnar`), all of them before any row goes to `sink`; such a file whose body turns out
    not to be one plain table raises `columnar.NotPlainTable` once rows may have gone out.
    """
    with _collector_paused():
        return _read_report(path, spec, sink, table_sink)


def _read_report(
    path: Path, spec: KindSpec, sink: RowSink | None, table_sink: columnar.TableSink | None
) -> ParsedReport:
    _, grids = read_grids(path, stream=sink is not None)
    out = ParsedReport(kind=spec.kind, sink=sink)
    grand_totals: list[int] = []
    minutes = 0
    sheets: list[tuple[Grid, Header]] = []
    for grid in grids:
        header = find_header(grid, spec)
        if header is None:
            continue  # a cover, parameter or summary sheet
        where = f" on sheet “{grid.name}”" if grid.name and len(grids) > 1 else ""
        if problem := header.duplicate_problem():
            out.problem = problem + where
            return out
        if missing := header.missing(spec.required):
            names = ", ".join(m.replace("_", " ") for m in missing)
            out.problem = f"the {names} column is missing{where} (header on row {header.row + 1})"
            return out
        sheets.append((grid, header))
    if spec.kind == "vendor_billing" and len(sheets) > 1:
        # TODO: the vendor's per-activity detail sheet has no raw table yet, and its rows would
        # load as monthly totals beside the summary sheet's; it is left out. Remove when raw
        # gains a vendor activity table.
        summary = [(g, h) for g, h in sheets if not _is_detail_sheet(h, g)]
        sheets = summary or sheets
    found = len(sheets)
    for grid, header in sheets:
        reader = _SheetReader(spec, grid, header, out)
        body = None
        if table_sink is not None and columnar.supports(reader):
            body = columnar.plain_body(grid, header.row, reader.width)
        if body is None:
            minutes += reader.read()
        else:
            plain_minutes, other_rows = columnar.read_body(reader, body, table_sink, opens_footer)
            minutes += plain_minutes + reader.read(other_rows)
        grand_totals += reader.grand_totals
    if not found:
        out.problem = "no header row found: expected a column such as " + ", ".join(
            f"“{label}”" for label in _example_headers(spec)
        )
    if len(grand_totals) == 1 and grand_totals[0] != minutes:
        out.notes.append(
            f"grand total {grand_totals[0]:,} minutes does not match the rows' {minutes:,}"
        )
    return out


def _is_detail_sheet(header: Header, grid: Grid) -> bool:
    labels = {header_key(v) for v in grid.rows[header.row] if isinstance(v, str)}
    return bool(labels & {"date", "activity date", "service date", "log date", "call date"})


def _example_headers(spec: KindSpec) -> list[str]:
    examples = []
    for column in spec.required:
        alias = next((a for a, c in spec.aliases.items() if c == column), column)
        examples.append(alias.title() if alias.islower() else alias)
    return examples
