"""The billing team's workbook: one sheet per list, readable headers, totals, text kept text."""

from datetime import date

import pytest
from openpyxl import load_workbook
from psycopg import sql

from orchestration.lib.exports import (
    WORKBOOK_SHEETS,
    _csv_expression,
    copy_csv,
    export_month,
    header_label,
    write_csv,
)

HOSTILE_NAME = '=HYPERLINK("http://evil.example","Click")'
TEST_MONTH = date(2099, 1, 1)


def _rows(sheet):
    return list(sheet.iter_rows(values_only=True))


def test_every_list_has_its_sheet_with_field_names_and_readable_headers(
    sample_run, warehouse, published_months
):
    month = published_months[-1]
    book = load_workbook(sample_run.out_dir / f"ccm_billing_{month:%Y-%m}.xlsx")
    assert book.sheetnames == [spec.title for spec in WORKBOOK_SHEETS]
    for spec in WORKBOOK_SHEETS:
        sheet = book[spec.title]
        fields, headers = _rows(sheet)[:2]
        assert sheet.row_dimensions[1].hidden
        assert sheet.freeze_panes == "A3"
        assert sheet.auto_filter.ref.startswith("A2:")
        assert "Explanation" in headers, spec.title
        for field, header in zip(fields, headers, strict=True):
            assert header in (header_label(field), "Explanation")
        assert "patient_acct_no" in fields or spec.table == "ccm_provider_month_analytics"
    billing_headers = _rows(book["Billing"])[1]
    assert billing_headers[:6] == (
        "Service month",
        "Patient Account No.",
        "CPT code",
        "Units",
        "Date of service",
        "Qualifying minutes",
    )


def test_the_totals_row_adds_up_the_mart(sample_run, warehouse, published_months):
    month = published_months[-1]
    book = load_workbook(sample_run.out_dir / f"ccm_billing_{month:%Y-%m}.xlsx")
    units, lines = warehouse.execute(
        "select sum(units), count(*) from marts.fct_ccm_billing where service_month = %s",
        (month,),
    ).fetchone()
    rows = _rows(book["Billing"])
    fields, total = rows[0], rows[-1]
    assert total[0] == f"Total ({lines} rows)"
    assert len(rows) == lines + 3
    assert total[fields.index("units")] == units
    assert total[fields.index("patient_acct_no")] is None  # identifiers are never summed
    (under,) = warehouse.execute(
        "select count(*) from marts.ccm_worklist_month_to_date "
        "where service_month = %s and worklist_status = 'below 99490'",
        (month,),
    ).fetchone()
    worklist = _rows(book["Worklist"])
    needed = worklist[0].index("minutes_needed")
    assert worklist[-1][needed] == sum(r[needed] for r in worklist[2:-1])
    assert (
        sum(1 for r in worklist[2:-1] if r[worklist[0].index("worklist_status")] == "below 99490")
        == under
    )


@pytest.fixture
def hostile_month(warehouse):
    """A billed line whose patient name is a spreadsheet formula, in a month of its own."""
    warehouse.execute(
        "insert into marts.fct_ccm_billing (service_month, patient_acct_no, patient_name, "
        "cpt_code, units, date_of_service, qualifying_minutes, explanation) "
        "values (%s, '00999999', %s, '99490', 1, %s, 25, '+1 minute test')",
        (TEST_MONTH, HOSTILE_NAME, date(2099, 1, 31)),
    )
    try:
        yield TEST_MONTH
    finally:
        warehouse.execute(
            "delete from marts.fct_ccm_billing where service_month = %s", (TEST_MONTH,)
        )


def test_a_formula_in_a_patient_name_is_stored_as_text(tmp_path, warehouse, hostile_month):
    exported = export_month(warehouse, hostile_month, tmp_path)
    sheet = load_workbook(exported.xlsx_path)["Billing"]
    fields = [cell.value for cell in sheet[1]]
    name = sheet.cell(row=3, column=fields.index("patient_name") + 1)
    assert name.value == HOSTILE_NAME
    assert name.data_type == "s"
    assert name.quotePrefix
    explanation = sheet.cell(row=3, column=fields.index("explanation") + 1)
    assert explanation.data_type == "s" and explanation.value == "+1 minute test"
    csv_text = exported.csv_path.read_text(encoding="utf-8")
    assert "'" + HOSTILE_NAME.replace('"', '""') in csv_text


def test_a_list_too_long_for_a_sheet_goes_to_a_csv_the_sheet_names(
    tmp_path, warehouse, published_months
):
    month = published_months[-1]
    counts = {
        spec.table: warehouse.execute(
            f"select count(*) from marts.{spec.table} where service_month = %s", (month,)
        ).fetchone()[0]
        for spec in WORKBOOK_SHEETS
    }
    max_rows = counts["te_enabled_patients"] - 1
    too_long = {table for table, count in counts.items() if count > max_rows}
    assert "te_enabled_patients" in too_long and len(too_long) < len(counts)

    exported = export_month(warehouse, month, tmp_path, max_rows=max_rows)
    book = load_workbook(exported.xlsx_path)
    for spec in WORKBOOK_SHEETS:
        overflow = tmp_path / f"ccm_billing_{month:%Y-%m}_{spec.table}.csv"
        rows = _rows(book[spec.title])
        if spec.table in too_long:
            assert rows[2] == (
                f"{counts[spec.table]:,} rows, more than a sheet here holds ({max_rows:,}): "
                f"see {overflow.name}",
            )
            lines = overflow.read_text(encoding="utf-8").splitlines()
            assert len(lines) == counts[spec.table] + 1
            assert lines[0].split(",")[-1] == "explanation" or spec.explain is None
        else:
            assert not overflow.exists()
            assert len(rows) == counts[spec.table] + 3, spec.title  # fields, headers, totals

    # The month run again when every list fits: the earlier run's CSVs go.
    export_month(warehouse, month, tmp_path, max_rows=max(counts.values()))
    assert not list(tmp_path.glob(f"ccm_billing_{month:%Y-%m}_*.csv"))
    rows = _rows(load_workbook(exported.xlsx_path)["TEs enabled"])
    assert len(rows) == counts["te_enabled_patients"] + 3


def test_a_list_written_by_postgres_spells_every_cell_as_the_csv_module_does(tmp_path, warehouse):
    """Long lists go out through COPY; their cells must read as the Python-written CSV's."""
    warehouse.execute(
        "create temp table cells (ord integer, t text, b boolean, n numeric, d date, g bigint)"
    )
    warehouse.execute(
        """
        insert into cells values
            (1, '=1+2', true, 12.50, date '2025-03-01', 9000000000000),
            (2, '', false, 0.00, null, null),
            (3, e'a,"b"\\nc', null, 100, date '0999-12-31', -4),
            (4, null, true, 0.125, date '2025-12-31', 0),
            (5, '-5', false, -3.10, null, 7),
            (6, '@x', null, null, null, null),
            (7, e'\\tTab', true, 1e-3, null, null),
            (8, 'José O''Neil', false, 2, null, null)
        """
    )
    columns = [("ord", "integer"), ("t", "text"), ("b", "boolean"), ("n", "numeric")]
    columns += [("d", "date"), ("g", "bigint")]
    names = [name for name, _ in columns]
    shown = sql.SQL(", ").join(
        sql.SQL("{} as {}").format(_csv_expression(name, kind), sql.Identifier(f"c_{name}"))
        for name, kind in columns
    )
    copy_csv(
        warehouse,
        tmp_path / "by_postgres.csv",
        names,
        sql.SQL("select {} from cells order by ord").format(shown),
    )
    rows = warehouse.execute(f"select {', '.join(names)} from cells order by ord").fetchall()
    write_csv(tmp_path / "by_python.csv", names, rows)

    written = (tmp_path / "by_postgres.csv").read_bytes()
    assert written == (tmp_path / "by_python.csv").read_bytes()
    assert b"'=1+2,True,12.5,2025-03-01,9000000000000" in written
