"""The billing team's files: `ccm_billing_YYYY-MM.csv` and `ccm_billing_YYYY-MM.xlsx`.

The CSV's first six columns are fixed by REPORTS.md ("Lists out"); the workbook holds one
sheet per list. Text that Excel would run as a formula is written so it shows as text.
"""

from __future__ import annotations

import csv
import io
import os
import re
import tempfile
import zipfile
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal
from itertools import chain, islice
from pathlib import Path

import psycopg
from openpyxl import Workbook
from openpyxl.cell import WriteOnlyCell
from openpyxl.styles import Alignment, Border, Font, PatternFill, Side
from openpyxl.utils import get_column_letter
from psycopg import sql

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


@dataclass(frozen=True)
class SheetSpec:
    """One list in the workbook: which mart, in what order, and how a row explains itself."""

    title: str
    table: str
    order: str
    explain: str | None = None  # SQL over the mart's columns; None: the mart has its own words
    leading: tuple[str, ...] = ()  # columns shown first, in this order


# How a row explains itself, as SQL over the mart's columns, for lists whose mart has no
# explanation column of its own. In SQL so that a million-row list is written by COPY without
# a Python call per row; the workbook's sheets read the same expressions.
_EXPLAIN_EXCLUSION = """concat(
    exclusion_type, ' (', coalesce(nullif(exclusion_type_reported, ''), 'as reported'),
    ') from ', coalesce(to_char(service_date, 'YYYY-MM-DD'), 'an unknown date'), ': ',
    case when applied then 'blocked billing this month'
        else 'listed only: the practice switch is off' end,
    '; ', coalesce(minutes_forfeited, 0), ' CCM minutes not billed (', rule_id, ').'
)"""
_EXPLAIN_TE_ENABLED = """case
    when is_counted then concat(minutes_counted, ' minutes counted toward CCM (', rule_id, ').')
    else concat(
        'Not counted: ',
        lower(replace(coalesce(nullif(not_counted_reason, ''), 'not counted'), '_', ' ')),
        ' (', rule_id, ').'
    )
end"""
_EXPLAIN_TE_NOT_ENABLED = """concat(
    coalesce(nullif(suggested_action, ''), 'not billable'), ' ' || nullif(suggested_code, ''),
    '; ', coalesce(chronic_condition_count, 0), ' chronic conditions (', rule_id,
    '). Never billed automatically.'
)"""
_EXPLAIN_WORKLIST = """case
    when nullif(blocked_reason, '') is not null
        then concat('Not billable this month: ', lower(replace(blocked_reason, '_', ' ')), '.')
    when nullif(next_code, '') is null
        then concat(minutes_to_date, ' minutes: every code is reached for the month.')
    else concat(
        minutes_to_date, ' minutes so far: ', minutes_needed, ' more for ', next_code,
        case when next_code <> '99490' then concat(' unit ', next_code_unit) end,
        ' (at ', next_threshold_minutes, ').'
    )
end"""
_EXPLAIN_PROVIDER = """concat(
    patients_billed, ' of ', enrolled_patients, ' enrolled billed; ', patients_under_threshold,
    ' under 20 minutes; ',
    case
        when patients_billed_change is null then 'no prior month'
        else concat(
            case when patients_billed_change >= 0 then '+' end, patients_billed_change,
            ' patients billed vs prior month'
        )
    end,
    '. Revenue is a national estimate (CCM_RULES §8).'
)"""


# One sheet per list the billing team works from; the Billing and Review sheets come first.
WORKBOOK_SHEETS = (
    # The Billing sheet reads like the CSV: its agreed columns first.
    SheetSpec(
        "Billing",
        "fct_ccm_billing",
        "patient_acct_no, cpt_code",
        leading=CSV_LEADING_COLUMNS + CSV_MORE_COLUMNS,
    ),
    # Orders name every tie-breaker: a re-run must write the same rows in the same order.
    SheetSpec("Review", "ccm_review_list", "patient_acct_no, reason_code"),
    SheetSpec(
        "Exclusions",
        "ccm_exclusion_list",
        "patient_acct_no, service_date, exclusion_type, cpt_code, source_row",
        _EXPLAIN_EXCLUSION,
    ),
    SheetSpec(
        "TEs enabled",
        "te_enabled_patients",
        "patient_acct_no, encounter_date, encounter_id, source_row",
        _EXPLAIN_TE_ENABLED,
    ),
    SheetSpec(
        "TEs not enabled",
        "te_not_enabled_patients",
        "patient_acct_no, encounter_date, encounter_id, source_row",
        _EXPLAIN_TE_NOT_ENABLED,
    ),
    SheetSpec(
        "Worklist",
        "ccm_worklist_month_to_date",
        "care_manager, provider_name, minutes_needed, patient_acct_no",
        _EXPLAIN_WORKLIST,
    ),
    SheetSpec("Enrolment outreach", "ccm_enrolment_opportunities", "outreach_rank"),
    SheetSpec("Providers", "ccm_provider_month_analytics", "provider_name", _EXPLAIN_PROVIDER),
)

# The mart column that already explains a row, per table; the sheet shows it as "Explanation".
EXPLANATION_COLUMNS = {
    "fct_ccm_billing": "explanation",
    "ccm_review_list": "reason",
    "ccm_enrolment_opportunities": "outreach_note",
}

# Columns summed on the totals row: counts of minutes, units, patients and dollars, never
# identifiers, ranks or thresholds.
NOT_TOTALLED = {
    "load_id",
    "source_row",
    "outreach_rank",
    "next_code_unit",
    "next_threshold_minutes",
    "chronic_condition_count",
    "billed_share_of_enrolled",
    "estimate_per_unit_usd",
    "estimate_year",
    "estimated_99490_per_month_usd",
}
TOTALLED_SUFFIXES = ("minutes", "units", "_usd", "_count", "minutes_at_stake")
TOTALLED_PREFIXES = ("units_", "patients_", "enrolled_", "code_lines", "counted_", "minutes_")

# Header words people read differently from the column names.
HEADER_WORDS = {
    "acct": "Account",
    "no": "No.",
    "npi": "NPI",
    "cpt": "CPT",
    "dob": "DOB",
    "te": "TE",
    "tes": "TEs",
    "icd": "ICD-10",
    "usd": "($)",
    "dx1": "Dx 1",
    "dx2": "Dx 2",
    "dx3": "Dx 3",
    "dx4": "Dx 4",
    "mdm": "MDM",
    "id": "ID",
    "ids": "IDs",
}

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


# Cells the csv module already writes as _csv_cell would: None as empty, numbers and dates
# (never datetimes, whose str() differs from isoformat) as str() gives them.
_WRITTEN_AS_IS = frozenset({type(None), int, bool, float, date})


def _csv_row(row: tuple) -> list:
    """_csv_cell of every cell, with the function call saved on the usual ones (a million-row
    list spent most of its time there)."""
    return [
        value
        if value.__class__ in _WRITTEN_AS_IS
        or (value.__class__ is str and not value.startswith(FORMULA_PREFIXES))
        else _csv_cell(value)
        for value in row
    ]


def _column_types(conn: psycopg.Connection, table: str) -> dict[str, str]:
    """The published mart's columns, in table order, with their types."""
    rows = conn.execute(
        "select column_name, data_type from information_schema.columns "
        "where table_schema = 'marts' and table_name = %s order by ordinal_position",
        (table,),
    ).fetchall()
    return dict(rows)


def billing_rows(conn: psycopg.Connection, month: date) -> tuple[list[str], list[tuple]]:
    available = _column_types(conn, "fct_ccm_billing")
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
        # mkstemp creates the file private (0600); the billing team shares the out folder, so
        # the file gets the permissions a plain open() would have given it under the umask.
        umask = os.umask(0)
        os.umask(umask)
        os.chmod(tmp, 0o666 & ~umask)
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def write_csv(path: Path, columns: Sequence[str], rows: Iterable[tuple]) -> None:
    def write(tmp: Path) -> None:
        with open(tmp, "w", newline="", encoding="utf-8") as handle:
            writer = csv.writer(handle, lineterminator="\n")
            writer.writerow(columns)
            writer.writerows(_csv_row(row) for row in rows)

    _atomic_write(path, write)


def header_label(column: str) -> str:
    """`patient_acct_no` -> `Patient Account No.`; codes and units as people write them."""
    words = []
    for word in column.split("_"):
        if word in HEADER_WORDS:
            words.append(HEADER_WORDS[word])
        elif word[:1].isdigit() or word.startswith("g2"):
            words.append(word.upper())
        else:
            words.append(word.capitalize() if not words else word)
    return " ".join(words)


def is_totalled(column: str) -> bool:
    """Whether the column's name says it counts minutes, units, patients or dollars."""
    if column in NOT_TOTALLED:
        return False
    return column.endswith(TOTALLED_SUFFIXES) or column.startswith(TOTALLED_PREFIXES)


def _is_number(value: object) -> bool:
    return isinstance(value, int | float | Decimal) and not isinstance(value, bool)


@dataclass(frozen=True)
class Sheet:
    """A list as the workbook shows it: field names, readable headers and rows."""

    title: str
    columns: list[str]
    rows: Iterable[tuple]  # read once, as the sheet is written
    headers: list[str] | None = None  # readable names; None writes the field names only
    totals: bool = False


# A list longer than this goes to a CSV beside the workbook, and its sheet says where: a
# health system's month has about a million telephone encounters and a hundred thousand
# worklist rows, lists nobody reads in a sheet, which Excel opens slowly and which took the
# workbook a minute to write; a CSV of them is written in seconds.
SHEET_MAX_ROWS = 50_000
EXCEL_MAX_ROWS = 1_048_576


def _sheet(
    conn: psycopg.Connection,
    spec: SheetSpec,
    month: date,
    overflow: Path | None = None,
    max_rows: int = SHEET_MAX_ROWS,
) -> Sheet:
    """The sheet of one list; with `overflow` (a CSV path) a list of more than `max_rows`
    rows is written there instead, and the sheet holds one line naming the file."""
    types = _column_types(conn, spec.table)
    present = list(types)
    if not present:
        return Sheet(spec.title, [], [])
    columns = [c for c in spec.leading if c in present]
    columns += [c for c in present if c not in columns]
    (count,) = conn.execute(
        f"select count(*) from marts.{spec.table} where service_month = %s", (month,)
    ).fetchone()
    selected = [sql.Identifier(c) for c in columns]
    if spec.explain is not None:
        selected.append(sql.SQL(f"{spec.explain} as explanation"))
        columns = columns + ["explanation"]
    query = sql.SQL(
        f"select {{}} from marts.{spec.table} where service_month = {{}} order by {spec.order}"
    )
    if overflow is not None and count <= max_rows:
        overflow.unlink(missing_ok=True)  # an earlier run's, when the list was longer
    elif overflow is not None:
        shown = [_csv_expression(c, types[c]) for c in columns if c in types]
        if spec.explain is not None:
            shown.append(sql.SQL(_QUOTED_TEXT).format(sql.SQL(spec.explain), _FORMULA_LITERALS))
        # Named apart from the mart's columns: `order by` must sort on values, not on text.
        shown = [
            sql.SQL("{} as {}").format(e, sql.Identifier(f"csv_{i}")) for i, e in enumerate(shown)
        ]
        listed = query.format(sql.SQL(", ").join(shown), sql.Literal(month))
        copy_csv(conn, overflow, columns, listed)
        note = f"{count:,} rows, more than a sheet here holds ({max_rows:,}): see {overflow.name}"
        return Sheet(spec.title, ["note"], [(note,)], headers=["Note"])
    rows = _streamed(conn, query.format(sql.SQL(", ").join(selected), sql.Literal(month)))
    headers = [header_label(c) for c in columns]
    explained = EXPLANATION_COLUMNS.get(spec.table, "explanation")
    if explained in columns:
        headers[columns.index(explained)] = "Explanation"
    return Sheet(spec.title, columns, rows, headers=headers, totals=True)


def _streamed(conn: psycopg.Connection, query: sql.Composable) -> Iterator[tuple]:
    """A query's rows in batches from a server-side cursor: a list never sits in memory whole."""
    with conn.transaction(), conn.cursor("ccm_export_sheet") as cursor:
        cursor.itersize = 10_000
        cursor.execute(query)
        yield from cursor


_FORMULA_LITERALS = sql.SQL(", ").join(map(sql.Literal, FORMULA_PREFIXES))
_QUOTED_TEXT = "case when left({0}, 1) in ({1}) then '''' || {0} else nullif({0}, '') end"


def _csv_expression(column: str, data_type: str) -> sql.Composable:
    """A column as text spelled as `_csv_cell` spells its value, for PostgreSQL to write.

    Text that a spreadsheet would run gets its quote (an empty text is written as nothing,
    as the csv module writes it); numbers lose trailing zeros as Decimal.normalize() does;
    booleans read True/False as Python's do.
    """
    name = sql.Identifier(column)
    if data_type == "text":
        return sql.SQL(_QUOTED_TEXT).format(name, _FORMULA_LITERALS)
    if data_type == "boolean":
        return sql.SQL("case when {0} then 'True' when not {0} then 'False' end").format(name)
    if data_type == "numeric":
        return sql.SQL("trim_scale({})::text").format(name)
    if data_type == "date":
        return sql.SQL("to_char({}, 'YYYY-MM-DD')").format(name)
    if data_type in ("integer", "bigint", "smallint"):
        return sql.SQL("{}::text").format(name)
    raise ValueError(f"no CSV spelling for {column} of type {data_type}")


def copy_csv(
    conn: psycopg.Connection, path: Path, columns: Sequence[str], query: sql.Composable
) -> None:
    """A query's rows written as CSV by PostgreSQL (COPY), under a header of `columns`.

    The query's columns must already be spelled as the CSV shows them (`_csv_expression`).
    """

    def write(tmp: Path) -> None:
        header = io.StringIO()
        csv.writer(header, lineterminator="\n").writerow(columns)
        with open(tmp, "wb") as handle, conn.transaction(), conn.cursor() as cursor:
            handle.write(header.getvalue().encode("utf-8"))
            statement = sql.SQL("copy ({}) to stdout with (format csv)").format(query)
            with cursor.copy(statement) as copy:
                for block in copy:
                    handle.write(block)

    _atomic_write(path, write)


HEADER_FILL = PatternFill("solid", fgColor="1F3A5F")
TOTAL_FILL = PatternFill("solid", fgColor="E8EEF5")
FIELD_FONT = Font(color="808080", size=8)
THIN_TOP = Border(top=Side(style="thin", color="1F3A5F"))


def write_workbook(
    path: Path, sheets: Sequence[Sheet | tuple[str, list[str], list[tuple]]]
) -> None:
    """Write one sheet per list, each with a frozen header, filters and sensible widths.

    A sheet with readable headers keeps the field names (as in the CSV and the marts) in a
    hidden first row, so programs and people each find the names they expect; its last row
    totals the minutes, units, patients and dollars. Every text cell is stored as text, so
    a name such as `=HYPERLINK(...)` is shown, never run.
    """
    # Write-only: rows stream out as they are added instead of living as styled cell objects,
    # so a health system's month (a million telephone encounters) is written in bounded memory.
    workbook = Workbook(write_only=True)
    for item in sheets:
        _write_sheet(workbook, item if isinstance(item, Sheet) else Sheet(*item))
        del item  # the next sheet's rows are read only once this one's are let go
    workbook.properties.created = FIXED_STAMP
    _atomic_write(path, lambda tmp: Path(tmp).write_bytes(_reproducible(workbook)))


# openpyxl stamps the save time into docProps/core.xml and every zip entry; fixed dates keep
# the bytes of a re-run (or of a backfill and the single runs it replaces) identical.
FIXED_STAMP = datetime(2000, 1, 1)
_MODIFIED = re.compile(rb"(<dcterms:modified[^>]*>)[^<]*(</dcterms:modified>)")


def _reproducible(workbook: Workbook) -> bytes:
    saved = io.BytesIO()
    workbook.save(saved)
    repacked = io.BytesIO()
    with (
        zipfile.ZipFile(io.BytesIO(saved.getvalue())) as source,
        zipfile.ZipFile(repacked, "w", zipfile.ZIP_DEFLATED) as target,
    ):
        for entry in source.infolist():
            data = source.read(entry.filename)
            if entry.filename == "docProps/core.xml":
                data = _MODIFIED.sub(rb"\g<1>2000-01-01T00:00:00Z\g<2>", data)
            fixed = zipfile.ZipInfo(entry.filename, date_time=(2000, 1, 1, 0, 0, 0))
            fixed.compress_type = zipfile.ZIP_DEFLATED
            target.writestr(fixed, data)
    return repacked.getvalue()


_WIDTH_SAMPLE_ROWS = 500


def _styled(sheet, value, **style) -> WriteOnlyCell:
    cell = WriteOnlyCell(sheet, value=value)
    for name, setting in style.items():
        setattr(cell, name, setting)
    return cell


def _write_sheet(workbook: Workbook, spec: Sheet) -> None:
    """One sheet. A write-only sheet takes its widths (from its first rows) and panes before
    its rows, and its filter range and totals once they are known."""
    sheet = workbook.create_sheet(spec.title)
    rows = iter(spec.rows)
    sample = list(islice(rows, _WIDTH_SAMPLE_ROWS))
    rows = chain(sample, rows)
    columns = spec.columns
    header_row = 2 if spec.headers is not None else 1
    for index, name in enumerate(columns, start=1):
        label = spec.headers[index - 1] if spec.headers is not None else name
        width = max([len(str(label))] + [len(_display(r[index - 1])) for r in sample])
        width = min(max(width + 2, 8), 60)
        if name in ("explanation", "reason", "outreach_note"):
            width = 80
        sheet.column_dimensions[get_column_letter(index)].width = width
    sheet.freeze_panes = f"A{header_row + 1}"
    if spec.headers is not None:
        sheet.row_dimensions[1].hidden = True
        sheet.append([_styled(sheet, name, font=FIELD_FONT) for name in columns])
        header_style = {
            "font": Font(bold=True, color="FFFFFF"),
            "fill": HEADER_FILL,
            "alignment": Alignment(wrap_text=True, vertical="center"),
        }
        sheet.append([_styled(sheet, label, **header_style) for label in spec.headers])
    else:
        sheet.append([_styled(sheet, name, font=Font(bold=True)) for name in columns])
    money = {index for index, name in enumerate(columns) if name.endswith("_usd")}
    totals = _Totals(columns) if spec.totals and columns else None
    count = 0
    for row in rows:
        sheet.append([_data_cell(sheet, value, index in money) for index, value in enumerate(row)])
        if totals is not None:
            totals.add(row)
        count += 1
    if columns:
        last_data_row = header_row + count
        sheet.auto_filter.ref = (
            f"A{header_row}:{get_column_letter(len(columns))}{max(last_data_row, header_row)}"
        )
    if totals is not None:
        style = {"font": Font(bold=True), "fill": TOTAL_FILL, "border": THIN_TOP}
        money_style = {**style, "number_format": "#,##0.00"}
        sheet.append(
            [
                _styled(sheet, value, **(money_style if index in money else style))
                for index, value in enumerate(totals.row(count))
            ]
        )


class _Totals:
    """The totals row, summed as rows stream past: values, not formulas, so it reads the same
    in Excel, pandas and a viewer. A column is totalled when its name says it counts minutes,
    units, patients or dollars and every value in it is a number."""

    def __init__(self, columns: list[str]):
        self.columns = columns
        self.sums: dict[int, object] = {
            index: 0 for index, column in enumerate(columns) if index > 0 and is_totalled(column)
        }

    def add(self, row: tuple) -> None:
        for index in list(self.sums):
            value = row[index]
            if value is None:
                continue
            if _is_number(value):
                self.sums[index] += value
            else:
                del self.sums[index]  # not a number: the column is not totalled

    def row(self, count: int) -> list:
        values = [f"Total ({count} rows)"] + [None] * (len(self.columns) - 1)
        for index, total in self.sums.items():
            values[index] = _xlsx_value(total)
        return values


def _data_cell(sheet, value, money: bool):
    """A value as it goes into the sheet; a cell object only where it needs more than that."""
    if isinstance(value, str):
        if not value.startswith(FORMULA_PREFIXES):
            return value
        # Text, never a formula, whatever it starts with; Excel's quote prefix keeps it text
        # when the cell is edited.
        cell = WriteOnlyCell(sheet, value=value)
        cell.data_type = "s"
        cell.quotePrefix = True
        return cell
    value = _xlsx_value(value)
    if money and value is not None:
        return _styled(sheet, value, number_format="#,##0.00")
    return value


def _display(value) -> str:
    if value is None:
        return ""
    if isinstance(value, date | datetime):
        return value.isoformat()
    return str(value)


def _xlsx_value(value):
    if isinstance(value, Decimal):
        return float(value)
    return value


def export_month(
    conn: psycopg.Connection, month: date, out_dir: Path, max_rows: int = SHEET_MAX_ROWS
) -> ExportedFiles:
    """The month's billing CSV and workbook (and a CSV for any list too long for a sheet)."""
    max_rows = min(max_rows, EXCEL_MAX_ROWS - 3)  # field names, headers and totals rows
    stem = f"ccm_billing_{month:%Y-%m}"
    columns, rows = billing_rows(conn, month)
    csv_path = out_dir / f"{stem}.csv"
    write_csv(csv_path, columns, rows)
    sheets = (  # one at a time
        _sheet(conn, spec, month, out_dir / f"{stem}_{spec.table}.csv", max_rows)
        for spec in WORKBOOK_SHEETS
    )
    xlsx_path = out_dir / f"{stem}.xlsx"
    write_workbook(xlsx_path, sheets)
    return ExportedFiles(csv_path=csv_path, xlsx_path=xlsx_path, billed_lines=len(rows))
