"""The first rows of each sheet of an `.xlsx` workbook, without reading the rest of it.

Classifying a dropped file needs only its title rows and header, but calamine parses a whole
sheet before it gives any row: a 200,000-row workbook took 1.5 s to classify, again on every
scan. Here each sheet's XML is streamed until the rows asked for are read. Cells come as
calamine gives them where classification looks: text as text, numbers as floats, date-formatted
numbers as datetimes, blanks as "". Merged cells are listed at the end of a sheet's XML, past
the rows read, so they are not known here; `report.identify` takes a classification from these
rows only when it has no problem, and reads the whole workbook otherwise.

Anything this reader does not expect (a chart sheet, a strict-OOXML namespace, a cell type it
does not know) returns None, and the caller reads the workbook with calamine.
"""

from __future__ import annotations

import posixpath
import zipfile
from datetime import datetime, time, timedelta
from pathlib import Path
from xml.etree.ElementTree import Element, iterparse

_MAIN = "{http://schemas.openxmlformats.org/spreadsheetml/2006/main}"
_REL = "{http://schemas.openxmlformats.org/officeDocument/2006/relationships}"
_PACKAGE_REL = "{http://schemas.openxmlformats.org/package/2006/relationships}"
_WORKSHEET_TYPE = "http://schemas.openxmlformats.org/officeDocument/2006/relationships/worksheet"
_EPOCH_1900 = datetime(1899, 12, 30)
_EPOCH_1904 = datetime(1904, 1, 1)


class _Unexpected(Exception):
    """A workbook part this reader does not handle: calamine reads the workbook instead."""


def head_rows(path: Path, rows: int) -> list[tuple[str, list[list[object]]]] | None:
    """(sheet name, its first `rows` rows) of every sheet in order, or None."""
    with open(path, "rb") as handle:
        if handle.read(4) != b"PK\x03\x04":
            return None  # not a zip package: not an .xlsx, whatever its name
    try:
        with zipfile.ZipFile(path) as archive:
            return _Workbook(archive).heads(rows)
    except (_Unexpected, KeyError, ValueError, zipfile.BadZipFile, SyntaxError, OSError):
        # SyntaxError: expat's ParseError; KeyError: a part the package does not hold.
        return None


class _Workbook:
    def __init__(self, archive: zipfile.ZipFile):
        self.archive = archive
        workbook = self._tree("xl/workbook.xml")
        properties = workbook.find(f"{_MAIN}workbookPr")
        date1904 = properties is not None and properties.get("date1904") in ("1", "true")
        self.epoch = _EPOCH_1904 if date1904 else _EPOCH_1900
        relations = self._tree("xl/_rels/workbook.xml.rels").iter(f"{_PACKAGE_REL}Relationship")
        targets = {r.get("Id"): (r.get("Type"), r.get("Target") or "") for r in relations}
        self.sheets = []
        sheets = workbook.find(f"{_MAIN}sheets")
        if sheets is None:
            raise _Unexpected("no sheets")
        for sheet in sheets:
            kind, target = targets[sheet.get(f"{_REL}id")]
            if kind != _WORKSHEET_TYPE:
                raise _Unexpected(f"a {kind} sheet")
            part = target.lstrip("/") if target.startswith("/") else posixpath.join("xl", target)
            self.sheets.append((sheet.get("name"), posixpath.normpath(part)))
        self.date_styles = self._date_styles()
        self._strings: list[str] | None = None

    def _tree(self, part: str) -> Element:
        with self.archive.open(part) as stream:
            root = None
            for _, element in iterparse(stream, events=("end",)):
                root = element
            if root is None:
                raise _Unexpected(f"empty {part}")
            return root

    def _date_styles(self) -> set[int]:
        """Indexes of the cell formats that show a number as a date or a time."""
        if "xl/styles.xml" not in self.archive.namelist():
            return set()
        # Imported here: it costs a tenth of a second, and every load worker imports this
        # module without ever classifying a workbook.
        from openpyxl.styles.numbers import BUILTIN_FORMATS, is_date_format

        styles = self._tree("xl/styles.xml")
        codes = dict(BUILTIN_FORMATS)
        formats = styles.find(f"{_MAIN}numFmts")
        for number_format in formats if formats is not None else ():
            codes[int(number_format.get("numFmtId"))] = number_format.get("formatCode") or ""
        cell_formats = styles.find(f"{_MAIN}cellXfs")
        dated = set()
        for index, cell_format in enumerate(cell_formats if cell_formats is not None else ()):
            code = codes.get(int(cell_format.get("numFmtId") or 0), "")
            if code and is_date_format(code):
                dated.add(index)
        return dated

    def strings(self) -> list[str]:
        """The shared strings, each as its runs' text joined (phonetic runs left out)."""
        if self._strings is None:
            self._strings = []
            if "xl/sharedStrings.xml" in self.archive.namelist():
                with self.archive.open("xl/sharedStrings.xml") as stream:
                    for _, element in iterparse(stream, events=("end",)):
                        if element.tag == f"{_MAIN}si":
                            self._strings.append(_text(element))
                            element.clear()
        return self._strings

    def heads(self, rows: int) -> list[tuple[str, list[list[object]]]]:
        return [(name, self._head(part, rows)) for name, part in self.sheets]

    def _head(self, part: str, rows: int) -> list[list[object]]:
        grid: list[list[object]] = []
        with self.archive.open(part) as stream:
            for _, element in iterparse(stream, events=("end",)):
                if element.tag != f"{_MAIN}row":
                    continue
                number = int(element.get("r") or len(grid) + 1)
                if number > rows:
                    break
                while len(grid) < number - 1:
                    grid.append([])
                grid.append(self._row(element))
                element.clear()
        return grid

    def _row(self, row: Element) -> list[object]:
        cells: list[object] = []
        for cell in row.iter(f"{_MAIN}c"):
            reference = cell.get("r")
            column = _column_index(reference) if reference else len(cells)
            while len(cells) < column:
                cells.append("")
            cells.append(self._value(cell))
        return cells

    def _value(self, cell: Element) -> object:
        kind = cell.get("t") or "n"
        if kind == "inlineStr":
            found = cell.find(f"{_MAIN}is")
            return _text(found) if found is not None else ""
        raw = cell.findtext(f"{_MAIN}v")
        if raw is None:
            return ""
        if kind == "s":
            return self.strings()[int(raw)]
        if kind == "str":
            return raw
        if kind == "b":
            return raw == "1"
        if kind != "n":
            raise _Unexpected(f"cell type {kind}")  # an error or ISO-dated cell
        number = float(raw)
        if int(cell.get("s") or 0) not in self.date_styles:
            return number
        # As calamine gives it: a date at midnight, else a date and time.
        moment = self.epoch + timedelta(days=number)
        return moment.date() if moment.time() == time() else moment


def _text(element: Element) -> str:
    return "".join(
        part.text or ""
        for part in element.iter(f"{_MAIN}t")
        if part not in _phonetic_parts(element)
    )


def _phonetic_parts(element: Element) -> set[Element]:
    return {t for run in element.iter(f"{_MAIN}rPh") for t in run.iter(f"{_MAIN}t")}


def _column_index(reference: str) -> int:
    """`C7` → 2."""
    index = 0
    for character in reference:
        if not character.isalpha():
            break
        index = index * 26 + ord(character.upper()) - 64
    return index - 1
