"""The columnar reader of text reports gives what the row reader gives, row for row.

Each file is read twice: by the row reader alone, and with a table sink, where the plain rows
go through Arrow and the others through the row reader. Loaded rows, rejections (in order,
with their messages), skipped rows and the load's counts must be identical, and the columnar
reader must have taken the rows it is meant to take, so the comparison is never vacuous.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from orchestration.lib.raw_tables import KIND_COLUMNS
from orchestration.lib.readers import NotPlainTable, kind_specs, read_report
from orchestration.settings import reports_config

SPECS = kind_specs(reports_config())
TE_TITLE = (
    "Telephone Encounters\nMaple Ridge Family Medicine\nReport Period: 03/01/2025 - 03/31/2025\n\n"
)
TE_HEADER = (
    "Encounter ID,Patient Acct No,Patient Name,DOB,Encounter Date,Provider,Staff Name,"
    "Staff Type,Reason,ICD Codes,Minutes\n"
)


def te_line(number: int, account: str = "", **cells: str) -> str:
    values = {
        "id": str(5000 + number),
        "account": account or f"{10000000 + number * 7}",
        "name": f'"DOE{number % 5}, JANE"',
        "dob": "08/02/1940",
        "date": f"03/{1 + number % 28:02d}/2025",
        "provider": '"Abernathy, Gerald NP"',
        "staff": '"Penrose, Luis"',
        "role": "LPN",
        "reason": "Refill request",
        "codes": "E11.9 - Type 2 diabetes; I10 - Hypertension",
        "minutes": str(3 + number % 9),
    }
    values.update(cells)
    return ",".join(values.values()) + "\n"


def read_both(path: Path, kind: str) -> tuple[dict, dict]:
    """The file read by the row reader alone, and with the columnar reader in front."""
    spec = SPECS[kind]
    by_rows: list[tuple] = []
    row_path = read_report(path, spec, sink=_collect(by_rows))
    mixed_rows: list[tuple] = []
    tables: list[tuple] = []

    def table_sink(table) -> None:
        for record in table.to_pylist():
            tables.append((None, record["source_row"], *(record[c] for c in KIND_COLUMNS[kind])))

    mixed = read_report(path, spec, sink=_collect(mixed_rows), table_sink=table_sink)
    return _summary(row_path, by_rows), {**_summary(mixed, mixed_rows + tables), "columnar": tables}


def _collect(into: list[tuple]):
    def sink(sheet, numbers, columns) -> None:
        into.extend(zip([sheet] * len(numbers), numbers, *columns, strict=True))

    return sink


def _summary(parsed, rows: list[tuple]) -> dict:
    return {
        "rows": sorted(rows, key=lambda row: row[1]),
        "rejections": parsed.rejections,
        "counts": (
            parsed.rows_loaded,
            parsed.rows_rejected,
            parsed.rows_skipped,
            parsed.accounts_padded,
        ),
        "months": dict(parsed.row_months),
        "notes": parsed.notes,
        "problem": parsed.problem,
    }


def assert_same(path: Path, kind: str, *, columnar_rows: int) -> dict:
    by_rows, mixed = read_both(path, kind)
    assert len(mixed.pop("columnar")) == columnar_rows
    assert mixed == by_rows
    return mixed


def test_a_plain_export_loads_every_row_through_the_columnar_reader(tmp_path):
    path = tmp_path / "Telephone Encounters 03-2025.csv"
    body = "".join(te_line(n, account=f"{1000 + n}" if n % 3 else "") for n in range(300))
    path.write_text(TE_TITLE + TE_HEADER + body + "\nCount: 300\n", encoding="utf-8-sig")
    result = assert_same(path, "telephone_encounters", columnar_rows=300)
    first = result["rows"][0]
    assert first[:4] == (None, 6, "5000", "10000000")
    assert first[-2:] == ("E11.9;I10", "3")
    # 200 accounts of four digits were padded to eight; the footer and blank line skipped.
    assert result["counts"] == (300, 0, 1, 200)
    assert sum(result["months"].values()) == 300


def test_odd_rows_go_to_the_row_reader_with_its_messages(tmp_path):
    path = tmp_path / "Telephone Encounters 03-2025.csv"
    lines = [te_line(n) for n in range(40)]
    lines[3] = '"Pennington, Stanley MD",,,,,,,,,,\n'  # a group row: the provider alone
    lines[5] = TE_HEADER  # a page's repeated header
    lines[7] = "Page 1 of 2,,,,,,,,,,\n"
    lines[9] = te_line(9, dob="02/30/1950")  # not a calendar date
    lines[11] = te_line(11, account="12AB")
    lines[12] = te_line(12, minutes="")  # a TE without minutes loads (it counts no time)
    lines[13] = te_line(13, account=" ")  # blank account, blank by ASCII spaces
    lines[14] = te_line(14, reason="\u00a0")  # a cell of a non-breaking space alone
    lines[16] = te_line(16, reason='"line one\nline two"')  # a value over two lines
    lines[17] = te_line(17, account="'00012345")  # Excel's text apostrophe
    lines[18] = te_line(18, account="123456789")  # more digits than the width
    lines[19] = te_line(19, codes="E11.99999")  # not a code
    lines[20] = ",,,,,,,,,,\n"  # every cell empty
    lines[21] = te_line(21, minutes="1:05")  # h:mm, read by the parser
    lines[22] = te_line(22, id="\u0661\u0662")  # Arabic-Indic digits: not ASCII
    path.write_text(
        TE_TITLE + TE_HEADER + "".join(lines) + "Grand Total,,,,,,,,,,999\n", encoding="utf-8"
    )
    result = assert_same(path, "telephone_encounters", columnar_rows=28)
    reasons = [(r.row, r.column, r.reason) for r in result["rejections"]]
    assert reasons == [
        (15, "DOB", "02/30/1950 is not a real calendar date"),
        (17, "Patient Acct No", "not an account number: account numbers are digits only"),
        (19, "Patient Acct No", "the account number is blank"),
        (
            24,
            "Patient Acct No",
            "not an account number: 9 digits, more than the 8 of account_number_width "
            "in config/reports.yml",
        ),
        (25, "ICD Codes", "E11.99999 is not an ICD-10 code"),
    ]
    assert result["notes"] == [
        f"grand total 999 minutes does not match the rows' {_minutes(result['rows']):,}"
    ]


def _minutes(rows: list[tuple]) -> int:
    return sum(int(row[-1]) for row in rows if row[-1])


def test_tab_delimited_crlf_with_a_bom_and_a_name_first_layout(tmp_path):
    path = tmp_path / "PHM CCM Minutes 2025-03.txt"
    header = "Patient Name\tPatient Acct No\tActivity Date\tMinutes\tStaff Name\tStaff Type\r\n"
    rows = [
        f"DOE{n}, JANE\t{n + 1}\t03/{1 + n % 28:02d}/2025\t{5 + n % 4}\tRN A\tRN\r\n"
        for n in range(50)
    ]
    rows[10] = "Subtotal\t\t\t55\t\t\r\n"
    rows[20] = "Totals, Ann\t21\t03/20/2025\t5\tRN A\tRN\r\n"  # the footer test takes it for one
    path.write_bytes(
        ("PHM Care Management Time Log\r\n\r\n" + header + "".join(rows) + "Count: 49\r\n").encode(
            "utf-8-sig"
        )
    )
    result = assert_same(path, "practice_minutes", columnar_rows=48)
    assert result["counts"] == (48, 0, 3, 48)


def test_a_blank_line_inside_the_table_is_a_row_of_empty_cells(tmp_path):
    path = tmp_path / "Telephone Encounters 03-2025.csv"
    body = (
        "".join(te_line(n) for n in range(10)) + "\n" + "".join(te_line(n) for n in range(10, 20))
    )
    path.write_text(TE_HEADER + body, encoding="utf-8")
    result = assert_same(path, "telephone_encounters", columnar_rows=20)
    assert [row[1] for row in result["rows"]][9:11] == [11, 13]


def test_a_line_of_another_width_inside_the_table_hands_the_file_to_the_row_reader(tmp_path):
    path = tmp_path / "Telephone Encounters 03-2025.csv"
    body = "".join(te_line(n) for n in range(10)) + "Page 2\n"
    path.write_text(TE_HEADER + body + "".join(te_line(n) for n in range(10, 20)), encoding="utf-8")
    with pytest.raises(NotPlainTable):
        read_report(path, SPECS["telephone_encounters"], sink=_collect([]), table_sink=list)
    parsed = read_report(path, SPECS["telephone_encounters"], sink=_collect([]))
    assert (parsed.rows_loaded, parsed.rows_skipped) == (20, 1)


@pytest.mark.parametrize(
    ("name", "text", "encoding"),
    [
        # A quoted line break above the header: its lines are not its rows.
        ("quoted_title.csv", '"Telephone\nEncounters"\n' + TE_HEADER, "utf-8"),
        # Windows-1252 text: Arrow reads UTF-8 only.
        ("cp1252.csv", TE_HEADER.replace("Reason", "Raison d’être"), "cp1252"),
        # A wider tail than the footer window would hold.
        ("long_tail.csv", TE_HEADER, "utf-8"),
        # A byte-order mark opening the first row, which Arrow would drop (fuzzing found it).
        ("bom_row.csv", TE_HEADER + "\ufeff", "utf-8"),
    ],
)
def test_files_without_a_plain_body_are_read_row_by_row(tmp_path, name, text, encoding):
    path = tmp_path / name
    tail = "".join(f"Note {n}: see the practice manual\n" for n in range(3000))
    body = "".join(te_line(n) for n in range(20))
    path.write_bytes((text + body + (tail if name == "long_tail.csv" else "")).encode(encoding))
    result = assert_same(path, "telephone_encounters", columnar_rows=0)
    assert result["counts"][0] == 20


def test_a_long_tail_cut_inside_a_character_is_read_row_by_row(tmp_path):
    # The footer window (the last 64 KiB) starts inside the two bytes of an `é`.
    body = TE_HEADER + "".join(te_line(n) for n in range(20))
    tail = "".join(f"Remarque {n}: déjà vue\n" for n in range(4000))
    for padding in range(30):
        data = (body + tail + "Count: 20" + "." * padding + "\n").encode("utf-8")
        if 0x80 <= data[len(data) - (1 << 16)] < 0xC0:
            break
    assert 0x80 <= data[len(data) - (1 << 16)] < 0xC0
    path = tmp_path / "Telephone Encounters 03-2025.csv"
    path.write_bytes(data)
    result = assert_same(path, "telephone_encounters", columnar_rows=0)
    assert result["counts"][:3] == (20, 0, 4001)


def test_identifiers_with_letters_are_taken_as_they_are(tmp_path, monkeypatch):
    """The vendor's ids (`MDR-0000007`) skip the per-value parse; a block holding one the
    parser would change (`12.0` loses its `.0`, `'MDR-8` its apostrophe, ` MDR-9 ` its
    spaces) goes through it, with the same result as the row reader."""
    from orchestration.lib.readers.report import _ColumnParser

    parsed_by_value: list[str] = []
    distinct = _ColumnParser.distinct

    def spy(self, texts):
        parsed_by_value.extend(text for text in texts if "MDR" in text)
        return distinct(self, texts)

    monkeypatch.setattr(_ColumnParser, "distinct", spy)
    header = (
        "MDR ID,Patient Acct No,Patient Name,DOB,Service Month,Total Minutes,Care Manager,"
        "Credential,Billing Provider,CPT Codes,CCM Consent Date,Complex CCM\n"
    )
    title = "MDR Monthly Vendor Report\nReport Period: 03/01/2025 - 03/31/2025\n\n"

    def line(number: int, vendor_id: str) -> str:
        return (
            f'{vendor_id},{10000000 + number},"DOE, JANE",08/02/1940,2025-03,{number % 40},'
            f'"Lindqvist, Marta",RN,"Abernathy, Gerald NP",99490,01/19/2022,N\n'
        )

    plain = "".join(line(n, f"MDR-{n:07d}") for n in range(50))
    path = tmp_path / "MDR_vendor_monthly_202503.csv"
    path.write_text(title + header + plain + "\nCount: 50\n", encoding="utf-8")
    result = assert_same(path, "vendor_billing", columnar_rows=50)
    assert [row[2] for row in result["rows"]][:2] == ["MDR-0000000", "MDR-0000001"]
    assert parsed_by_value == []  # the columnar reader parsed no id one by one

    for odd, parsed in (("12.0", "12"), ("'MDR-8", "MDR-8"), (" MDR-9 ", "MDR-9")):
        path.write_text(title + header + plain + line(50, odd) + "\nCount: 51\n")
        result = assert_same(path, "vendor_billing", columnar_rows=51)
        assert result["rows"][-1][2] == parsed
    assert "MDR-0000000" in parsed_by_value


@pytest.mark.parametrize("letter", sorted("0123456789ABDFHIJKLMOQUVWXYZabdfhijklmoquvwxyz"))
def test_a_first_cell_the_footer_test_skips_never_opens_a_footer(letter):
    from orchestration.lib.readers.columnar import _FOOTER_START
    from orchestration.lib.readers.report import opens_footer

    assert re.match(_FOOTER_START, letter)
    # Each footer word of report._FOOTER with its first letter replaced by this one.
    words = [
        "rand total", "ub-total", "otals", "ount: 9", "ecord count", "ecords: 9", "umber of",
        "age 2 of 9", "eport generated", "enerated on", "rinted by", "un at", "nd of report",
        "**",
    ]  # fmt: skip
    assert not any(opens_footer(letter + word) for word in words)
    assert not re.match(_FOOTER_START, "T") and opens_footer("Total 9")
