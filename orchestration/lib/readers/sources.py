"""Files to grids of cells: workbooks through calamine, HTML and delimited text by hand.

The format comes from the file's first bytes, never its extension: eCW and Cognos-style
exports save HTML, MHTML or tab-separated text under `.xls` (Q8, DE-11).
"""

from __future__ import annotations

import codecs
import csv
import email
import io
import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from html.parser import HTMLParser
from itertools import islice
from pathlib import Path

import python_calamine

_HEAD_BYTES = 65536
# Classifying a large text file reads this much of it (see `_text_head_rows`).
_TEXT_HEAD_BYTES = 1 << 20
# The delimiter is the one that best fits this many first lines.
_DELIMITER_SAMPLE_LINES = 200
# A text file at least this large is read as it is taken (`Grid.rest`) instead of whole; a
# streamed grid holds this many first rows, more than a header is looked for in.
_STREAM_BYTES = _TEXT_HEAD_BYTES
_STREAMED_HEAD_ROWS = 100


class UnreadableFile(Exception):
    """The file is not a spreadsheet or report this pipeline can open; message is for a clerk."""


@dataclass(frozen=True)
class DelimitedText:
    """How a delimited text file's grid was read: its path, codec and delimiter."""

    path: Path
    encoding: str  # a Python codec name: `utf-8`, `utf-8-sig`, `utf-16`, `cp1252`
    delimiter: str


@dataclass
class Grid:
    """One sheet (or the one table of a text file). `rows[i]` is spreadsheet row i + 1."""

    name: str | None
    rows: list[list[object]]
    merged: list[tuple[tuple[int, int], tuple[int, int]]] = field(default_factory=list)
    # The rows after `rows`, read from the file as they are taken, once: a large text export
    # streams through the reader instead of being held whole (a million-row file took 2.6 GB
    # as lists of cells). `rows` then holds only the file's first rows.
    rest: Iterator[list[object]] | None = None
    # Every cell is a string (text and HTML files), where a workbook's are typed.
    text_cells: bool = False
    # Set for a delimited text file, whose rows a columnar reader can also take from the file.
    delimited: DelimitedText | None = None

    def rows_from(self, start: int) -> Iterator[tuple[int, list[object]]]:
        """(index, row) of every row from `start` on, `rest` included."""
        yield from enumerate(self.rows[start:], start)
        if self.rest is not None:
            skipped = max(0, start - len(self.rows))
            yield from enumerate(islice(self.rest, skipped, None), len(self.rows) + skipped)


def sniff_format(head: bytes) -> str:
    """`workbook`, `html`, `mhtml` or `text`, from the first bytes of a file."""
    if not head:
        raise UnreadableFile("the file is empty")
    if head.startswith((b"PK\x03\x04", b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1")):
        return "workbook"
    if head.startswith(b"%PDF"):
        raise UnreadableFile("the file is a PDF, not a spreadsheet: export the report to Excel")
    if head.startswith(b"{\\rtf"):
        raise UnreadableFile("the file is a Word/RTF document, not a spreadsheet")
    text = decode_text(head[:_HEAD_BYTES], partial=True).lstrip().lower()
    if text.startswith("mime-version") or "\nmime-version:" in text[:2000]:
        return "mhtml"
    if text.startswith("<") and re.search(r"<(html|table|!doctype html)", text[:_HEAD_BYTES]):
        return "html"
    if "\x00" in text:
        raise UnreadableFile("the file is not a spreadsheet or a text report")
    return "text"


def _codec_of(data: bytes) -> str:
    """The codec `decode_text` reads a whole file's bytes with."""
    if data.startswith(codecs.BOM_UTF8):
        return "utf-8-sig"
    if data.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        return "utf-16"
    try:
        data.decode("utf-8")
    except UnicodeDecodeError:
        return "cp1252"
    return "utf-8"


def decode_text(data: bytes, *, partial: bool = False) -> str:
    """UTF-8 (BOM or not), UTF-16 with a BOM, else Windows-1252 (DE-06)."""
    if data.startswith(b"\xef\xbb\xbf"):
        return data[3:].decode("utf-8", errors="replace" if partial else "strict")
    if data.startswith((b"\xff\xfe", b"\xfe\xff")):
        return data.decode("utf-16", errors="replace")
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError as exc:
        if partial and exc.start >= len(data) - 3:  # a character cut by the head's end
            return data[: exc.start].decode("utf-8")
    return data.decode("cp1252", errors="ccm_latin1")


def _latin1_fallback(error: UnicodeDecodeError) -> tuple[str, int]:
    # cp1252 leaves five bytes undefined; read them as latin-1 rather than fail the file.
    return error.object[error.start : error.end].decode("latin-1"), error.end


codecs.register_error("ccm_latin1", _latin1_fallback)


def read_grids(
    path: Path, *, head_rows: int | None = None, stream: bool = False
) -> tuple[str, list[Grid]]:
    """The file's format and its grids; `head_rows` limits each grid to its first rows.

    With `stream`, a large text file's grid holds its first rows and reads the others as they
    are taken from `Grid.rest`.
    """
    with open(path, "rb") as handle:
        head = handle.read(_HEAD_BYTES)
    kind = sniff_format(head)
    if kind == "workbook":
        return kind, _workbook_grids(path, head_rows)
    if kind == "text" and head_rows and (rows := _text_head_rows(path, head_rows)) is not None:
        return kind, [Grid(None, rows, text_cells=True)]
    if kind == "text" and stream and not head_rows and path.stat().st_size >= _STREAM_BYTES:
        return kind, [_streamed_text_grid(path, head)]
    data = head if head_rows and len(head) < _HEAD_BYTES else path.read_bytes()
    if kind == "mhtml":
        return kind, _html_grids(_html_of_mhtml(data), head_rows)
    text = decode_text(data)
    if kind == "html":
        return kind, _html_grids(text, head_rows)
    delimiter = _delimiter(text[:_TEXT_HEAD_BYTES], complete=len(text) <= _TEXT_HEAD_BYTES)
    rows = _delimited_rows(text, head_rows, delimiter)
    source = DelimitedText(path, _codec_of(data), delimiter)
    return kind, [Grid(None, rows, text_cells=True, delimited=source)]


def _workbook_grids(path: Path, head_rows: int | None) -> list[Grid]:
    try:
        workbook = python_calamine.CalamineWorkbook.from_path(str(path))
    except python_calamine.PasswordError as exc:
        raise UnreadableFile(
            "the workbook is password-protected: save it without a password"
        ) from exc
    except Exception as exc:  # calamine raises several types for a damaged or partial file
        raise UnreadableFile(f"the workbook cannot be opened ({type(exc).__name__})") from exc
    grids = []
    with workbook:
        for name in workbook.sheet_names:
            try:
                sheet = workbook.get_sheet_by_name(name)
            except Exception as exc:  # a chart sheet or a damaged sheet part
                raise UnreadableFile(f"sheet “{name}” cannot be read") from exc
            # skip_empty_area=False anchors the grid at A1, so list positions are row numbers.
            rows = sheet.to_python(skip_empty_area=False, nrows=head_rows)
            grids.append(Grid(name, rows, list(sheet.merged_cell_ranges or [])))
    return grids


def _text_head_rows(path: Path, head_rows: int) -> list[list[object]] | None:
    """The first rows of a large text report from its first megabyte, or None.

    Classifying a file needs only its top rows, but reading a million-row export whole to get
    them cost seconds and a gigabyte per scan. The head is decoded with the codec the whole
    file would be (UTF-8 only if all of it is), cut after its last line break, so it reads
    as the whole file's first lines do; it must hold the 200 lines the delimiter is chosen
    from and more complete rows than asked for, otherwise None and the caller reads the whole
    file as before. UTF-16 is left to that path: its line breaks are two bytes.
    """
    with open(path, "rb") as handle:
        chunk = handle.read(_TEXT_HEAD_BYTES)
    if len(chunk) < _TEXT_HEAD_BYTES:
        return None  # a small file: the whole-file path costs nothing
    encoding, errors = _text_encoding(path, chunk)
    if encoding == "utf-16":
        return None
    if encoding == "utf-8-sig" and not _valid_utf8(path):
        return None  # the whole-file path refuses a BOM file that is not UTF-8; so must this
    text = chunk[: chunk.rfind(b"\n") + 1].decode(encoding, errors)
    if text.count("\n") <= _DELIMITER_SAMPLE_LINES:
        return None
    rows = _delimited_rows(text, head_rows + 1)
    return rows[:head_rows] if len(rows) > head_rows else None


def _valid_utf8(path: Path) -> bool:
    decoder = codecs.getincrementaldecoder("utf-8")()
    try:
        with open(path, "rb") as handle:
            for block in iter(lambda: handle.read(1 << 22), b""):
                decoder.decode(block)
        decoder.decode(b"", final=True)
    except UnicodeDecodeError:
        return False
    return True


def _text_encoding(path: Path, head: bytes) -> tuple[str, str]:
    """The codec and error handler that read the file as `decode_text` reads it whole."""
    if head.startswith(codecs.BOM_UTF8):
        return "utf-8-sig", "strict"
    if head.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        return "utf-16", "replace"
    return ("utf-8", "strict") if _valid_utf8(path) else ("cp1252", "ccm_latin1")


def _streamed_text_grid(path: Path, head: bytes) -> Grid:
    encoding, errors = _text_encoding(path, head)
    with open(path, encoding=encoding, errors=errors, newline="") as handle:
        sample = handle.read(_TEXT_HEAD_BYTES)
        delimiter = _delimiter(sample, complete=not handle.read(1))

    def rows() -> Iterator[list[object]]:
        with open(path, encoding=encoding, errors=errors, newline="") as handle:
            yield from csv.reader(handle, delimiter=delimiter)

    rest = rows()
    head_rows = list(islice(rest, _STREAMED_HEAD_ROWS))
    source = DelimitedText(path, encoding, delimiter)
    return Grid(None, head_rows, rest=rest, text_cells=True, delimited=source)


def _delimiter(head: str, *, complete: bool) -> str:
    """Of tab, comma, semicolon and bar, the one most of the first lines hold, then the most."""
    lines = head.splitlines()[:_DELIMITER_SAMPLE_LINES]
    if not complete and len(lines) < _DELIMITER_SAMPLE_LINES:
        lines = lines[:-1]  # the last line of the head may be cut short
    return max(
        ("\t", ",", ";", "|"),
        key=lambda d: (sum(d in line for line in lines), sum(line.count(d) for line in lines)),
    )


def _delimited_rows(
    text: str, head_rows: int | None, delimiter: str | None = None
) -> list[list[object]]:
    if delimiter is None:
        # The sample comes from the head of the text: splitting a whole large export into
        # lines only to look at its first few would cost a copy of the file.
        head = text[:_TEXT_HEAD_BYTES]
        delimiter = _delimiter(head, complete=len(head) == len(text))
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter)
    rows: list[list[object]] = []
    for row in reader:
        rows.append(row)
        if head_rows and len(rows) >= head_rows:
            break
    return rows


def _html_of_mhtml(data: bytes) -> str:
    message = email.message_from_bytes(data)
    for part in message.walk():
        if part.get_content_type() == "text/html":
            payload = part.get_payload(decode=True) or b""
            charset = part.get_content_charset()
            return payload.decode(charset, errors="replace") if charset else decode_text(payload)
    raise UnreadableFile("the web archive (.mht) holds no table")


def _html_grids(text: str, head_rows: int | None) -> list[Grid]:
    parser = _TableParser()
    parser.feed(text)
    parser.close()
    if not parser.rows:
        raise UnreadableFile("the file is HTML but holds no table")
    rows = parser.rows[:head_rows] if head_rows else parser.rows
    return [Grid(None, rows, text_cells=True)]


class _TableParser(HTMLParser):
    """Every `<tr>` of every table, in order, with colspan and rowspan laid out as Excel does."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.rows: list[list[object]] = []
        self._row: list[object] | None = None
        self._cell: list[str] | None = None
        self._colspan = 1
        self._rowspan = 1
        self._pending: dict[int, tuple[int, str]] = {}  # column -> (rows left, value)

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag == "tr":
            self._close_row()
            self._row = []
        elif tag in ("td", "th"):
            if self._row is None:
                self._row = []
            self._close_cell()
            values = dict(attrs)
            self._colspan = _span(values.get("colspan"))
            self._rowspan = _span(values.get("rowspan"))
            self._cell = []
        elif tag == "br" and self._cell is not None:
            self._cell.append("\n")

    def handle_endtag(self, tag: str) -> None:
        if tag in ("td", "th"):
            self._close_cell()
        elif tag in ("tr", "table"):
            self._close_row()

    def handle_data(self, data: str) -> None:
        if self._cell is not None:
            self._cell.append(data)

    def close(self) -> None:
        super().close()
        self._close_row()

    def _fill_spanned(self) -> None:
        assert self._row is not None
        while len(self._row) in self._pending:
            column = len(self._row)
            left, _ = self._pending[column]
            self._row.append("")
            if left <= 1:
                del self._pending[column]
            else:
                self._pending[column] = (left - 1, "")

    def _close_cell(self) -> None:
        if self._cell is None or self._row is None:
            return
        self._fill_spanned()
        value = re.sub(r"[ \t\r\f\v]+", " ", "".join(self._cell)).strip()
        start = len(self._row)
        self._row.append(value)
        self._row.extend("" for _ in range(self._colspan - 1))
        if self._rowspan > 1:
            for column in range(start, start + self._colspan):
                self._pending[column] = (self._rowspan - 1, "")
        self._cell = None

    def _close_row(self) -> None:
        self._close_cell()
        if self._row is not None:
            self._fill_spanned()
            self.rows.append(self._row)
        self._row = None


def _span(value: str | None) -> int:
    try:
        return max(1, min(int(value or 1), 1000))
    except ValueError:
        return 1


def iter_text_lines(grid: Grid, limit: int) -> Iterator[str]:
    """Each of the first rows as one line of text (title rows, period lines)."""
    for row in grid.rows[:limit]:
        cells = [str(c).strip() for c in row if c not in (None, "")]
        if cells:
            yield " ".join(cells)
