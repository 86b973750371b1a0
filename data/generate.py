"""Write a deterministic synthetic practice's monthly report drop.

Every month gets the seven reports an eClinicalWorks practice and its CCM vendor would send,
with the layout quirks of REPORTS.md (title rows, group rows, page breaks, footers, serial
dates, `h:mm` text, time cells, numeric account numbers, HTML saved as `.xls`, cp1252 CSV),
so the readers are exercised by the bundled sample itself. All people are invented.

Accounts 00090000-00090999 are reserved for scenario patients whose inputs are fixed by hand
(see SCENARIOS below and tests/e2e/expected_sample_lines.py); random patients never use them.

    python data/generate.py --out data/sample/drop --months 2020-12 2021-01 2025-03 \
        --patients 300 --seed 7

`write_report()` is the reusable seam: tests build one report file of a kind from canonical
rows (the column names of orchestration/lib/raw_tables.py) in the same eCW style.
"""

from __future__ import annotations

import argparse
import calendar
import csv
import datetime as dt
import html
import io
import random
import zipfile
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path

from openpyxl import Workbook
from openpyxl.writer.excel import ExcelWriter

PRACTICE_NAME = "Maple Ridge Family Medicine"
FACILITY = "Maple Ridge Main Clinic"
# Stamped into every xlsx (docProps and zip entries) so a rerun gives identical bytes.
FIXED_STAMP = dt.datetime(2025, 4, 7, 8, 0, 0)
EXCEL_EPOCH = dt.date(1899, 12, 30)
SCENARIO_ACCOUNTS = range(90000, 91000)

REPORT_TITLES = {
    "ccm_enabled": "CCM Enabled Patients",
    "ccm_not_enabled": "CCM Not Enabled Patients",
    "ccm_not_eligible": "CCM Not Eligible Patients",
    "exclusions": "Exclusion List - Home Health / TCM / SNF / Hospice",
    "practice_minutes": "PHM Care Management Time Log",
    "telephone_encounters": "Telephone Encounters",
    "vendor_billing": "MDR Monthly Vendor Report",
}

_PATIENT_LIST = (
    "patient_acct_no",
    "patient_name",
    "dob",
    "sex",
    "primary_insurance",
    "provider_name",
    "provider_npi",
    "facility",
    "consent_date",
    "ccm_end_date",
    "complex_ccm",
    "chronic_conditions",
    "date_of_death",
    "reason",
)

# Canonical column order per kind (mirrors the raw schema; kept here so this script stands
# alone). `start_time` is accepted for telephone encounters to write Start/End Time columns.
KIND_COLUMNS: dict[str, tuple[str, ...]] = {
    "ccm_enabled": _PATIENT_LIST,
    "ccm_not_enabled": _PATIENT_LIST,
    "ccm_not_eligible": _PATIENT_LIST,
    "exclusions": (
        "patient_acct_no",
        "patient_name",
        "dob",
        "exclusion_type",
        "cpt_code",
        "service_date",
        "service_end_date",
        "provider_name",
        "provider_npi",
    ),
    "practice_minutes": (
        "patient_acct_no",
        "patient_name",
        "dob",
        "activity_date",
        "start_time",
        "minutes",
        "staff_name",
        "staff_role",
        "activity",
        "program",
    ),
    "telephone_encounters": (
        "encounter_id",
        "patient_acct_no",
        "patient_name",
        "dob",
        "encounter_date",
        "provider_name",
        "staff_name",
        "staff_role",
        "reason",
        "icd_codes",
        "start_time",
        "minutes",
    ),
    "vendor_billing": (
        "vendor_patient_id",
        "patient_acct_no",
        "patient_name",
        "dob",
        "reported_month",
        "total_minutes",
        "care_manager",
        "care_manager_role",
        "billing_provider",
        "suggested_codes",
        "consent_date",
        "complex_ccm",
    ),
}

# First alias of config/reports.yml for each column; a layout may override any of them.
DEFAULT_HEADERS = {
    "patient_acct_no": "Patient Acct No",
    "patient_name": "Patient Name",
    "last_name": "Last Name",
    "first_name": "First Name",
    "dob": "DOB",
    "sex": "Sex",
    "primary_insurance": "Primary Insurance",
    "provider_name": "Provider",
    "provider_npi": "Provider NPI",
    "facility": "Facility",
    "consent_date": "CCM Consent Date",
    "ccm_end_date": "Disenrolled Date",
    "complex_ccm": "Complex CCM",
    "chronic_conditions": "Problem List",
    "date_of_death": "Date of Death",
    "reason": "Reason",
    "exclusion_type": "Exclusion Type",
    "cpt_code": "CPT Code",
    "service_date": "Service Date",
    "service_end_date": "End Date",
    "activity_date": "Activity Date",
    "start_time": "Start Time",
    "end_time": "End Time",
    "minutes": "Minutes",
    "staff_name": "Staff Name",
    "staff_role": "Staff Type",
    "activity": "Activity",
    "program": "Program",
    "encounter_id": "Encounter ID",
    "encounter_date": "Encounter Date",
    "icd_codes": "ICD Codes",
    "vendor_patient_id": "MDR ID",
    "reported_month": "Service Month",
    "total_minutes": "Total Minutes",
    "care_manager": "Care Manager",
    "care_manager_role": "Credential",
    "billing_provider": "Billing Provider",
    "suggested_codes": "CPT Codes",
}

DATE_COLUMNS = {
    "dob",
    "consent_date",
    "ccm_end_date",
    "date_of_death",
    "service_date",
    "service_end_date",
    "activity_date",
    "encounter_date",
}
MINUTE_COLUMNS = {"minutes", "total_minutes"}
ICD_LIST_COLUMNS = {"chronic_conditions", "icd_codes"}

# Descriptions written without commas or semicolons, so a cell like
# "E78.5 - Hyperlipidemia unspecified; I10 - ..." splits on its separators only.
ICD_DESCRIPTIONS = {
    "I10": "Essential (primary) hypertension",
    "E11.9": "Type 2 diabetes mellitus without complications",
    "E11.65": "Type 2 diabetes mellitus with hyperglycemia",
    "E11.22": "Type 2 diabetes mellitus with diabetic chronic kidney disease",
    "E78.5": "Hyperlipidemia unspecified",
    "N18.30": "Chronic kidney disease stage 3 unspecified",
    "N18.4": "Chronic kidney disease stage 4 (severe)",
    "J44.9": "Chronic obstructive pulmonary disease unspecified",
    "I50.9": "Heart failure unspecified",
    "I48.91": "Unspecified atrial fibrillation",
    "E03.9": "Hypothyroidism unspecified",
    "M17.0": "Bilateral primary osteoarthritis of knee",
    "F33.1": "Major depressive disorder recurrent moderate",
    "K21.9": "Gastro-esophageal reflux disease without esophagitis",
    "I25.10": "Atherosclerotic heart disease of native coronary artery without angina pectoris",
    "J45.909": "Unspecified asthma uncomplicated",
    "G30.9": "Alzheimer disease unspecified",
    "F41.1": "Generalized anxiety disorder",
    "J06.9": "Acute upper respiratory infection unspecified",
    "N39.0": "Urinary tract infection site not specified",
    "R42": "Dizziness and giddiness",
    "Z76.0": "Encounter for issue of repeat prescription",
}
CHRONIC_CODES = [c for c in ICD_DESCRIPTIONS if c not in {"J06.9", "N39.0", "R42", "Z76.0"}]
ACUTE_CODES = ["J06.9", "N39.0", "R42", "Z76.0"]


# --------------------------------------------------------------------------------------------
# Writing one report


@dataclass(frozen=True)
class Layout:
    """How one export looks. Every field maps to a quirk of REPORTS.md."""

    headers: dict[str, str] = field(default_factory=dict)  # canonical -> header text
    title_rows: bool = True
    date_style: str = "cell"  # cell (xlsx date) | text (MM/DD/YYYY) | serial (plain number)
    duration_style: str = "minutes"  # minutes | hmm (text) | time_cell ([h]:mm) | min_text
    # | start_end (Start Time + End Time from the row's start_time)
    account_style: str = "text"  # text (zero-padded) | number (leading zeros lost) | float
    name_style: str = "comma"  # comma ("LAST, FIRST M") | split (Last Name + First Name)
    icd_style: str = "semicolon_desc"  # semicolon_desc | comma_nodot | newline_desc | pipe
    # | assessment ("I10 Essential ...; ...") | columns (ICD1..ICD4)
    group_by: str | None = None  # canonical column whose value opens a group row
    sheet_by: str | None = None  # canonical column splitting rows into sheets (xlsx)
    page_break_every: int = 0  # repeat the header after this many data rows
    footers: tuple[str, ...] = ("count",)  # count | grand_total | page
    encoding: str = "utf-8-sig"  # csv only: utf-8-sig | utf-8 | cp1252
    extra_columns: dict[str, str] = field(default_factory=dict)  # header -> constant value


@dataclass(frozen=True)
class Styled:
    """An xlsx cell value with its number format."""

    value: object
    number_format: str


def month_bounds(month: str) -> tuple[dt.date, dt.date]:
    year, mon = (int(part) for part in month.split("-"))
    return dt.date(year, mon, 1), dt.date(year, mon, calendar.monthrange(year, mon)[1])


def title_block(kind: str, month: str) -> list[list[object]]:
    first, last = month_bounds(month)
    generated = dt.datetime.combine(last + dt.timedelta(days=4), dt.time(7, 42))
    return [
        [REPORT_TITLES[kind]],
        [PRACTICE_NAME],
        [f"Report Period: {first:%m/%d/%Y} - {last:%m/%d/%Y}"],
        [f"Report generated {generated:%m/%d/%Y %I:%M %p} by ECWADMIN"],
        [],
    ]


def _columns(kind: str, rows: Sequence[dict], layout: Layout) -> list[str]:
    present = {key for row in rows for key, value in row.items() if value not in (None, "")}
    order = list(KIND_COLUMNS[kind]) + [k for k in DEFAULT_HEADERS if k not in KIND_COLUMNS[kind]]
    columns = [c for c in order if c in present or c in layout.headers]
    if kind == "telephone_encounters" and layout.duration_style == "start_end":
        columns = [c for c in columns if c != "minutes"]
        if "start_time" in columns:
            columns.insert(columns.index("start_time") + 1, "end_time")
    elif "start_time" in columns and kind == "telephone_encounters":
        columns.remove("start_time")
    return columns


def _header_cells(columns: list[str], layout: Layout) -> list[str]:
    cells: list[str] = []
    for column in columns:
        if column == "patient_name" and layout.name_style == "split":
            cells += [
                layout.headers.get("last_name", "Last Name"),
                layout.headers.get("first_name", "First Name"),
            ]
        elif column in ICD_LIST_COLUMNS and layout.icd_style == "columns":
            cells += [f"ICD{i}" for i in range(1, 5)]
        else:
            cells.append(layout.headers.get(column, DEFAULT_HEADERS[column]))
    return cells + list(layout.extra_columns)


def _date_cell(value: dt.date, layout: Layout) -> object:
    has_time = isinstance(value, dt.datetime)
    if layout.date_style == "serial" and not has_time:
        return (value - EXCEL_EPOCH).days
    if layout.date_style == "cell":
        return Styled(value, "mm/dd/yyyy h:mm AM/PM" if has_time else "mm/dd/yyyy")
    return f"{value:%m/%d/%Y %I:%M %p}" if has_time else f"{value:%m/%d/%Y}"


def _duration_cell(minutes: int, layout: Layout) -> object:
    if layout.duration_style == "hmm":
        return f"{minutes // 60}:{minutes % 60:02d}"
    if layout.duration_style == "time_cell":
        return Styled(minutes / 1440, "[h]:mm")
    if layout.duration_style == "min_text":
        return f"{minutes} min"
    return minutes


def _account_cell(value: str, layout: Layout) -> object:
    if not value.isdigit():  # a deliberately bad value passes through untouched
        return value
    if layout.account_style == "number":
        return int(value)
    if layout.account_style == "float":
        return float(int(value))
    return value


def _icd_cells(codes: Sequence[str] | str, layout: Layout) -> list[str]:
    if isinstance(codes, str):
        return [codes]
    style = layout.icd_style
    if style == "columns":
        return [*codes[:4], *[""] * (4 - len(codes[:4]))]
    if style == "comma_nodot":
        return [", ".join(code.replace(".", "") for code in codes)]
    if style == "pipe":
        return ["|".join(codes)]
    if style == "assessment":
        return ["; ".join(f"{code} {ICD_DESCRIPTIONS.get(code, '')}".strip() for code in codes)]
    described = [f"{code} - {ICD_DESCRIPTIONS[code]}" for code in codes]
    return ["\n".join(described) if style == "newline_desc" else "; ".join(described)]


def _time_text(value: dt.time) -> str:
    return dt.datetime.combine(dt.date(2000, 1, 1), value).strftime("%I:%M %p")


def _row_cells(row: dict, columns: list[str], layout: Layout) -> list[object]:
    cells: list[object] = []
    for column in columns:
        value = row.get(column)
        if column == "patient_name" and layout.name_style == "split":
            last, _, first = (value or "").partition(",")
            cells += [last.strip(), first.strip()]
        elif column in ICD_LIST_COLUMNS and value is not None:
            cells += _icd_cells(value, layout)
        elif column in ICD_LIST_COLUMNS and layout.icd_style == "columns":
            cells += [""] * 4
        elif column == "end_time":
            start = dt.datetime.combine(dt.date(2000, 1, 1), row["start_time"])
            cells.append(_time_text((start + dt.timedelta(minutes=row["minutes"])).time()))
        elif value is None:
            cells.append("")
        elif column == "patient_acct_no":
            cells.append(_account_cell(value, layout))
        elif column in DATE_COLUMNS and isinstance(value, dt.date):
            cells.append(_date_cell(value, layout))
        elif column in MINUTE_COLUMNS and isinstance(value, int):
            cells.append(_duration_cell(value, layout))
        elif isinstance(value, dt.time):
            cells.append(_time_text(value))
        else:
            cells.append(value)
    return cells + list(layout.extra_columns.values())


def _render_sheet(
    kind: str, rows: Sequence[dict], layout: Layout, month: str, columns: list[str]
) -> list[list]:
    """Title rows, header, group rows, page breaks and footers for one sheet."""
    header = _header_cells(columns, layout)
    out: list[list] = title_block(kind, month) if layout.title_rows else []
    out.append(header)
    pages = 1 + (max(len(rows) - 1, 0) // layout.page_break_every if layout.page_break_every else 0)
    group = object()
    for index, row in enumerate(rows):
        if layout.page_break_every and index and index % layout.page_break_every == 0:
            page = index // layout.page_break_every
            out += [[f"Page {page} of {pages}"], [], list(header)]
        if layout.group_by and row.get(layout.group_by) != group:
            group = row.get(layout.group_by)
            out.append([group])
        out.append(_row_cells(row, columns, layout))
    out.append([])
    minute_column = next((c for c in columns if c in MINUTE_COLUMNS), None)
    for footer in layout.footers:
        if footer == "count":
            out.append([f"Count: {len(rows)}"])
        elif footer == "grand_total" and minute_column:
            total = sum(r[minute_column] for r in rows if isinstance(r.get(minute_column), int))
            line: list[object] = [""] * len(header)
            line[0] = "Grand Total:"
            line[
                header.index(layout.headers.get(minute_column, DEFAULT_HEADERS[minute_column]))
            ] = f"{total:,}"
            out.append(line)
        elif footer == "page":
            out.append([f"Page {pages} of {pages}"])
    return out


def _plain(cell: object) -> str:
    """A cell as CSV/HTML text, the way a text export shows it."""
    if isinstance(cell, Styled):
        if isinstance(cell.value, dt.datetime):
            return f"{cell.value:%m/%d/%Y %I:%M %p}"
        if isinstance(cell.value, dt.date):
            return f"{cell.value:%m/%d/%Y}"
        minutes = round(float(cell.value) * 1440)
        return f"{minutes // 60}:{minutes % 60:02d}"
    if isinstance(cell, float) and cell.is_integer():
        return f"{cell:.1f}"
    return "" if cell is None else str(cell)


def _save_xlsx(workbook: Workbook, path: Path) -> None:
    """Save with fixed timestamps: openpyxl stamps `modified` and zip entries with the clock."""
    workbook.properties.creator = "eClinicalWorks"
    workbook.properties.created = FIXED_STAMP
    workbook.properties.modified = FIXED_STAMP
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        ExcelWriter(workbook, archive).write_data()
    buffer.seek(0)
    with (
        zipfile.ZipFile(buffer) as source,
        zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as target,
    ):
        for info in source.infolist():
            stable = zipfile.ZipInfo(info.filename, date_time=FIXED_STAMP.timetuple()[:6])
            stable.compress_type = zipfile.ZIP_DEFLATED
            stable.external_attr = 0o600 << 16
            target.writestr(stable, source.read(info.filename))


def _write_xlsx(sheets: list[tuple[str, list[list]]], path: Path) -> None:
    workbook = Workbook()
    workbook.remove(workbook.active)
    for name, table in sheets:
        sheet = workbook.create_sheet(name[:31])
        for row_index, row in enumerate(table, start=1):
            for col_index, value in enumerate(row, start=1):
                if value in (None, ""):
                    continue
                cell = sheet.cell(row=row_index, column=col_index)
                if isinstance(value, Styled):
                    cell.value = value.value
                    cell.number_format = value.number_format
                else:
                    cell.value = value
    _save_xlsx(workbook, path)


def _write_csv(table: list[list], path: Path, encoding: str) -> None:
    text = io.StringIO()
    csv.writer(text, lineterminator="\r\n").writerows([[_plain(c) for c in r] for r in table])
    path.write_bytes(text.getvalue().encode(encoding))


def _write_html_xls(table: list[list], path: Path, kind: str) -> None:
    """A Cognos-style "Excel 2000" export: an HTML table saved with an .xls extension."""
    width = max(len(row) for row in table)
    lines = [
        '<html xmlns:o="urn:schemas-microsoft-com:office:office" '
        'xmlns:x="urn:schemas-microsoft-com:office:excel">',
        '<head><meta http-equiv="Content-Type" content="text/html; charset=utf-8">',
        f"<title>{html.escape(REPORT_TITLES[kind])}</title></head>",
        "<body><table border=1>",
    ]
    for row in table:
        cells = [html.escape(_plain(c)).replace("\n", "<br>") for c in row]
        if len(cells) == 1:
            lines.append(f"<tr><td colspan={width}>{cells[0]}</td></tr>")
        elif not cells:
            lines.append(f"<tr><td colspan={width}>&nbsp;</td></tr>")
        else:
            lines.append("<tr>" + "".join(f"<td>{c}</td>" for c in cells) + "</tr>")
    lines.append("</table></body></html>")
    path.write_bytes(("\r\n".join(lines) + "\r\n").encode("utf-8"))


def write_report(
    kind: str,
    rows: Sequence[dict],
    path: str | Path,
    fmt: str = "xlsx",
    month: str = "2025-03",
    layout: Layout | None = None,
) -> Path:
    """Write one report of `kind` from canonical rows, eCW style, and return its path.

    Rows use the canonical column names (`patient_acct_no` as 8-digit text, dates as
    `datetime.date`, minutes as `int`, ICD codes as a list of dotted codes); any value given
    as text is written verbatim, which is how a test plants an unreadable value.
    `fmt` is `xlsx`, `csv` or `html_xls`; `month` sets the "Report Period" title line.
    """
    if kind not in KIND_COLUMNS:
        raise ValueError(f"unknown report kind {kind!r}")
    layout = layout or Layout()
    columns = _columns(kind, rows, layout)  # one header for every sheet of the file
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    if fmt == "xlsx":
        if layout.sheet_by:
            groups: dict[str, list[dict]] = {}
            for row in rows:
                groups.setdefault(str(row.get(layout.sheet_by)), []).append(row)
            sheets = [
                (_sheet_name(name), _render_sheet(kind, chunk, layout, month, columns))
                for name, chunk in groups.items()
            ]
        else:
            sheets = [("Report", _render_sheet(kind, rows, layout, month, columns))]
        _write_xlsx(sheets, path)
    elif fmt == "csv":
        _write_csv(_render_sheet(kind, rows, layout, month, columns), path, layout.encoding)
    elif fmt == "html_xls":
        _write_html_xls(_render_sheet(kind, rows, layout, month, columns), path, kind)
    else:
        raise ValueError(f"unknown format {fmt!r}")
    return path


def _sheet_name(value: str) -> str:
    cleaned = "".join(ch for ch in value if ch not in "[]:*?/\\").strip()
    return cleaned[:31] or "Sheet"


# --------------------------------------------------------------------------------------------
# The synthetic practice


def npi(base: str) -> str:
    """A 10-digit NPI with a valid check digit (Luhn over the 80840 prefix)."""
    digits = [int(d) for d in "80840" + base]
    total = 0
    for index, digit in enumerate(reversed(digits)):
        if index % 2 == 0:
            digit *= 2
            digit = digit - 9 if digit > 9 else digit
        total += digit
    return base + str((10 - total % 10) % 10)


@dataclass(frozen=True)
class Person:
    name: str
    role: str


PROVIDERS = {
    "A": Person("Castellano, Miriam MD", "MD"),
    "B": Person("Okafor-Lindahl, Daniel DO", "DO"),
    "C": Person("Fairbanks, Leigh NP", "NP"),
}
PROVIDER_NPI = {"A": npi("174205831"), "B": npi("152908364"), "C": npi("136047719")}
# The staff log under their own user name; a practitioner logs as "Last, First".
PRACTICE_STAFF = {
    "RN1": Person("Whitlock, Dana", "RN"),
    "RN2": Person("Faraday, Joelle", "RN"),
    "LPN": Person("Penrose, Luis", "LPN"),
    "MA": Person("Adeyemi, Tessa", "MA"),
    "CMA": Person("Kowalczyk, Brianna", "CMA"),
    "FD": Person("Bramwell, Kit", "Front Desk"),
    "SCH": Person("Ostrander, Gail", "Scheduler"),
    "MD_A": Person("Castellano, Miriam", "MD"),
}
CLINICAL_STAFF = ["RN1", "RN2", "LPN", "MA", "CMA"]
VENDOR_CARE_MANAGERS = [
    Person("Lindqvist, Marta", "RN"),
    Person("Achterberg, Nora", "RN"),
    Person("Delacroix, Samir", "RN"),
]


def _words(text: str) -> list[str]:
    return text.split()


LAST_NAMES = _words(
    "ABERNATHY ALDRIDGE BANKSTON BARRETT BEAUMONT BELLAMY BOSWELL BRANNIGAN CALLOWAY CARDENAS "
    "CHANDLER COLLIER CORCORAN DALTON DAVENPORT DELGADO DOUGHERTY EASTMAN ELLINGTON ESPINOZA "
    "FAIRCLOTH FENWICK GALLAGHER GARRISON HADLEY HALVORSEN HARGROVE HOLLOWAY IBARRA JESSUP "
    "KAVANAGH KENDRICK LANGFORD LOCKWOOD MACALLISTER MADDOX MERRIWEATHER MONTOYA NAKAMURA "
    "NORTHCUTT OAKLEY PEMBERTON PRESCOTT QUINTERO RADCLIFFE REDMOND SALAZAR SHELBURNE "
    "STANHOPE SUTHERLAND TALBOT THORNBURY UNDERHILL VALENTINE WAKEFIELD WHITFIELD YARBROUGH "
    "ZAMORA HUDDLESTON PENNINGTON"
)
FIRST_NAMES = {
    "F": _words(
        "AGNES BEATRICE CAROL DOLORES EDNA FLORENCE GLORIA HAZEL IRENE JUNE LORRAINE MAVIS "
        "NADINE OPAL PEARL ROSALIND SYLVIA THELMA VERNA WILMA RENÉE MARGARET LUCILLE"
    ),
    "M": _words(
        "ALVIN BERNARD CLIFFORD DEWEY EUGENE FLOYD GERALD HOMER IRVING JULIUS LEONARD MILTON "
        "NORMAN OSCAR PERCY RALPH STANLEY THEODORE VERNON WALLACE JOSÉ HAROLD CLARENCE"
    ),
}
MEDICARE_PLANS = ["Medicare", "MEDICARE PART B", "Medicare Part B"]
OTHER_PLANS = [
    "Humana Medicare Advantage PPO",
    "UnitedHealthcare Medicare Advantage HMO",
    "Aetna Choice POS II",
    "Blue Cross Blue Shield PPO",
]
NOT_ELIGIBLE_REASONS = [
    "Fewer than 2 chronic conditions",
    "Receives CCM from another practice",
    "Declined CCM",
    "Medicare Advantage plan - not covered",
]
NOT_ENABLED_STATUSES = ["Not Enrolled", "Outreach pending", "Declined", "Left voicemail"]
PHM_ACTIVITIES = [
    "Care plan review",
    "Medication reconciliation",
    "Call with pharmacy re refills",
    "Coordinated cardiology referral",
    "Reviewed home BP log",
    "Care plan update with caregiver",
    "Lab follow-up call",
]
TE_REASONS = [
    "Refill request",
    "Patient called re BP readings",
    "Lab results discussed",
    "Question about medication side effects",
    "Caregiver called re appointment",
    "Glucose readings reviewed",
]


@dataclass
class Patient:
    acct: str
    last: str
    first: str
    middle: str
    sex: str
    dob: dt.date
    insurance: str
    provider: str
    chronic: list[str]
    consent: dt.date | None = None
    not_eligible: str | None = None
    first_month: int = 0
    last_month: int = 99
    vendor: bool = False
    complex_ccm: bool = False
    ccm_end: dt.date | None = None
    death: dt.date | None = None

    def display_name(self, rng: random.Random | None = None) -> str:
        name = f"{self.last}, {self.first}" + (f" {self.middle}" if self.middle else "")
        if rng is None:
            return name
        roll = rng.random()
        if roll < 0.15:  # stray spaces around the comma and at the ends
            return f" {self.last} ,  {self.first}" + (f" {self.middle} " if self.middle else " ")
        if roll < 0.22:
            return name.title()
        if roll < 0.25:
            return name.replace(" ", "\u00a0", 1)
        return name


@dataclass(frozen=True)
class Entry:
    """One logged block of time: PHM row or telephone encounter."""

    day: int
    minutes: int
    staff: str


@dataclass(frozen=True)
class ScenarioMonth:
    phm: tuple[Entry, ...] = ()
    te: tuple[Entry, ...] = ()
    vendor: int | None = None
    vendor_consent: bool = True
    exclusion: tuple[str, str, dt.date, dt.date | None] | None = None
    not_eligible: str | None = None


@dataclass(frozen=True)
class Scenario:
    acct: str
    last: str
    first: str
    sex: str
    dob: dt.date
    provider: str
    consent: dt.date | None
    months: dict[str, ScenarioMonth]
    insurance: str = "Medicare Part B"
    complex_ccm: bool = False
    ccm_end: dt.date | None = None
    death: dt.date | None = None
    chronic: tuple[str, ...] = ("I10", "E11.9", "E78.5")


def _e(day: int, minutes: int, staff: str) -> Entry:
    return Entry(day, minutes, staff)


# Inputs only; the expected lines are derived by hand in tests/e2e/expected_sample_lines.py.
# No scenario entry falls on a month's last day (vendor totals are dated there, R9.6), and no
# patient has two entries on one date, so duplicate merging (R9.2) cannot touch them.
SCENARIOS: tuple[Scenario, ...] = (
    Scenario("00090001", "ABERCROMBIE", "LOIS", "F", dt.date(1944, 2, 11), "A",
             dt.date(2019, 3, 11), {"2020-12": ScenarioMonth(phm=(_e(8, 19, "RN1"),))}),
    Scenario("00090002", "BRIGHTWATER", "OTIS", "M", dt.date(1939, 7, 23), "B",
             dt.date(2019, 5, 2),
             {"2020-12": ScenarioMonth(phm=(_e(3, 12, "RN1"),), te=(_e(10, 8, "MA"),))}),
    Scenario("00090003", "CLEARWELL", "IDA", "F", dt.date(1947, 12, 1), "A",
             dt.date(2019, 8, 20),
             {"2020-12": ScenarioMonth(phm=(_e(4, 25, "RN1"),), vendor=20),
              "2021-01": ScenarioMonth(phm=(_e(6, 25, "RN2"),), vendor=20)}),
    Scenario("00090004", "DUNMORE", "CALVIN", "M", dt.date(1941, 4, 30), "B",
             dt.date(2021, 1, 12),
             {"2020-12": ScenarioMonth(phm=(_e(9, 30, "RN1"),)),
              "2021-01": ScenarioMonth(phm=(_e(5, 10, "RN1"), _e(13, 15, "LPN")),
                                       te=(_e(20, 10, "MA"),))}),
    Scenario("00090005", "EVERSOLE", "MAE", "F", dt.date(1936, 9, 14), "A",
             dt.date(2020, 2, 3),
             {"2020-12": ScenarioMonth(phm=(_e(2, 30, "RN2"),), te=(_e(11, 15, "MA"),),
                                       vendor=15)}),
    Scenario("00090006", "FOXHALL", "RUBEN", "M", dt.date(1945, 1, 5), "B",
             dt.date(2019, 11, 18),
             {"2020-12": ScenarioMonth(phm=(_e(14, 20, "LPN"),), vendor=15,
                                       exclusion=("Home Health", "G0180",
                                                  dt.date(2020, 12, 7), None))}),
    Scenario("00090007", "GLENDENNING", "ORA", "F", dt.date(1950, 6, 19), "A",
             dt.date(2020, 6, 1),
             {"2021-01": ScenarioMonth(phm=(_e(7, 24, "RN1"), _e(19, 15, "CMA")))}),
    Scenario("00090008", "HAWTHORNE", "CYRIL", "M", dt.date(1938, 3, 27), "B",
             dt.date(2020, 9, 9),
             {"2021-01": ScenarioMonth(phm=(_e(8, 20, "RN2"),), vendor=20)}),
    Scenario("00090009", "ISELIN", "VIOLA", "F", dt.date(1942, 10, 2), "A",
             dt.date(2019, 1, 15),
             {"2021-01": ScenarioMonth(phm=(_e(12, 25, "MD_A"),), te=(_e(14, 10, "RN1"),))}),
    Scenario("00090010", "JARDINE", "WALTER", "M", dt.date(1934, 8, 8), "B",
             dt.date(2020, 4, 22),
             {"2021-01": ScenarioMonth(phm=(_e(15, 30, "RN1"),),
                                       exclusion=("TCM", "99495", dt.date(2021, 1, 11), None))}),
    Scenario("00090011", "KILBRIDE", "NELL", "F", dt.date(1949, 5, 16), "A",
             dt.date(2020, 7, 7),
             {"2021-01": ScenarioMonth(phm=(_e(18, 15, "RN2"), _e(19, 10, "FD")),
                                       te=(_e(21, 8, "SCH"),))}),
    Scenario("00090012", "LANGSTAFF", "HUGO", "M", dt.date(1951, 11, 29), "B",
             dt.date(2023, 2, 14),
             {"2025-03": ScenarioMonth(phm=(_e(4, 34, "RN1"),), te=(_e(11, 25, "CMA"),))}),
    Scenario("00090013", "MERIDETH", "JOAN", "F", dt.date(1946, 4, 4), "A",
             dt.date(2022, 10, 3),
             {"2025-03": ScenarioMonth(phm=(_e(5, 20, "RN1"), _e(13, 20, "LPN")),
                                       te=(_e(18, 25, "MA"),), vendor=30)}),
    Scenario("00090014", "NORTHROP", "ELMER", "M", dt.date(1940, 12, 12), "B",
             dt.date(2024, 1, 8),
             {"2025-03": ScenarioMonth(phm=(_e(6, 10, "RN2"),), te=(_e(12, 12, "MA"),),
                                       vendor=18)}),
    Scenario("00090015", "OSTROWSKI", "FERN", "F", dt.date(1943, 7, 1), "A", None,
             {"2025-03": ScenarioMonth(vendor=30, vendor_consent=False)}),
    Scenario("00090016", "PELLETIER", "ARLO", "M", dt.date(1937, 2, 17), "B",
             dt.date(2023, 6, 5),
             {"2025-03": ScenarioMonth(phm=(_e(20, 15, "RN1"),), vendor=15,
                                       exclusion=("SNF", "99309", dt.date(2025, 3, 4),
                                                  dt.date(2025, 3, 18)))}),
    Scenario("00090017", "QUARLES", "BETTY", "F", dt.date(1933, 9, 25), "A",
             dt.date(2022, 3, 30),
             {"2025-03": ScenarioMonth(phm=(_e(7, 25, "RN2"),),
                                       exclusion=("Hospice", "", dt.date(2025, 3, 12), None))}),
    Scenario("00090018", "ROSSITER", "DALE", "M", dt.date(1948, 1, 20), "B",
             dt.date(2024, 5, 13),
             {"2025-03": ScenarioMonth(vendor=30,
                                       not_eligible="Receives CCM from another practice")}),
    Scenario("00090019", "STROTHER", "MINNIE", "F", dt.date(1944, 8, 3), "A",
             dt.date(2023, 9, 19),
             {"2025-03": ScenarioMonth(phm=(_e(10, 30, "RN1"),))},
             insurance="Humana Medicare Advantage PPO"),
    Scenario("00090020", "TRUEBLOOD", "AMOS", "M", dt.date(1955, 5, 9), "B",
             dt.date(2024, 2, 26),
             {"2025-03": ScenarioMonth(phm=(_e(10, 25, "LPN"),))},
             insurance="Blue Cross Blue Shield PPO"),
    Scenario("00090021", "UPCHURCH", "GRETA", "F", dt.date(1939, 3, 3), "A",
             dt.date(2022, 12, 1),
             {"2025-03": ScenarioMonth(phm=(_e(3, 25, "RN1"), _e(17, 20, "RN2")),
                                       te=(_e(25, 20, "MA"),), vendor=30)},
             complex_ccm=True, chronic=("I50.9", "N18.4", "E11.22", "I48.91")),
    Scenario("00090022", "VANDERPOOL", "ROY", "M", dt.date(1935, 10, 10), "B",
             dt.date(2021, 4, 6),
             {"2025-03": ScenarioMonth(phm=(_e(10, 22, "RN1"),), te=(_e(24, 10, "MA"),))},
             death=dt.date(2025, 3, 20)),
    Scenario("00090023", "WINSLOW", "PHOEBE", "F", dt.date(1952, 2, 28), "A",
             dt.date(2023, 11, 2),
             {"2025-03": ScenarioMonth(phm=(_e(5, 10, "RN2"), _e(24, 15, "LPN")))},
             ccm_end=dt.date(2025, 3, 14)),
    Scenario("00090024", "YOUNGBLOOD", "SILAS", "M", dt.date(1947, 6, 6), "B",
             dt.date(2024, 8, 15), {"2025-03": ScenarioMonth(vendor=20)},
             insurance="MEDICARE"),
)  # fmt: skip


def build_population(count: int, months: Sequence[str], rng: random.Random) -> list[Patient]:
    """Random patients outside the scenario range, with consents spread over the years."""
    taken: set[int] = set()
    first_month, last_month = month_bounds(months[0])[0], month_bounds(months[-1])[1]
    patients = []
    for _ in range(count):
        number = rng.randrange(10000, 990000)
        while number in taken or number in SCENARIO_ACCOUNTS:
            number = rng.randrange(10000, 990000)
        taken.add(number)
        sex = rng.choice("FM")
        roll = rng.random()
        insurance = rng.choice(MEDICARE_PLANS) if roll < 0.84 else rng.choice(OTHER_PLANS)
        patient = Patient(
            acct=f"{number:08d}",
            last=rng.choice(LAST_NAMES),
            first=rng.choice(FIRST_NAMES[sex]),
            middle=rng.choice(["", "", "A", "B", "J", "L", "M", "R"]),
            sex=sex,
            dob=dt.date(1930, 1, 1) + dt.timedelta(days=rng.randrange(0, 10592)),
            insurance=insurance,
            provider=rng.choice("AAABBBC"),
            chronic=rng.sample(CHRONIC_CODES, rng.randint(2, 5)),
        )
        status = rng.random()
        if status < 0.10:
            patient.not_eligible = rng.choice(NOT_ELIGIBLE_REASONS)
            if patient.not_eligible.startswith("Fewer"):
                patient.chronic = patient.chronic[:1]
        elif status < 0.72:
            # Most enrolled before the first month; the rest enrol later (not enabled until then).
            start = dt.date(2018, 1, 1) if rng.random() < 0.7 else first_month
            span = ((first_month if start.year == 2018 else last_month) - start).days
            patient.consent = start + dt.timedelta(days=rng.randrange(span))
            patient.provider = rng.choice("AB")
            patient.vendor = rng.random() < 0.5
            patient.complex_ccm = rng.random() < 0.05
        if rng.random() < 0.12:
            patient.first_month = rng.randrange(1, max(len(months), 2))
        if rng.random() < 0.08:
            patient.last_month = rng.randrange(0, len(months))
            if rng.random() < 0.4:
                first, last = month_bounds(months[patient.last_month])
                patient.death = first + dt.timedelta(days=rng.randrange((last - first).days))
        patients.append(patient)
    patients.sort(key=lambda p: p.acct)
    return patients


def scenario_patient(scenario: Scenario) -> Patient:
    return Patient(
        acct=scenario.acct,
        last=scenario.last,
        first=scenario.first,
        middle="",
        sex=scenario.sex,
        dob=scenario.dob,
        insurance=scenario.insurance,
        provider=scenario.provider,
        chronic=list(scenario.chronic),
        consent=scenario.consent,
        complex_ccm=scenario.complex_ccm,
        ccm_end=scenario.ccm_end,
        death=scenario.death,
    )


# Formats per month, cycling: the first month looks like PROFILES[0], and so on.
PROFILES: tuple[dict[str, tuple[str, str, Layout]], ...] = (
    {
        "ccm_enabled": ("CCM_Enabled_Patients_{mon}{yyyy}.xlsx", "xlsx", Layout(
            headers={"provider_name": "PCP", "sex": "Sex"}, account_style="number",
            sheet_by="provider_name")),
        "ccm_not_enabled": ("CCM Not Enabled {yyyy}-{mm}.xlsx", "xlsx", Layout(
            headers={"patient_acct_no": "Acct No", "dob": "Date of Birth", "sex": "Gender",
                     "primary_insurance": "Insurance", "reason": "Status",
                     "chronic_conditions": "Chronic Conditions"},
            date_style="text", group_by="provider_name", page_break_every=40,
            footers=("count", "page"))),
        "ccm_not_eligible": ("CCM Not Eligible {yyyy}-{mm}.csv", "csv", Layout(
            headers={"patient_acct_no": "Account Number", "primary_insurance": "Ins Name",
                     "provider_name": "Rendering Provider", "chronic_conditions": "ICD Codes"},
            date_style="text", icd_style="comma_nodot", encoding="utf-8-sig")),
        "exclusions": ("Exclusion List {yyyy}-{mm}.xlsx", "xlsx", Layout(
            headers={"patient_acct_no": "MRN", "service_end_date": "End Date"},
            account_style="number")),
        "practice_minutes": ("PHM CCM Minutes {yyyy}-{mm}.xlsx", "xlsx", Layout(
            headers={"activity_date": "Date", "staff_name": "Staff"},
            group_by="staff_name", page_break_every=60, footers=("grand_total", "page"))),
        "telephone_encounters": ("Telephone Encounters {mm}-{yyyy}.xls", "html_xls", Layout(
            headers={"encounter_id": "Enc ID", "patient_acct_no": "Acct No",
                     "encounter_date": "TE Date", "staff_name": "Assigned To",
                     "staff_role": "Staff Role", "reason": "Subject",
                     "icd_codes": "Assessment", "minutes": "Duration"},
            account_style="number", duration_style="min_text", icd_style="assessment",
            group_by="provider_name", footers=("count",))),
        "vendor_billing": ("MDR_vendor_monthly_{yyyy}{mm}.csv", "csv", Layout(
            headers={"patient_acct_no": "EHR ID"}, title_rows=False, account_style="float",
            date_style="text", footers=("grand_total",), encoding="utf-8")),
    },
    {
        "ccm_enabled": ("CCM_Enabled_Patients_{mon}{yyyy}.xlsx", "xlsx", Layout(
            headers={"patient_acct_no": "Account No", "consent_date": "Consent Date",
                     "complex_ccm": "Complexity", "chronic_conditions": "ICD Codes",
                     "date_of_death": "Deceased Date", "ccm_end_date": "CCM End Date",
                     "provider_npi": "NPI"},
            name_style="split", date_style="text", icd_style="comma_nodot",
            sheet_by="provider_name", footers=("count",),
            extra_columns={"Last Visit": ""})),
        "ccm_not_enabled": ("CCM Not Enabled {yyyy}-{mm}.xlsx", "xlsx", Layout(
            account_style="number", group_by="provider_name", icd_style="pipe")),
        "ccm_not_eligible": ("CCM Not Eligible {yyyy}-{mm}.csv", "csv", Layout(
            headers={"patient_acct_no": "Chart No", "dob": "Patient DOB",
                     "provider_name": "PCP"},
            account_style="number", date_style="text", encoding="utf-8-sig")),
        "exclusions": ("Exclusion List {yyyy}-{mm}.xlsx", "xlsx", Layout(
            headers={"patient_acct_no": "Account Number", "exclusion_type": "Category",
                     "cpt_code": "HCPCS", "service_date": "From Date",
                     "service_end_date": "To Date"},
            date_style="serial")),
        "practice_minutes": ("PHM CCM Minutes {yyyy}-{mm}.xlsx", "xlsx", Layout(
            headers={"patient_acct_no": "Chart No", "activity_date": "Log Date",
                     "minutes": "Time Spent", "staff_name": "Logged By", "staff_role": "Role",
                     "activity": "Description"},
            date_style="text", duration_style="hmm", page_break_every=45,
            footers=("grand_total", "page"))),
        "telephone_encounters": ("Telephone Encounters {mm}-{yyyy}.xlsx", "xlsx", Layout(
            headers={"encounter_id": "TE #", "provider_name": "Rendering Provider",
                     "staff_name": "Created By", "staff_role": "Credential"},
            account_style="number", duration_style="start_end", icd_style="columns",
            group_by="provider_name")),
        "vendor_billing": ("MDR_vendor_monthly_{yyyy}{mm}.csv", "csv", Layout(
            headers={"patient_acct_no": "Practice Account No", "reported_month": "Billing Month",
                     "total_minutes": "Minutes", "care_manager_role": "Role"},
            title_rows=False, name_style="split", date_style="text", footers=(),
            encoding="utf-8-sig")),
    },
    {
        "ccm_enabled": ("CCM_Enabled_Patients_{mon}{yyyy}.xlsx", "xlsx", Layout(
            headers={"patient_acct_no": "Patient Account #", "dob": "Patient DOB",
                     "primary_insurance": "Ins Name", "provider_npi": "NPI",
                     "facility": "Location", "consent_date": "Enrollment Date",
                     "chronic_conditions": "Chronic Conditions"},
            icd_style="newline_desc", sheet_by="provider_name", page_break_every=50)),
        "ccm_not_enabled": ("CCM Not Enabled {yyyy}-{mm}.xlsx", "xlsx", Layout(
            headers={"provider_name": "Rendering Provider", "reason": "Status"},
            date_style="serial", group_by="provider_name")),
        "ccm_not_eligible": ("CCM Not Eligible {yyyy}-{mm}.csv", "csv", Layout(
            headers={"primary_insurance": "Insurance"}, date_style="text",
            encoding="utf-8-sig")),
        "exclusions": ("Exclusion List {yyyy}-{mm}.xlsx", "xlsx", Layout(
            headers={"patient_acct_no": "Acct No", "exclusion_type": "Service Type",
                     "cpt_code": "Procedure Code", "service_date": "Start Date",
                     "service_end_date": "Discharge Date"},
            group_by="exclusion_type")),
        "practice_minutes": ("PHM CCM Minutes {yyyy}-{mm}.xlsx", "xlsx", Layout(
            headers={"patient_acct_no": "Acct No", "minutes": "Duration",
                     "staff_role": "Credential", "activity": "Notes"},
            duration_style="time_cell", account_style="number", group_by="staff_name",
            page_break_every=70, footers=("grand_total",))),
        "telephone_encounters": ("Telephone Encounters {mm}-{yyyy}.csv", "csv", Layout(
            headers={"patient_acct_no": "MRN", "encounter_date": "Date",
                     "staff_name": "Assigned To", "staff_role": "Role", "reason": "Message",
                     "icd_codes": "Dx Codes", "minutes": "Call Duration"},
            date_style="text", icd_style="pipe", encoding="cp1252", footers=("count",))),
        "vendor_billing": ("MDR_vendor_monthly_{yyyy}{mm}.csv", "csv", Layout(
            headers={"patient_acct_no": "EMR ID", "reported_month": "Month",
                     "total_minutes": "Time Spent", "care_manager_role": "Care Manager Role",
                     "suggested_codes": "Billable Codes", "complex_ccm": "Complexity"},
            date_style="text", footers=("grand_total",), encoding="utf-8")),
    },
)  # fmt: skip


def vendor_codes(minutes: int, year: int) -> str:
    """The vendor's own code suggestion from its total alone (the pipeline recomputes)."""
    if minutes < 20:
        return ""
    add_on = min((minutes - 20) // 20, 2)
    code = "G2058" if year == 2020 else "99439"
    return "99490" + (f"; {code}x{add_on}" if add_on else "")


def reported_month(month: str, style: int) -> str:
    first, _ = month_bounds(month)
    return [f"{first:%m/%Y}", month, f"{first:%b %Y}"][style % 3]


class MonthBuilder:
    """Collects one month's canonical rows for every report kind."""

    def __init__(self, month: str, index: int, rng: random.Random):
        self.month, self.index, self.rng = month, index, rng
        self.first, self.last = month_bounds(month)
        self.rows: dict[str, list[dict]] = {kind: [] for kind in KIND_COLUMNS}
        self._encounter = 410000 + index * 20000

    def day(self, day: int) -> dt.date:
        return self.first.replace(day=day)

    def random_day(self) -> dt.date:
        return self.first + dt.timedelta(days=self.rng.randrange(self.last.day))

    def patient_row(self, patient: Patient, reason: str | None = None) -> dict:
        provider = PROVIDERS[patient.provider]
        return {
            "patient_acct_no": patient.acct,
            "patient_name": patient.display_name(self.rng),
            "dob": patient.dob,
            "sex": patient.sex,
            "primary_insurance": patient.insurance,
            "provider_name": provider.name,
            "provider_npi": PROVIDER_NPI[patient.provider],
            "facility": FACILITY,
            "chronic_conditions": patient.chronic,
            "date_of_death": patient.death,
            "reason": reason,
        }

    def enabled(self, patient: Patient) -> None:
        row = self.patient_row(patient)
        row.update(
            consent_date=patient.consent,
            ccm_end_date=patient.ccm_end,
            complex_ccm="Y" if patient.complex_ccm else "N",
            reason=None,
        )
        self.rows["ccm_enabled"].append(row)

    def phm(self, patient: Patient, when: dt.date | str, minutes: int | str, staff: Person) -> None:
        when_value: dt.date | str = when
        if self.index % 3 == 2 and isinstance(when, dt.date):  # this export carries the time
            when_value = dt.datetime.combine(when, dt.time(8 + self.rng.randrange(9), 5))
        self.rows["practice_minutes"].append(
            {
                "patient_acct_no": patient.acct,
                "patient_name": patient.display_name(self.rng),
                "dob": patient.dob,
                "activity_date": when_value,
                "start_time": when_value.time() if isinstance(when_value, dt.datetime) else None,
                "minutes": minutes,
                "staff_name": staff.name,
                "staff_role": staff.role,
                "activity": self.rng.choice(PHM_ACTIVITIES),
                "program": "CCM",
            }
        )

    def te(self, patient: Patient, when: dt.date, minutes: int, staff: Person) -> None:
        self._encounter += 1
        codes = patient.chronic[:2] + ([self.rng.choice(ACUTE_CODES)] if minutes < 9 else [])
        self.rows["telephone_encounters"].append(
            {
                "encounter_id": str(self._encounter),
                "patient_acct_no": patient.acct,
                "patient_name": patient.display_name(self.rng),
                "dob": patient.dob,
                "encounter_date": when,
                "provider_name": PROVIDERS[patient.provider].name,
                "staff_name": staff.name,
                "staff_role": staff.role,
                "reason": self.rng.choice(TE_REASONS) + " \u2013 call back done",
                "icd_codes": codes,
                "start_time": dt.time(8 + self.rng.randrange(9), self.rng.choice([0, 15, 30])),
                "minutes": minutes,
            }
        )

    def vendor(self, patient: Patient, minutes: int | str, consent: bool = True) -> None:
        manager = VENDOR_CARE_MANAGERS[int(patient.acct) % len(VENDOR_CARE_MANAGERS)]
        total = minutes if isinstance(minutes, int) else 0
        self.rows["vendor_billing"].append(
            {
                "vendor_patient_id": f"MDR-{int(patient.acct) * 7 % 1000003:07d}",
                "patient_acct_no": patient.acct,
                "patient_name": patient.display_name(self.rng),
                "dob": patient.dob,
                "reported_month": reported_month(self.month, self.index),
                "total_minutes": minutes,
                "care_manager": manager.name,
                "care_manager_role": manager.role,
                "billing_provider": PROVIDERS[patient.provider].name,
                "suggested_codes": vendor_codes(total, self.first.year),
                "consent_date": patient.consent if consent else None,
                "complex_ccm": "Y" if patient.complex_ccm else "N",
            }
        )

    def exclusion(
        self, patient: Patient, kind: str, cpt: str, start: dt.date, end: dt.date | None
    ) -> None:
        provider = PROVIDERS[patient.provider]
        self.rows["exclusions"].append(
            {
                "patient_acct_no": patient.acct,
                "patient_name": patient.display_name(self.rng),
                "dob": patient.dob,
                "exclusion_type": kind,
                "cpt_code": cpt or None,
                "service_date": start,
                "service_end_date": end,
                "provider_name": provider.name,
                "provider_npi": PROVIDER_NPI[patient.provider],
            }
        )


EXCLUSION_KINDS = [
    ("Home Health", "G0180"),
    ("Home Health", "G0179"),
    ("TCM", "99495"),
    ("TCM", "99496"),
    ("SNF", "99308"),
    ("Hospice", ""),
]


def add_random_month(builder: MonthBuilder, patients: Iterable[Patient]) -> Patient | None:
    """Lists, minutes, TEs and exclusions for the random population; returns the patient
    that carries this month's deliberately bad row."""
    rng = builder.rng
    bad_row_patient = None
    for patient in patients:
        if not patient.first_month <= builder.index <= patient.last_month:
            continue
        if patient.death and patient.death < builder.first:
            continue
        if patient.not_eligible:
            builder.rows["ccm_not_eligible"].append(
                builder.patient_row(patient, patient.not_eligible)
            )
            if rng.random() < 0.3:
                builder.te(patient, builder.random_day(), rng.randint(3, 12), staff_pick(rng))
            continue
        enrolled = patient.consent is not None and patient.consent <= builder.last
        if not enrolled:
            builder.rows["ccm_not_enabled"].append(
                builder.patient_row(patient, rng.choice(NOT_ENABLED_STATUSES))
            )
            for _ in range(rng.choice([0, 0, 1, 1, 2])):
                author = PROVIDERS[patient.provider] if rng.random() < 0.2 else staff_pick(rng)
                builder.te(patient, builder.random_day(), rng.randint(4, 20), author)
            continue
        builder.enabled(patient)
        if rng.random() < 0.12:
            continue  # no CCM work logged this month
        for _ in range(rng.choice([0, 1, 1, 2, 3])):
            minutes = rng.choice([5, 8, 10, 12, 15, 18, 20, 25, 30])
            builder.phm(patient, builder.random_day(), minutes, staff_pick(rng))
        for _ in range(rng.choice([0, 0, 1, 2])):
            builder.te(patient, builder.random_day(), rng.randint(4, 18), staff_pick(rng))
        if patient.vendor and rng.random() < 0.85:
            builder.vendor(patient, rng.randint(8, 70))
        if rng.random() < 0.06:
            kind, cpt = rng.choice(EXCLUSION_KINDS)
            start = builder.random_day()
            end = start + dt.timedelta(days=rng.randint(5, 25)) if kind == "SNF" else None
            builder.exclusion(patient, kind, cpt, start, end)
        logged_by_vendor = any(
            row["patient_acct_no"] == patient.acct for row in builder.rows["vendor_billing"]
        )
        if bad_row_patient is None and not logged_by_vendor:
            bad_row_patient = patient
    return bad_row_patient


def staff_pick(rng: random.Random) -> Person:
    return PRACTICE_STAFF[rng.choice(CLINICAL_STAFF)]


def add_scenarios(builder: MonthBuilder) -> None:
    for scenario in SCENARIOS:
        month = scenario.months.get(builder.month)
        if month is None:
            continue
        patient = scenario_patient(scenario)
        builder.enabled(patient)
        if month.not_eligible:
            builder.rows["ccm_not_eligible"].append(
                builder.patient_row(patient, month.not_eligible)
            )
        for entry in month.phm:
            builder.phm(patient, builder.day(entry.day), entry.minutes, PRACTICE_STAFF[entry.staff])
        for entry in month.te:
            builder.te(patient, builder.day(entry.day), entry.minutes, PRACTICE_STAFF[entry.staff])
        if month.vendor is not None:
            builder.vendor(patient, month.vendor, consent=month.vendor_consent)
        if month.exclusion:
            kind, cpt, start, end = month.exclusion
            builder.exclusion(patient, kind, cpt, start, end)


def add_bad_row(builder: MonthBuilder, patient: Patient) -> str:
    """One row per month that a reader must reject; never a scenario patient."""
    assert int(patient.acct) not in SCENARIO_ACCOUNTS
    staff = PRACTICE_STAFF["RN2"]
    variant = builder.index % 3
    if variant == 0:
        builder.phm(patient, builder.day(15), "abc", staff)
        return "practice_minutes: minutes 'abc'"
    if variant == 1:
        builder.phm(patient, f"{builder.first:%m}/32/{builder.first:%Y}", 15, staff)
        return f"practice_minutes: activity date '{builder.first:%m}/32/{builder.first:%Y}'"
    builder.vendor(patient, "pending")
    return "vendor_billing: total minutes 'pending'"


def _sort_rows(kind: str, rows: list[dict]) -> list[dict]:
    if kind == "practice_minutes":
        return sorted(
            rows, key=lambda r: (r["staff_name"], str(r["activity_date"]), r["patient_acct_no"])
        )
    if kind == "telephone_encounters":
        return sorted(
            rows, key=lambda r: (r["provider_name"], str(r["encounter_date"]), r["encounter_id"])
        )
    if kind == "exclusions":
        return sorted(
            rows, key=lambda r: (r["exclusion_type"], r["service_date"], r["patient_acct_no"])
        )
    if kind in {"ccm_enabled", "ccm_not_enabled", "ccm_not_eligible"}:
        return sorted(rows, key=lambda r: (r["provider_name"], r["patient_name"].strip().upper()))
    return sorted(rows, key=lambda r: r["patient_acct_no"])  # fmt: skip


def generate(out: Path, months: Sequence[str], patients: int, seed: int) -> list[str]:
    """Write every month's drop folder; returns one line per bad row placed (no patient data)."""
    rng = random.Random(seed)
    population = build_population(patients, months, rng)
    notes = []
    for index, month in enumerate(months):
        builder = MonthBuilder(month, index, random.Random(f"{seed}-{month}"))
        bad_patient = add_random_month(builder, population)
        add_scenarios(builder)
        if bad_patient is not None:
            notes.append(f"{month} {add_bad_row(builder, bad_patient)}")
        folder = out / month
        folder.mkdir(parents=True, exist_ok=True)
        first = builder.first
        names = {"yyyy": f"{first:%Y}", "mm": f"{first:%m}", "mon": f"{first:%b}"}
        for kind, (pattern, fmt, layout) in PROFILES[index % len(PROFILES)].items():
            rows = _sort_rows(kind, builder.rows[kind])
            write_report(kind, rows, folder / pattern.format(**names), fmt, month, layout)
    return notes


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        description="Write a deterministic synthetic CCM report drop (seven reports a month).",
    )
    parser.add_argument("--out", type=Path, default=Path("data/sample/drop"), help="drop folder")
    parser.add_argument(
        "--months",
        nargs="+",
        default=["2020-12", "2021-01", "2025-03"],
        help="service months YYYY-MM, in order (formats cycle through three export styles)",
    )
    parser.add_argument("--patients", type=int, default=300, help="random (non-scenario) patients")
    parser.add_argument("--seed", type=int, default=7, help="random seed")
    args = parser.parse_args(argv)
    for month in args.months:
        month_bounds(month)  # fails early on a malformed month
    notes = generate(args.out, args.months, args.patients, args.seed)
    files = sorted(p for p in args.out.rglob("*") if p.is_file())
    print(f"wrote {len(files)} files for {len(args.months)} months into {args.out}")
    for note in notes:
        print(f"bad row: {note}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())


__all__ = ["Layout", "write_report", "generate", "SCENARIOS", "KIND_COLUMNS", "month_bounds"]
