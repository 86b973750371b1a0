"""Report files to rows: layouts, formats and the field cases (DE-xx) a reader must survive."""

from __future__ import annotations

import re
import zipfile
from datetime import date, datetime, time
from pathlib import Path

import openpyxl
import pytest

from orchestration.lib.raw_tables import KIND_COLUMNS
from orchestration.lib.readers import Identity, identify, kind_specs, read_report
from orchestration.lib.readers.sources import UnreadableFile, sniff_format
from orchestration.settings import reports_config

SPECS = kind_specs(reports_config())
TITLE = [
    ["MDR Monthly Vendor Report"],
    ["Maple Ridge Family Medicine"],
    ["Report Period: 03/01/2025 - 03/31/2025"],
    ["Report generated 04/04/2025 07:42 AM by ECWADMIN"],
    [],
]


def write_xlsx(path: Path, sheets: dict[str, list[list]], *, formats=None, merges=()) -> Path:
    """A workbook with one sheet per entry; `formats` maps (sheet, cell) to a number format."""
    workbook = openpyxl.Workbook()
    workbook.remove(workbook.active)
    for name, rows in sheets.items():
        sheet = workbook.create_sheet(name)
        for row in rows:
            sheet.append(row)
        for (sheet_name, ref), number_format in (formats or {}).items():
            if sheet_name == name:
                sheet[ref].number_format = number_format
        for sheet_name, ref in merges:
            if sheet_name == name:
                sheet.merge_cells(ref)
    workbook.save(path)
    return path


def rows_of(path: Path, kind: str) -> list[dict]:
    parsed = read_report(path, SPECS[kind])
    assert parsed.problem is None, parsed.problem
    names = ("sheet", "row", *KIND_COLUMNS[kind])
    return [dict(zip(names, row, strict=True)) for row in parsed.rows]


def test_de01_number_formatted_and_text_mrns_both_come_out_eight_digits(tmp_path):
    path = write_xlsx(
        tmp_path / "ecw_patients_2025-03.xlsx",
        {
            "Sheet1": [
                ["MRN", "Patient Name", "DOB", "PCP"],
                ["00012345", "DOE, JANE", "1950-01-02", "Dr A"],
                [98765, "ROE, RICHARD", date(1944, 2, 11), "Dr A"],
            ]
        },
        formats={("Sheet1", "A3"): "00000000"},
    )
    parsed = read_report(path, SPECS["ccm_not_enabled"])
    assert [r[2] for r in parsed.rows] == ["00012345", "00098765"]
    assert parsed.accounts_padded == 1  # recorded in the load log's notes


def test_de02_apostrophe_text_ids_with_a_blank_keep_their_zeros(tmp_path):
    path = tmp_path / "vendor_2025-03.csv"
    path.write_text(
        'Account No,Patient Name,Total Minutes\n\'0012345,"A, B",20\n,"C, D",25\n'
        '\'0067890,"E, F",30\n',
        encoding="utf-8",
    )
    parsed = read_report(path, SPECS["vendor_billing"])
    assert [r[3] for r in parsed.rows] == ["00012345", "00067890"]
    # A row rejected for its account number has none to name.
    assert [(r.row, r.column, r.reason, r.patient_acct_no) for r in parsed.rejections] == [
        (3, "Account No", "the account number is blank", None)
    ]


def test_de04_serial_and_text_dates_all_land_in_march(tmp_path):
    path = tmp_path / "exclusion_list_2025-03.csv"
    path.write_text(
        "MRN,Category,Service Date\n1,Hospice,45717\n2,Hospice,45747\n3,SNF,03/15/2025\n"
        "4,TCM,2025-03-20\n5,TCM,someday\n",
        encoding="utf-8",
    )
    parsed = read_report(path, SPECS["exclusions"])
    dates = [r[2 + KIND_COLUMNS["exclusions"].index("service_date")] for r in parsed.rows]
    assert dates == ["2025-03-01", "2025-03-31", "2025-03-15", "2025-03-20"]
    assert [(r.row, r.column, r.value, r.patient_acct_no) for r in parsed.rejections] == [
        (6, "Service Date", "someday", "00000005")
    ]


def test_de05_h_mm_duration_cells_become_minutes_and_the_subtotal_is_dropped(tmp_path):
    path = write_xlsx(
        tmp_path / "vendor_2025-03.xlsx",
        {
            "Report": [
                ["MRN", "Time Spent"],
                ["1", time(0, 25)],
                ["2", time(0, 0)],
                ["3", time(1, 5)],
                [None, 27.5 / 24],
            ]
        },
        formats={("Report", f"B{n}"): "[h]:mm" for n in range(2, 6)},
    )
    parsed = read_report(path, SPECS["vendor_billing"])
    minutes = [r[2 + KIND_COLUMNS["vendor_billing"].index("total_minutes")] for r in parsed.rows]
    assert minutes == ["25", "0", "65"]
    assert parsed.rows_skipped == 1


def test_de05_text_duration_variants_are_all_25(tmp_path):
    path = tmp_path / "vendor_2025-03.csv"
    path.write_text("MRN,Time Spent\n1,25 min\n2,25\n3,0:25\n", encoding="utf-8")
    assert [r["total_minutes"] for r in rows_of(path, "vendor_billing")] == ["25", "25", "25"]


@pytest.mark.parametrize("bom", [b"\xef\xbb\xbf", b""])
def test_de06_bom_and_quotes_do_not_stick_to_the_first_header(tmp_path, bom):
    path = tmp_path / "vendor_2025-03.csv"
    path.write_bytes(
        bom + b'"Patient ID",Minutes,Service Date\r\n"00012345",25,03/02/2025\r\n'
        b'"00067890",30,03/04/2025\r\n'
    )
    rows = rows_of(path, "vendor_billing")
    assert [(r["patient_acct_no"], r["total_minutes"]) for r in rows] == [
        ("00012345", "25"),
        ("00067890", "30"),
    ]


def test_de07_duplicate_minutes_headers_refuse_the_file(tmp_path):
    path = write_xlsx(
        tmp_path / "vendor_2025-03.xlsx",
        {
            "Report": [
                ["MRN", "Service Date", "Minutes", "Staff", "Minutes"],
                ["1", "03/02/2025", 30, "RN A", 20],
            ]
        },
    )
    parsed = read_report(path, SPECS["vendor_billing"])
    assert parsed.problem == "duplicate header `Minutes` at columns C and E"
    assert parsed.rows == []


def test_de08_header_is_found_under_a_merged_title_and_group_header(tmp_path):
    path = write_xlsx(
        tmp_path / "CCM Monthly Report.xlsx",
        {
            "Report": [
                ["CCM Monthly Report – March 2025"],
                [],
                ["Patient", None, "Time"],
                ["MRN", "Name", "Minutes", "Staff", "Date", "CPT"],
                ["12345", "DOE, JANE", 25, "RN A", "03/02/2025", "99490"],
            ]
        },
        merges=[("Report", "A1:F1"), ("Report", "A3:B3"), ("Report", "C3:D3")],
    )
    identity = identify(path, SPECS)
    assert (identity.kind, identity.service_month) == ("vendor_billing", date(2025, 3, 1))
    assert rows_of(path, "vendor_billing")[0] | {} == {
        **dict.fromkeys(KIND_COLUMNS["vendor_billing"]),
        "sheet": "Report",
        "row": 5,
        "patient_acct_no": "00012345",
        "patient_name": "DOE, JANE",
        "total_minutes": "25",
    }


def test_de08_a_february_report_dropped_as_march_is_refused(tmp_path):
    folder = tmp_path / "2025-03"
    folder.mkdir()
    path = write_xlsx(
        folder / "vendor report.xlsx",
        {"Report": [["CCM Monthly Report – February 2025"], ["MRN", "Minutes"], ["1", 25]]},
    )
    identity = identify(path, SPECS, tmp_path)
    assert identity.problem == (
        "months disagree: the report period says February 2025 but the folder name says March 2025"
    )
    # Refused as March's vendor report, so March stops instead of billing without one.
    assert (identity.kind, identity.service_month) == ("vendor_billing", date(2025, 3, 1))


def test_de09_footers_page_lines_and_blank_rows_are_skipped_and_counted(tmp_path):
    path = tmp_path / "vendor_2025-03.csv"
    path.write_text(
        'MRN,Patient Name,Minutes,Role\n1,"A, B",20,RN\n2,"C, D",30,RN\n,,,\n'
        '3,"E, F",40,LPN\n"Grand Total: 1,234",,,\nPage 1 of 1,,,\n',
        encoding="utf-8",
    )
    parsed = read_report(path, SPECS["vendor_billing"])
    assert len(parsed.rows) == 3
    assert parsed.rows_skipped == 2
    assert parsed.notes == ["grand total 1,234 minutes does not match the rows' 90"]


def test_de10_grouped_thousands_read_and_bad_grouping_is_rejected(tmp_path):
    path = tmp_path / "vendor_2025-03.csv"
    path.write_text('MRN,Minutes\n1,"1,020"\n2,"1,23,4"\n3,62\n', encoding="utf-8")
    parsed = read_report(path, SPECS["vendor_billing"])
    assert [r[7] for r in parsed.rows] == ["1020", "62"]
    assert [(r.row, r.value, r.reason) for r in parsed.rejections] == [
        (3, "1,23,4", "1,23,4 has its thousands separators in the wrong places")
    ]


def test_de11_html_saved_as_xls_is_read_as_html(tmp_path):
    path = tmp_path / "ecw_tel_encounters_2025-03.xls"
    path.write_text(
        "<html><body><table><tr><td colspan=5>Telephone Encounters</td></tr>"
        "<tr><td colspan=5>Report Period: 03/01/2025 - 03/31/2025</td></tr>"
        "<tr><th>Patient Acct No</th><th>Patient Name</th><th>TE Date</th><th>Provider</th>"
        "<th>Assessment</th></tr>"
        "<tr><td>12345</td><td>DOE,&nbsp;JANE</td><td>03/04/2025</td><td>Dr&nbsp;A</td>"
        "<td>E11.9 - Type 2 diabetes<br>I10 - Essential hypertension</td></tr>"
        "<tr><td>Count: 1</td></tr></table></body></html>",
        encoding="utf-8",
    )
    assert sniff_format(path.read_bytes()[:64]) == "html"
    identity = identify(path, SPECS)
    assert (identity.kind, identity.service_month) == ("telephone_encounters", date(2025, 3, 1))
    parsed = read_report(path, SPECS["telephone_encounters"])
    assert parsed.rows_skipped == 1
    row = dict(
        zip(("sheet", "row", *KIND_COLUMNS["telephone_encounters"]), parsed.rows[0], strict=True)
    )
    assert (row["row"], row["patient_name"], row["provider_name"], row["icd_codes"]) == (
        4,
        "DOE, JANE",
        "Dr A",
        "E11.9;I10",
    )


def test_de11_tsv_saved_as_xls_is_read_as_text(tmp_path):
    path = tmp_path / "phm_2025-03.xls"
    path.write_bytes(
        "MRN\tDate\tMinutes\tStaff\tRole\r\n12345\t03/02/2025\t25\tOñate, Rosa\tRN\r\n".encode(
            "cp1252"
        )
    )
    rows = rows_of(path, "practice_minutes")
    assert (rows[0]["staff_name"], rows[0]["activity_date"]) == ("Oñate, Rosa", "2025-03-02")


def test_de12_a_wrong_dimension_record_does_not_hide_rows(tmp_path):
    source = write_xlsx(
        tmp_path / "source.xlsx",
        {"Sheet1": [["MRN", "Minutes"]] + [[str(n), n] for n in range(1, 51)]},
    )
    path = tmp_path / "vendor_2025-03.xlsx"
    with zipfile.ZipFile(source) as original, zipfile.ZipFile(path, "w") as broken:
        for item in original.infolist():
            data = original.read(item.filename)
            if item.filename == "xl/worksheets/sheet1.xml":
                data, count = re.subn(
                    rb'<dimension ref="[^"]+"\s*/>', b'<dimension ref="A1:A1"/>', data
                )
                assert count == 1
            broken.writestr(item, data)
    assert len(rows_of(path, "vendor_billing")) == 50


def test_de27_blank_and_space_only_account_numbers_are_rejected_rows(tmp_path):
    path = tmp_path / "vendor_2025-03.csv"
    path.write_text(
        'MRN,Patient Name,Minutes\n00012345,"A, B",20\n,"C, D",25\n   ,"E, F",30\n',
        encoding="utf-8",
    )
    parsed = read_report(path, SPECS["vendor_billing"])
    assert [r[3] for r in parsed.rows] == ["00012345"]
    assert [(r.row, r.value, r.reason) for r in parsed.rejections] == [
        (3, "", "the account number is blank"),
        (4, "   ", "the account number is blank"),
    ]


def test_every_provider_sheet_is_read_with_group_rows_and_page_headers_dropped(tmp_path):
    header = ["Acct No", "Last Name", "First Name", "DOB", "PCP", "Consent Date"]
    path = write_xlsx(
        tmp_path / "CCM_Enabled_Patients_Mar2025.xlsx",
        {
            "Dr A": TITLE
            + [
                header,
                ["Dr A"],
                [1, " Doe ", "Jane", "01/02/1950", "Dr A", "2024-05-01"],
                ["Page 1 of 2"],
                header,
                [2, "Roe", "Rick", 18000, "Dr A", datetime(2024, 6, 1)],
            ],
            "Dr B": [header, [3, "Poe", "Al", "1/2/44", "Dr B", "2024-07-01"], ["Count: 1"]],
            "Parameters": [["Run by", "ECWADMIN"]],
        },
    )
    rows = rows_of(path, "ccm_enabled")
    assert [
        (r["sheet"], r["row"], r["patient_acct_no"], r["patient_name"], r["dob"]) for r in rows
    ] == [
        ("Dr A", 8, "00000001", "Doe, Jane", "1950-01-02"),
        ("Dr A", 11, "00000002", "Roe, Rick", "1949-04-12"),
        ("Dr B", 2, "00000003", "Poe, Al", "1944-01-02"),
    ]
    assert read_report(path, SPECS["ccm_enabled"]).rows_skipped == 4


def test_two_row_headers_are_joined(tmp_path):
    path = write_xlsx(
        tmp_path / "exclusions 2025-03.xlsx",
        {
            "Report": [
                ["MRN", "Service", None, "Exclusion"],
                [None, "From Date", "To Date", "Type"],
                ["7", "03/01/2025", "03/09/2025", "SNF"],
            ]
        },
        merges=[("Report", "A1:A2"), ("Report", "B1:C1")],
    )
    row = rows_of(path, "exclusions")[0]
    assert (
        row["patient_acct_no"],
        row["service_date"],
        row["service_end_date"],
        row["exclusion_type"],
    ) == ("00000007", "2025-03-01", "2025-03-09", "SNF")


def test_te_minutes_come_from_start_and_end_and_codes_from_numbered_columns(tmp_path):
    path = tmp_path / "Telephone Encounters 03-2025.csv"
    path.write_text(
        "TE #,Acct No,TE Date,Provider,ICD1,ICD2,ICD3,Start Time,End Time\n"
        "9001,12345,03/04/2025,Dr A,E119,I10,,9:30 AM,9:52 AM\n",
        encoding="utf-8",
    )
    row = rows_of(path, "telephone_encounters")[0]
    assert (row["encounter_id"], row["icd_codes"], row["minutes"]) == ("9001", "E11.9;I10", "22")


def test_a_missing_required_column_names_the_column(tmp_path):
    path = tmp_path / "PHM CCM Minutes 2025-03.csv"
    path.write_text("MRN,Date,Minutes,Staff\n1,03/02/2025,20,RN A\n", encoding="utf-8")
    parsed = read_report(path, SPECS["practice_minutes"])
    assert parsed.problem == "the staff role column is missing (header on row 1)"


def test_a_header_only_file_reads_as_zero_rows_without_a_problem(tmp_path):
    path = tmp_path / "vendor_2025-03.csv"
    path.write_text("MRN,Minutes\n", encoding="utf-8")
    parsed = read_report(path, SPECS["vendor_billing"])
    assert (parsed.rows, parsed.problem) == ([], None)


@pytest.mark.parametrize(
    ("name", "title", "kind", "month"),
    [
        ("CCM Not Enabled 2026-11.csv", "", "ccm_not_enabled", date(2026, 11, 1)),
        ("ccm_enrolled_202611.csv", "", "ccm_enabled", date(2026, 11, 1)),
        (
            "export.csv",
            "Time Log\nFor the month of November 2026\n",
            "practice_minutes",
            date(2026, 11, 1),
        ),
        (
            "export.csv",
            "Exclusions\nService Month: November 2026\n",
            "exclusions",
            date(2026, 11, 1),
        ),
        (
            "te list Nov 2026.csv",
            "Date Range: 11/01/2026 - 11/30/2026\n",
            "telephone_encounters",
            date(2026, 11, 1),
        ),
    ],
)
def test_kind_and_month_come_from_name_or_title(tmp_path, name, title, kind, month):
    path = tmp_path / name
    path.write_text(
        title + 'MRN,Patient Name,Date,Minutes\n1,"A, B",11/02/2026,5\n', encoding="utf-8"
    )
    identity = identify(path, SPECS)
    assert (identity.kind, identity.service_month, identity.problem) == (kind, month, None)


def test_kind_from_header_signature_and_month_from_row_dates(tmp_path):
    path = tmp_path / "export.csv"
    path.write_text(
        "MRN,Date,Minutes,Staff,Role\n1,11/02/2026,5,A,RN\n2,11/03/2026,5,A,RN\n"
        "3,10/31/2026,5,A,RN\n",
        encoding="utf-8",
    )
    identity = identify(path, SPECS)
    assert (identity.kind, identity.service_month) == ("practice_minutes", date(2026, 11, 1))


def test_name_and_title_months_that_disagree_name_both(tmp_path):
    path = tmp_path / "vendor 2026-10.csv"
    path.write_text("Report Period: 11/01/2026 - 11/30/2026\nMRN,Minutes\n1,5\n", encoding="utf-8")
    assert identify(path, SPECS).problem == (
        "months disagree: the report period says November 2026 but the file name says October 2026"
    )


def test_a_file_no_rule_matches_is_unrecognised(tmp_path):
    path = tmp_path / "lunch menu.csv"
    path.write_text("Dish,Price\nSoup,4\n", encoding="utf-8")
    assert identify(path, SPECS).problem == "unrecognised report"


@pytest.mark.parametrize(
    ("head", "message"),
    [(b"", "the file is empty"), (b"%PDF-1.7", "the file is a PDF, not a spreadsheet")],
)
def test_files_that_are_not_reports_are_refused_by_their_bytes(head, message):
    with pytest.raises(UnreadableFile, match=message):
        sniff_format(head)


def test_a_truncated_workbook_is_unreadable_not_empty(tmp_path):
    source = write_xlsx(tmp_path / "source.xlsx", {"S": [["MRN", "Minutes"], ["1", 5]]})
    path = tmp_path / "vendor_2025-03.xlsx"
    path.write_bytes(source.read_bytes()[:300])
    with pytest.raises(UnreadableFile, match="the workbook cannot be opened"):
        read_report(path, SPECS["vendor_billing"])


def test_a_plain_number_in_a_minutes_cell_is_minutes_and_only_a_time_format_makes_it_time(
    tmp_path,
):
    header = ["MRN", "Date", "Minutes", "Staff", "Role"]
    path = write_xlsx(
        tmp_path / "PHM CCM Minutes 2025-03.xlsx",
        {
            "Log": [
                header,
                ["1", "03/02/2025", 25, "RN A", "RN"],  # plain number: 25 minutes
                ["2", "03/02/2025", time(0, 25), "RN A", "RN"],  # h:mm cell showing 0:25
                ["3", "03/02/2025", 1, "RN A", "RN"],  # plain 1 is one minute, not a day
                ["4", "03/02/2025", 25 / 1440, "RN A", "RN"],  # [h]:mm cell showing 0:25
                ["5", "03/02/2025", 27.5 / 24, "RN A", "RN"],  # h:mm cell showing 27:30
                ["6", "03/02/2025", 0.5, "RN A", "RN"],  # plain 0.5: not half a day
            ]
        },
        formats={
            ("Log", "C3"): "h:mm",
            ("Log", "C5"): "[h]:mm",
            ("Log", "C6"): "h:mm",
        },
    )
    parsed = read_report(path, SPECS["practice_minutes"])
    minutes = KIND_COLUMNS["practice_minutes"].index("minutes")
    assert [(r[1], r[2 + minutes]) for r in parsed.rows] == [
        (2, "25"),
        (3, "25"),
        (4, "1"),
        (5, "25"),
        (6, "1650"),
    ]
    assert [(r.row, r.column, r.value, r.reason) for r in parsed.rejections] == [
        (7, "Minutes", "0.5", "0.5 is not a whole number of minutes")
    ]


def test_a_blank_minutes_cell_in_practice_minutes_rejects_the_row(tmp_path):
    path = tmp_path / "PHM CCM Minutes 2025-03.csv"
    path.write_text(
        "MRN,Date,Minutes,Staff,Role\n1,03/02/2025,20,RN A,RN\n2,03/03/2025,,RN A,RN\n"
        "3,03/04/2025,   ,RN A,RN\n4,03/05/2025,soon,RN A,RN\n",
        encoding="utf-8",
    )
    parsed = read_report(path, SPECS["practice_minutes"])
    assert [r[2] for r in parsed.rows] == ["00000001"]
    assert parsed.rows_rejected == 3
    assert [(r.sheet, r.row, r.column, r.value, r.reason) for r in parsed.rejections] == [
        (None, 3, "Minutes", "", "minutes missing"),
        (None, 4, "Minutes", "   ", "minutes missing"),
        (None, 5, "Minutes", "soon", "soon is not a number of minutes"),  # one reason a cell
    ]


def test_a_blank_duration_on_a_telephone_encounter_is_no_rejection(tmp_path):
    path = tmp_path / "Telephone Encounters 03-2025.csv"
    path.write_text(
        "Acct No,TE Date,Provider,ICD Codes,Duration\n1,03/04/2025,Dr A,I10,\n",
        encoding="utf-8",
    )
    parsed = read_report(path, SPECS["telephone_encounters"])
    assert (len(parsed.rows), parsed.rejections) == (1, [])


def test_a_malformed_icd_code_rejects_the_row_with_its_cell_not_a_shorter_code(tmp_path):
    path = tmp_path / "Telephone Encounters 03-2025.csv"
    path.write_text(
        "Acct No,TE Date,Provider,ICD Codes\n1,03/04/2025,Dr A,E11.9; I10\n"
        "2,03/04/2025,Dr A,I10; E11.99999\n",
        encoding="utf-8",
    )
    parsed = read_report(path, SPECS["telephone_encounters"])
    codes = KIND_COLUMNS["telephone_encounters"].index("icd_codes")
    assert [r[2 + codes] for r in parsed.rows] == ["E11.9;I10"]
    assert [(r.row, r.column, r.value, r.reason) for r in parsed.rejections] == [
        (3, "ICD Codes", "I10; E11.99999", "E11.99999 is not an ICD-10 code")
    ]


def test_an_account_number_with_letters_is_a_rejected_row_and_a_float_one_still_pads(tmp_path):
    path = write_xlsx(
        tmp_path / "MDR vendor 2025-03.xlsx",
        {"Report": [["MRN", "Minutes"], ["00A12345", 20], [12345.0, 25], ["12345.0", 30]]},
    )
    parsed = read_report(path, SPECS["vendor_billing"])
    assert [r[3] for r in parsed.rows] == ["00012345", "00012345"]
    assert [(r.sheet, r.row, r.column, r.value, r.reason) for r in parsed.rejections] == [
        ("Report", 2, "MRN", "00A12345", "not an account number: account numbers are digits only")
    ]


def test_an_unreadable_file_keeps_the_kind_and_month_its_name_gives(tmp_path):
    folder = tmp_path / "2025-03"
    folder.mkdir()
    (folder / "MDR vendor report.pdf").write_bytes(b"%PDF-1.7 scanned")
    (folder / "MDR vendor 2025-04.pdf").write_bytes(b"%PDF-1.7 scanned")
    (folder / "scan.pdf").write_bytes(b"%PDF-1.7 scanned")
    found = {
        name: identify(folder / name, SPECS, tmp_path)
        for name in ("MDR vendor report.pdf", "MDR vendor 2025-04.pdf", "scan.pdf")
    }
    problem = (
        "cannot read the file: the file is a PDF, not a spreadsheet: export the report to Excel"
    )
    assert found == {
        "MDR vendor report.pdf": Identity("vendor_billing", date(2025, 3, 1), problem),
        "MDR vendor 2025-04.pdf": Identity("vendor_billing", None, problem),  # names disagree
        "scan.pdf": Identity(None, date(2025, 3, 1), problem),
    }


@pytest.mark.parametrize(
    "cells",
    [
        # Text, dates and blanks are their own dictionary keys: a date never equals a datetime.
        (date(2025, 3, 1), datetime(2025, 3, 1), "2025-03-01", None, date(2025, 3, 1)),
        # Numbers are not: 1, 1.0 and True are equal keys but cells of different types.
        (1, 1.0, True, "1", None, 1.0),
    ],
)
def test_a_column_parses_each_cell_as_its_own_type(cells):
    from orchestration.lib.readers.report import _ColumnParser

    def typed(value: object) -> str:
        return f"{type(value).__name__}:{value}"

    parsed, refused = _ColumnParser(typed).column(cells)
    assert (parsed, refused) == ([typed(cell) for cell in cells], False)
