"""A delimited text report's plain rows read column by column in C, the rest left to `_SheetReader`.

A million-row export spent most of its load in Python splitting lines and looking at cells one
by one. Here Arrow's CSV reader splits the rows between the header and the trailing footer, and
each column is parsed once per distinct value with the same parsers as the row reader. A row is
taken here only when the row reader would plainly load it as it stands: every cell either
blank or holding a printable character, at least two filled, an account number of digits, no
footer word in its first filled cell, every value parsed and the minutes present. Every other
row (a footer, a group or repeated header row, a value the clerk must hear about) goes to
`_SheetReader` in row order, so skipped rows, rejections and their messages are the row
reader's own. `tests/unit/test_columnar_reader.py` holds the two paths to the same rows.

A file whose top or end is not plain (a codec other than UTF-8, a quoted line break above the
header, a byte-order mark opening the first row, a footer longer than the window looked at) is
left to the row reader from the start. One whose body turns out not to be one plain table (a
line of another width between header and footer) raises `NotPlainTable` once some of its rows
may have gone out, and the caller reads it again with the row reader.

Known difference: Python's csv module refuses a cell over 131,072 characters, which Arrow reads;
such a cell in a streamed file's body fails the row reader but loads here.
"""

from __future__ import annotations

import codecs
import csv
import io
from collections import Counter
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import TYPE_CHECKING, Any

from orchestration.lib.readers import values
from orchestration.lib.readers.contract import DIGITS_AS_THEY_ARE
from orchestration.lib.readers.sources import DelimitedText, Grid

if TYPE_CHECKING:
    from orchestration.lib.readers.report import _ColumnParser, _SheetReader

# Arrow reads this many bytes of the body at a time: about 60,000 telephone-encounter rows,
# enough to amortise each block's per-column work, small enough to keep memory flat.
_BLOCK_BYTES = 1 << 24
# The footer is looked for in this much of the end of the file.
_TAIL_BYTES = 1 << 16
# The header and the rows above it are looked for in this much of the top.
_HEAD_BYTES = 1 << 20
# What a column remembers of the values it parsed, as `_ColumnParser` does.
_REMEMBERED_VALUES = 1 << 18
# Cells the row reader takes for filled (a printable ASCII character) or blank (ASCII space
# only). A cell of other characters alone is left to the row reader's `str.isspace`.
_PRINTABLE = "[!-~]"
_ASCII_BLANK = "^[ \t\n\r\x0b\x0c]*$"
_DIGITS = "^[0-9]+$"
# What `values.parse_identifier` returns as it stands: printable ASCII without a space, a dot
# (`12345.0` loses its `.0`) or an apostrophe (Excel's text mark): `MDR-0001234`.
_PLAIN_IDENTIFIER = r"^[!-&(-\-/-~]+$"
# A first cell starting with a digit or with a letter no footer word starts with (see
# `report._FOOTER`: grand, sub, total, count, record, number, page, report, generated,
# printed, run, end, ***) is never a footer, and skips the footer test.
_FOOTER_START = "^[0-9ABDFHIJKLMOQUVWXYZabdfhijklmoquvwxyz]"


class NotPlainTable(Exception):
    """The file's body is not one plain table; read it with the row reader instead."""


# Takes a block of loaded rows as an Arrow table: `source_row`, then the kind's columns.
TableSink = Callable[[Any], None]


@dataclass(frozen=True)
class _Body:
    """Where a text file's table lies: the byte span after the header, its width, the tail."""

    start: int
    end: int
    width: int  # fields in every line of the span
    first_index: int  # grid row index of the span's first row
    tail: list[list[object]]  # the rows after the span (footers, blank lines), parsed


def plain_body(grid: Grid, header_row: int, least_width: int) -> _Body | None:
    """The byte span of a UTF-8 file's rows below the header, or None when it has no plain one.

    The lines above the span must parse to the grid's own first rows one line each (no quoted
    line break), so the span starts where the row reader's next row does; the lines after it
    that are blank or of another width (`Count: 1000`) are the tail, parsed as the row reader
    would. Lines of the table's width at the end stay in the span for the footer test.
    """
    source = grid.delimited
    if source is None or source.encoding not in ("utf-8", "utf-8-sig"):
        return None
    with open(source.path, "rb") as handle:
        head = handle.read(_HEAD_BYTES)
        size = handle.seek(0, io.SEEK_END)
    start = 3 if source.encoding == "utf-8-sig" else 0
    lines = head[start:].splitlines(keepends=True)
    if len(lines) <= header_row + 1 or not lines[header_row + 1].endswith((b"\n", b"\r")):
        return None  # the header (or the row after it) is not complete in the head
    for index, line in enumerate(lines[: header_row + 1]):
        if _fields(line, source.delimiter) != grid.rows[index]:
            return None
        start += len(line)
    first = lines[header_row + 1]
    if first.startswith(codecs.BOM_UTF8):
        return None  # Arrow would drop a byte-order mark the row reader keeps in the cell
    width = len(_fields(first, source.delimiter))
    if width < least_width:
        return None
    end, tail = _tail(source.path, size, start, width, source.delimiter)
    if end is None:
        return None
    return _Body(start, end, width, header_row + 1, tail)


def _fields(line: bytes, delimiter: str) -> list[str]:
    # A character cut by the end of a window reads as U+FFFD, which no grid row holds.
    return next(csv.reader([line.decode("utf-8", "replace")], delimiter=delimiter), [])


def _tail(
    path: Path, size: int, start: int, width: int, delimiter: str
) -> tuple[int | None, list[list[object]]]:
    """Where the span ends, and the rows after it; None when the end is not plain."""
    window_start = max(start, size - _TAIL_BYTES)
    with open(path, "rb") as handle:
        handle.seek(window_start)
        window = handle.read()
    lines = window.splitlines(keepends=True)
    end = size
    for line in reversed(lines):
        fields = _fields(line, delimiter) if line.strip() else []
        if len(fields) == width:
            break
        if b'"' in line:
            return None, []  # perhaps the end of a value spread over lines
        end -= len(line)
    else:
        if window_start > start:
            return None, []  # a longer tail than the window: no plain table
    tail_text = window[end - window_start :].decode("utf-8")
    tail = list(csv.reader(io.StringIO(tail_text, newline=""), delimiter=delimiter))
    return end, tail


class _SpanReader(io.RawIOBase):
    """The bytes of one span of a file, as a stream."""

    def __init__(self, path: Path, start: int, end: int):
        self._handle = open(path, "rb")  # noqa: SIM115 (closed with the stream)
        self._handle.seek(start)
        self._left = end - start

    def readable(self) -> bool:
        return True

    def readinto(self, buffer: Any) -> int:
        count = self._handle.readinto(memoryview(buffer)[: self._left])
        self._left -= count
        return count

    def close(self) -> None:
        self._handle.close()
        super().close()


class _Column:
    """One canonical column's parse over a block's cells, once per distinct cell, through the
    row reader's own `_ColumnParser` (its parse and what it remembers)."""

    def __init__(self, parser: _ColumnParser, account_width: int | None):
        self.parser = parser
        self.account_width = account_width

    @property
    def as_they_are(self) -> str | None:
        """The cells that parse without Python, as a pattern: ASCII digits for accounts and
        ids, printable ASCII for an identifier that may hold letters; None for other columns."""
        if self.parser.parse is values.parse_identifier:
            return _PLAIN_IDENTIFIER
        if self.account_width is not None or self.parser.parse in DIGITS_AS_THEY_ARE:
            return _DIGITS
        return None

    def apply(self, pa: Any, pc: Any, cells: Any, encoded: Any | None) -> tuple[Any, Any]:
        """The parsed column (null for blank) and a mask of the cells refused, from the
        column's cells and, unless they all match `as_they_are`, the cells
        dictionary-encoded."""
        if encoded is None:  # every cell as it is: an id kept, an account padded
            width = self.account_width
            if not width:
                return cells, None
            if pc.max(pc.utf8_length(cells)).as_py() <= width:
                return pc.utf8_lpad(cells, width, "0"), None
            encoded = pc.dictionary_encode(cells)  # too long: refused below, one by one
        parsed, refused = self.parser.distinct(tuple(encoded.dictionary.to_pylist()))
        mapped = pc.take(pa.array(parsed, pa.string()), encoded.indices)
        if not any(refused):
            return mapped, None
        return mapped, pc.take(pa.array(refused, pa.bool_()), encoded.indices)


class _FooterTest:
    """Whether a first filled cell opens a footer, as the row reader decides it."""

    def __init__(self, is_footer: Callable[[str], bool]):
        self.is_footer = is_footer
        self.seen: dict[str, bool] = {}

    def apply(self, pa: Any, pc: Any, first_cells: Any) -> Any:
        encoded = pc.dictionary_encode(first_cells)
        texts = encoded.dictionary.to_pylist()
        seen = self.seen
        flags = []
        for text in texts:
            flag = seen.get(text)
            if flag is None:
                flag = self.is_footer(text)
                if len(seen) < _REMEMBERED_VALUES:
                    seen[text] = flag
            flags.append(flag)
        return pc.take(pa.array(flags, pa.bool_()), encoded.indices)


def supports(reader: _SheetReader) -> bool:
    """Whether each of the sheet's canonical columns comes from one column as it stands.

    TODO: names from Last/First columns, minutes from start and end times and diagnoses over
    numbered columns are read by the row reader only; move them here when a practice's large
    export has them.
    """
    return not (
        reader.derives_name
        or reader.from_call_times
        or any(len(columns) > 1 for _, columns, _, _ in reader.plan)
    )


def read_body(
    reader: _SheetReader, body: _Body, sink: TableSink, is_footer: Callable[[str], bool]
) -> tuple[int, Iterator[tuple[int, list[object]]]]:
    """Load the span's plain rows through `sink`; returns their minutes and the other rows.

    The other rows come back with their grid row index, in file order, the tail's after the
    span's, for `_SheetReader.read`.
    """
    import pyarrow as pa  # imported here: the row reader and the CLI start without it
    import pyarrow.compute as pc
    import pyarrow.csv as pa_csv

    spec = reader.spec
    columns = {
        name: _Column(parser, spec.account_width if name == "patient_acct_no" else None)
        for name, _, parser, _ in reader.plan
    }
    sources = {name: cols[0].index for name, cols, _, _ in reader.plan}
    plain_sources = {
        sources[name]: column.as_they_are
        for name, column in columns.items()
        if column.as_they_are is not None
    }
    footer = _FooterTest(is_footer)
    account_index = reader.account.index
    minutes_name = reader.minutes_column if reader.minutes_column in sources else None
    required = reader.minutes_required.column if reader.minutes_required else None
    out = reader.out
    minutes = 0
    odd_rows: list[tuple[int, list[object]]] = []
    index = body.first_index
    for batch in _batches(pa, pa_csv, reader.grid.delimited, body):
        count = batch.num_rows
        cells = batch.columns
        # Id and account columns mostly hold a distinct value per row: when every cell is
        # one the parser keeps as it is, they are taken so, without the cost of encoding them.
        encoded = [
            None
            if position in plain_sources and _all_match(pc, column, plain_sources[position])
            else pc.dictionary_encode(column)
            for position, column in enumerate(cells)
        ]
        odd, filled_count, first_cells = _row_shape(pa, pc, cells, encoded)
        account = encoded[account_index]
        if account is not None:
            digits = pc.match_substring_regex(account.dictionary, _DIGITS)
            odd = pc.or_(odd, pc.invert(pc.take(digits, account.indices)))
        odd = pc.or_(odd, pc.less(filled_count, 2))
        maybe_footer = pc.invert(pc.match_substring_regex(first_cells, _FOOTER_START))
        if pc.any(maybe_footer).as_py():
            odd = pc.or_(odd, footer.apply(pa, pc, first_cells))
        parsed = {}
        for name, column in columns.items():
            source = sources[name]
            parsed[name], refused = column.apply(pa, pc, cells[source], encoded[source])
            if refused is not None:
                odd = pc.or_(odd, refused)
        if required is not None:
            odd = pc.or_(odd, pc.is_null(parsed[required]))
        numbers = pa.array(range(index + 1, index + count + 1), pa.int64())
        if pc.any(odd).as_py():
            for position in pc.indices_nonzero(odd).to_pylist():
                odd_rows.append((index + position, [c[position].as_py() for c in cells]))
            plain = pc.invert(odd)
            parsed = {name: pc.filter(value, plain) for name, value in parsed.items()}
            numbers = pc.filter(numbers, plain)
            account_cells = pc.filter(cells[account_index], plain)
        else:
            account_cells = cells[account_index]
        index += count
        loaded = len(numbers)
        if not loaded:
            continue
        out.rows_loaded += loaded
        if spec.account_width:
            short = pc.less(pc.utf8_length(account_cells), spec.account_width)
            out.accounts_padded += pc.sum(short).as_py() or 0
        if reader.date_column:
            _count_months(pc, parsed[reader.date_column], out.row_months)
        if minutes_name:
            minutes += _sum_minutes(pc, parsed[minutes_name])
        sink(_block_table(pa, spec.columns, parsed, numbers))
    tail = ((index + offset, row) for offset, row in enumerate(body.tail))
    return minutes, _chained(odd_rows, tail)


def _batches(pa: Any, pa_csv: Any, source: DelimitedText, body: _Body) -> Iterator[Any]:
    """The span's rows, a block at a time, every cell as text; `NotPlainTable` where a line
    of the span is not a row of the table's width."""
    names = [f"c{i}" for i in range(body.width)]
    try:
        # One thread: the month's reports already load one process per core.
        stream = pa_csv.open_csv(
            io.BufferedReader(_SpanReader(source.path, body.start, body.end), _BLOCK_BYTES),
            read_options=pa_csv.ReadOptions(
                column_names=names, block_size=_BLOCK_BYTES, use_threads=False
            ),
            parse_options=pa_csv.ParseOptions(
                delimiter=source.delimiter,
                newlines_in_values=True,
                ignore_empty_lines=False,
            ),
            convert_options=pa_csv.ConvertOptions(
                column_types={name: pa.string() for name in names},
                strings_can_be_null=False,
                quoted_strings_can_be_null=False,
            ),
        )
    except pa.ArrowInvalid as exc:
        raise NotPlainTable(str(exc)) from exc
    try:
        while True:
            try:
                batch = stream.read_next_batch()
            except StopIteration:
                return
            except pa.ArrowInvalid as exc:
                raise NotPlainTable(str(exc)) from exc
            yield batch
    finally:
        stream.close()


def _chained(
    first: list[tuple[int, list[object]]], then: Iterator[tuple[int, list[object]]]
) -> Iterator[tuple[int, list[object]]]:
    yield from first
    yield from then


def _row_shape(pa: Any, pc: Any, cells: list, encoded: list) -> tuple[Any, Any, Any]:
    """Per row: a cell the row reader might read otherwise, the filled cells, the first one."""
    uncertain = None
    filled_count = None
    filled_columns = []
    for raw, column in zip(cells, encoded, strict=True):
        if column is None:  # all as they are: every cell filled (a cell is never null)
            filled = pc.is_valid(raw)
        else:
            distinct = column.dictionary
            filled_d = pc.match_substring_regex(distinct, _PRINTABLE)
            blank_d = pc.match_substring_regex(distinct, _ASCII_BLANK)
            unsure_d = pc.invert(pc.or_(filled_d, blank_d))
            filled = pc.take(filled_d, column.indices)
            if pc.any(unsure_d).as_py():
                unsure = pc.take(unsure_d, column.indices)
                uncertain = unsure if uncertain is None else pc.or_(uncertain, unsure)
        filled_columns.append(filled)
        as_int = pc.cast(filled, pa.int8())
        filled_count = as_int if filled_count is None else pc.add(filled_count, as_int)
    if uncertain is None:
        uncertain = pa.array([False] * len(cells[0]), pa.bool_())
    # Left to right until every row has its first filled cell (the first column, mostly).
    first_cells = None
    for column, filled in zip(cells, filled_columns, strict=True):
        first = pc.if_else(filled, column, pa.scalar(None, pa.string()))
        first_cells = first if first_cells is None else pc.coalesce(first_cells, first)
        if first_cells.null_count == 0:
            break
    # A row with nothing filled has no first cell: the empty text is not a footer.
    return uncertain, filled_count, pc.fill_null(first_cells, "0")


def _all_match(pc: Any, cells: Any, pattern: str) -> bool:
    return pc.all(pc.match_substring_regex(cells, pattern)).as_py()


def _count_months(pc: Any, dates: Any, months: Counter) -> None:
    counts = pc.value_counts(pc.utf8_slice_codeunits(pc.drop_null(dates), 0, 7))
    for item in counts.to_pylist():
        year, month = item["values"].split("-")
        months[date(int(year), int(month), 1)] += item["counts"]


def _sum_minutes(pc: Any, minutes: Any) -> int:
    counts = pc.value_counts(pc.drop_null(minutes)).to_pylist()
    return sum(int(item["values"]) * item["counts"] for item in counts)


def _block_table(
    pa: Any, kind_columns: tuple[str, ...], parsed: dict[str, Any], numbers: Any
) -> Any:
    """Loaded rows as a table: `source_row`, then the kind's columns (null where absent)."""
    count = len(numbers)
    arrays = [numbers]
    arrays += [parsed.get(name, pa.nulls(count, pa.string())) for name in kind_columns]
    return pa.Table.from_arrays(arrays, names=["source_row", *kind_columns])
