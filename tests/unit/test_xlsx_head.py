"""A workbook classified from its first rows reads as calamine reads it, or defers to calamine."""

from __future__ import annotations

from datetime import date, datetime

import openpyxl
import pytest
from openpyxl.utils.datetime import CALENDAR_MAC_1904

from orchestration.lib.readers import identify, kind_specs, report, xlsx_head
from orchestration.lib.readers.sources import Grid, read_grids
from orchestration.settings import reports_config

SPECS = kind_specs(reports_config())
HEADER = ["Acct No", "Patient Name", "Activity Date", "Minutes", "Staff Name", "Staff Type"]


def workbook(path, rows, *, epoch=None, second_sheet=None):
    book = openpyxl.Workbook()
    if epoch is not None:
        book.epoch = epoch
    sheet = book.active
    sheet.title = "Report"
    for row in rows:
        sheet.append(row)
    for cell in sheet["B"]:
        if isinstance(cell.value, datetime | date):
            cell.number_format = "mm/dd/yyyy"
    if second_sheet:
        book.create_sheet("Notes").append(second_sheet)
    book.save(path)
    return path


def period_rows(first, last):
    return [
        ["PHM Care Management Time Log"],
        ["Report Period:", first, "to", last],
        [],
        HEADER,
        ["00012345", "DOE, JANE", datetime(2025, 3, 2), 20, "Penrose, Luis", "RN"],
        [12346.0, "ROE, RICHARD", datetime(2025, 3, 3), 15, "Penrose, Luis", "RN"],
    ]


def by_calamine(path, specs=SPECS, root=None, monkeypatch=None):
    monkeypatch.setattr(xlsx_head, "head_rows", lambda path, rows: None)
    found = identify(path, specs, root)
    monkeypatch.undo()
    return found


def test_the_first_rows_come_typed_as_calamine_gives_them(tmp_path):
    path = workbook(
        tmp_path / "PHM CCM Minutes 2025-03.xlsx",
        period_rows(datetime(2025, 3, 1), datetime(2025, 3, 31)),
        second_sheet=["Printed by", "ECWADMIN"],
    )
    [(name, rows), (notes, note_rows)] = xlsx_head.head_rows(path, 5)
    assert (name, notes, note_rows) == ("Report", "Notes", [["Printed by", "ECWADMIN"]])
    assert rows == [
        ["PHM Care Management Time Log"],
        ["Report Period:", date(2025, 3, 1), "to", date(2025, 3, 31)],
        [],
        HEADER,
        ["00012345", "DOE, JANE", date(2025, 3, 2), 20.0, "Penrose, Luis", "RN"],
    ]
    _, [grid, _] = read_grids(path, head_rows=5)
    filled = [[v for v in row if v != ""] for row in grid.rows]
    assert filled[:2] + filled[3:] == [[v for v in row if v != ""] for row in rows[:2] + rows[3:]]


def test_a_date_cell_in_the_title_still_contradicts_the_file_name(tmp_path, monkeypatch):
    path = workbook(
        tmp_path / "PHM CCM Minutes 2025-04.xlsx",
        period_rows(datetime(2025, 3, 1), datetime(2025, 3, 31)),
    )
    expected = (
        "months disagree: the report period says March 2025 but the file name says April 2025"
    )
    assert identify(path, SPECS).problem == expected
    assert by_calamine(path, monkeypatch=monkeypatch).problem == expected


def test_a_1904_workbook_dates_from_1904(tmp_path, monkeypatch):
    rows = period_rows(datetime(2025, 3, 1), datetime(2025, 3, 31))
    path = workbook(tmp_path / "time log.xlsx", rows, epoch=CALENDAR_MAC_1904)
    assert xlsx_head.head_rows(path, 2)[0][1][1][1] == date(2025, 3, 1)
    with monkeypatch.context() as patched:
        # Classified from its first rows alone: calamine is never asked.
        patched.setattr(report, "read_grids", None)
        found = identify(path, SPECS)
    assert (found.kind, found.service_month, found.problem) == (
        "practice_minutes",
        date(2025, 3, 1),
        None,
    )
    assert by_calamine(path, monkeypatch=monkeypatch) == found


def test_a_head_with_a_problem_is_classified_again_from_the_whole_workbook(tmp_path, monkeypatch):
    # No kind in the name or title: the header tells it. A head cut above the header (as a
    # head without the merged cells that make a header) has a problem; calamine's rows do not.
    rows = [["Export"]] + [[] for _ in range(5)] + period_rows(None, None)[3:]
    path = workbook(tmp_path / "export.xlsx", rows)
    first_rows = xlsx_head.head_rows
    monkeypatch.setattr(xlsx_head, "head_rows", lambda path, rows: first_rows(path, 5))
    head = [Grid(name, rows) for name, rows in first_rows(path, 5)]
    assert report._identity(path, head, SPECS, None).problem == "unrecognised report"
    found = identify(path, SPECS)
    assert (found.kind, found.service_month, found.problem) == (
        "practice_minutes",
        date(2025, 3, 1),
        None,
    )


@pytest.mark.parametrize(
    "content", [b"Acct No,Minutes\n1,5\n", b"PK\x03\x04 not really a zip", b"PK\x03\x04"]
)
def test_what_is_not_an_xlsx_package_is_left_to_calamine(tmp_path, content):
    path = tmp_path / "vendor_2025-03.xlsx"
    path.write_bytes(content)
    assert xlsx_head.head_rows(path, 60) is None
