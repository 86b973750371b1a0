import csv
from datetime import date, datetime
from decimal import Decimal

from openpyxl import load_workbook

from orchestration.lib.exports import neutralise_formula, write_csv, write_workbook


def test_text_a_spreadsheet_would_evaluate_is_prefixed():
    assert neutralise_formula('=HYPERLINK("http://x","y")') == '\'=HYPERLINK("http://x","y")'
    assert neutralise_formula("+1") == "'+1"
    assert neutralise_formula("-2") == "'-2"
    assert neutralise_formula("@SUM(A1)") == "'@SUM(A1)"
    assert neutralise_formula("SMITH, JOHN") == "SMITH, JOHN"


def test_csv_writes_dates_iso_and_neutralises_formulas(tmp_path):
    path = tmp_path / "list.csv"
    write_csv(
        path,
        ["service_month", "patient_name", "date_of_service", "units", "amount"],
        [("2025-03", "=cmd|' /C calc'!A0", date(2025, 3, 31), 2, Decimal("60.490"))],
    )
    with open(path, newline="", encoding="utf-8") as handle:
        rows = list(csv.reader(handle))
    assert rows == [
        ["service_month", "patient_name", "date_of_service", "units", "amount"],
        ["2025-03", "'=cmd|' /C calc'!A0", "2025-03-31", "2", "60.49"],
    ]


def test_workbook_stores_formula_like_names_as_text(tmp_path):
    path = tmp_path / "list.xlsx"
    write_workbook(
        path,
        [("Billing", ["patient_name", "units"], [('=HYPERLINK("http://evil","x")', 1)])],
    )
    sheet = load_workbook(path)["Billing"]
    assert sheet["A2"].value == '=HYPERLINK("http://evil","x")'
    assert sheet["A2"].data_type == "s"
    assert sheet.freeze_panes == "A2"


def test_workbook_bytes_do_not_change_between_identical_writes(tmp_path):
    sheets = [("Billing", ["code"], [("99490",)])]
    write_workbook(tmp_path / "a.xlsx", sheets)
    write_workbook(tmp_path / "b.xlsx", sheets)
    assert (tmp_path / "a.xlsx").read_bytes() == (tmp_path / "b.xlsx").read_bytes()


def test_workbook_bytes_do_not_depend_on_the_clock(tmp_path, monkeypatch):
    import time

    sheets = [("Billing", ["code"], [("99490",)])]
    write_workbook(tmp_path / "a.xlsx", sheets)
    real_time = time.time
    monkeypatch.setattr(time, "time", lambda: real_time() + 86_400 * 40)
    write_workbook(tmp_path / "b.xlsx", sheets)
    assert (tmp_path / "a.xlsx").read_bytes() == (tmp_path / "b.xlsx").read_bytes()
    assert load_workbook(tmp_path / "b.xlsx")["Billing"]["A2"].value == "99490"


def test_billing_files_get_the_umask_permissions_not_private_ones(tmp_path):
    import os

    previous = os.umask(0o022)
    try:
        path = tmp_path / "ccm_billing_2025-03.csv"
        write_csv(path, ["a"], [("1",)])
    finally:
        os.umask(previous)
    assert path.stat().st_mode & 0o777 == 0o644


def test_every_kind_of_cell_is_written_as_its_csv_text(tmp_path):
    """The fast path of write_csv writes each kind of cell exactly as _csv_cell spells it."""
    cells = (
        None,
        "",
        "SMITH, JOHN",
        "-12 minutes",
        "\tindented",
        7,
        0,
        True,
        False,
        2.5,
        date(2025, 3, 31),
        datetime(2025, 3, 31, 14, 5, 9),
        Decimal("60.490"),
        Decimal("1E+2"),
    )
    path = tmp_path / "cells.csv"
    write_csv(path, [f"c{i}" for i in range(len(cells))], [cells])
    with open(path, newline="", encoding="utf-8") as handle:
        written = list(csv.reader(handle))[1]
    assert written == [
        "",
        "",
        "SMITH, JOHN",
        "'-12 minutes",
        "'\tindented",
        "7",
        "0",
        "True",
        "False",
        "2.5",
        "2025-03-31",
        "2025-03-31T14:05:09",
        "60.49",
        "100",
    ]
