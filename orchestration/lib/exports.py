"""The billing team's files: `ccm_billing_YYYY-MM.csv` and `ccm_billing_YYYY-MM.xlsx`.

The CSV's first six columns are fixed by REPORTS.md ("Lists out"); the workbook holds one
sheet per list. Text that Excel would run as a formula is written so it shows as text.
"""

from __future__ import annotations

import csv
import os
import tempfile
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal
from pathlib import Path

import psycopg
from openpyxl import Workbook
from openpyxl.styles import Font
from openpyxl.utils import get_column_letter

CSV_LEADING_COLUMNS = (
    "service_month",
    "patient_acct_no",
    "cpt_code",
    "units",
    "date_of_service",
    "qualifying_minutes",
)
CSV_MORE_COLUMNS = (
    "patient_name",
    "billing_provider_name",
    "billing_provider_npi",
    "place_of_service",
    "staff_minutes",
    "practitioner_minutes",
    "practice_minutes",
    "te_minutes",
    "vendor_minutes",
    "family",
    "dx1",
    "dx2",
    "dx3",
    "dx4",
    "rule_ids",
    "code_table_row",
    "explanation",
)

# (sheet title, mart, order) — one sheet per list the billing team works from.
WORKBOOK_SHEETS = (
    ("Billing", "fct_ccm_billing", "patient_acct_no, cpt_code"),
    ("Review", "ccm_review_list", "patient_acct_no, reason_code"),
    ("Exclusions", "ccm_exclusion_list", "patient_acct_no"),
    ("TEs enabled", "te_enabled_patients", "patient_acct_no"),
    ("TEs not enabled", "te_not_enabled_patients", "patient_acct_no"),
)

FORMULA_PREFIXES = ("=", "+", "-", "@", "\t", "\r")


@dataclass(frozen=True)
class ExportedFiles:
    csv_path: Path
    xlsx_path: Path
    billed_lines: int


def neutralise_formula(value: str) -> str:
    """Prefix text that a spreadsheet would evaluate, so it is shown as typed (OWASP CSV)."""
    return "'" + value if value.startswith(FORMULA_PREFIXES) else value


def _csv_cell(value) -> str:
    if value is None:
        return ""
    if isinstance(value, date | datetime):
        return value.isoformat()
    if isinstance(value, Decimal):
        return format(value.normalize(), "f")
    if isinstance(value, str):
        return neutralise_formula(value)
    return str(value)


def _existing_columns(conn: psycopg.Connection, table: str) -> list[str]:
    rows = conn.execute(
        "select column_name from information_schema.columns "
        "where table_schema = 'marts' and table_name = %s order by ordinal_position",
        (table,),
    ).fetchall()
    return [r[0] for r in rows]


def billing_rows(conn: psycopg.Connection, month: date) -> tuple[list[str], list[tuple]]:
    available = set(_existing_columns(conn, "fct_ccm_billing"))
    columns = list(CSV_LEADING_COLUMNS) + [c for c in CSV_MORE_COLUMNS if c in available]
    select_list = ", ".join(
        "to_char(service_month, 'YYYY-MM') as service_month" if c == "service_month" else c
        for c in columns
    )
    rows = conn.execute(
        f"select {select_list} from marts.fct_ccm_billing where service_month = %s "
        "order by patient_acct_no, cpt_code",
        (month,),
    ).fetchall()
    return columns, rows


def _atomic_write(path: Path, write) -> None:
    """Write beside the target and rename, so a reader never sees half a file."""
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", dir=path.parent)
    os.close(fd)
    try:
        write(Path(tmp))
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def write_csv(path: Path, columns: Sequence[str], rows: Sequence[tuple]) -> None:
    def write(tmp: Path) -> None:
        with open(tmp, "w", newline="", encoding="utf-8") as handle:
            writer = csv.writer(handle, lineterminator="\n")
            writer.writerow(columns)
            writer.writerows([_csv_cell(v) for v in row] for row in rows)

    _atomic_write(path, write)


def _sheet_rows(conn: psycopg.Connection, table: str, order: str, month: date):
    columns = _existing_columns(conn, table)
    if not columns:
        return [], []
    rows = conn.execute(
        f"select * from marts.{table} where service_month = %s order by {order}", (month,)
    ).fetchall()
    return columns, rows


def write_workbook(path: Path, sheets: Sequence[tuple[str, list[str], list[tuple]]]) -> None:
    workbook = Workbook()
    workbook.remove(workbook.active)
    for title, columns, rows in sheets:
        sheet = workbook.create_sheet(title)
        sheet.append(columns)
        for cell in sheet[1]:
            cell.font = Font(bold=True)
        for row in rows:
            sheet.append([_xlsx_value(v) for v in row])
        # Every string cell is text, never a formula, whatever it starts with.
        for row_cells in sheet.iter_rows(min_row=2):
            for cell in row_cells:
                if isinstance(cell.value, str):
                    cell.data_type = "s"
        sheet.freeze_panes = "A2"
        if columns:
            sheet.auto_filter.ref = f"A1:{get_column_letter(len(columns))}{max(len(rows) + 1, 1)}"
        for index, name in enumerate(columns, start=1):
            width = max([len(str(name))] + [len(str(r[index - 1] or "")) for r in rows[:500]])
            sheet.column_dimensions[get_column_letter(index)].width = min(max(width + 2, 8), 60)
    # Fixed document dates keep the bytes of a re-run identical.
    stamp = datetime(2000, 1, 1)
    workbook.properties.created = stamp
    workbook.properties.modified = stamp
    _atomic_write(path, workbook.save)


def _xlsx_value(value):
    if isinstance(value, Decimal):
        return float(value)
    return value


def export_month(conn: psycopg.Connection, month: date, out_dir: Path) -> ExportedFiles:
    stem = f"ccm_billing_{month:%Y-%m}"
    columns, rows = billing_rows(conn, month)
    csv_path = out_dir / f"{stem}.csv"
    write_csv(csv_path, columns, rows)
    sheets = []
    for title, table, order in WORKBOOK_SHEETS:
        sheet_columns, sheet_rows = _sheet_rows(conn, table, order, month)
        sheets.append((title, sheet_columns, sheet_rows))
    xlsx_path = out_dir / f"{stem}.xlsx"
    write_workbook(xlsx_path, sheets)
    return ExportedFiles(csv_path=csv_path, xlsx_path=xlsx_path, billed_lines=len(rows))
