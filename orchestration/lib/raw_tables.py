"""The `raw` schema: one table per report kind, plus the load log and rejected rows.

This is the contract between the readers (which normalise every value to a canonical text
form) and dbt (which casts in staging). Raw values are text so that a value the reader
accepted is never lost to a type error on the way in:

- account numbers: digits, left-padded to the configured width (`00012345`);
- dates: ISO `YYYY-MM-DD`; times: `HH:MM` (24 h);
- minutes: a whole number (`25`);
- ICD-10-CM codes: upper case, dotted, `;`-separated (`E11.9;I10`);
- Y/N flags: `Y` or `N`; names: trimmed, inner whitespace folded.

Every raw row carries its lineage: the load it came from (`load_id`, which names the file,
its SHA-256 and the load time in `raw.file_loads`), the sheet and the 1-based row number in
the source file.
"""

from __future__ import annotations

PATIENT_LIST_COLUMNS = (
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

# Canonical columns per report kind, in table order.
KIND_COLUMNS: dict[str, tuple[str, ...]] = {
    "ccm_enabled": PATIENT_LIST_COLUMNS,
    "ccm_not_enabled": PATIENT_LIST_COLUMNS,
    "ccm_not_eligible": PATIENT_LIST_COLUMNS,
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
        "minutes",
        "start_time",
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

REPORT_KINDS: tuple[str, ...] = tuple(KIND_COLUMNS)

LINEAGE_COLUMNS = ("load_id", "service_month", "sheet_name", "source_row")

_FILE_LOADS_DDL = """
create table if not exists raw.file_loads (
    load_id bigint generated always as identity primary key,
    report_kind text not null,
    service_month date not null,
    source_file text not null,
    file_name text not null,
    file_sha256 text not null,
    file_bytes bigint not null,
    rows_loaded integer not null default 0,
    rows_rejected integer not null default 0,
    rows_skipped integer not null default 0,
    status text not null default 'loading'
        check (status in ('loading', 'current', 'superseded', 'failed')),
    loaded_at timestamptz not null default now(),
    superseded_at timestamptz,
    notes text
)
"""

_REJECTED_ROWS_DDL = """
create table if not exists raw.rejected_rows (
    load_id bigint not null references raw.file_loads (load_id),
    report_kind text not null,
    service_month date not null,
    file_name text not null,
    sheet_name text,
    source_row integer,
    column_name text,
    raw_value text,
    reason text not null,
    patient_acct_no text
)
"""


def kind_table_ddl(kind: str) -> str:
    # `load_id` names a row of raw.file_loads, written with it in the same transaction by the
    # loader, the one writer of these tables. No foreign key: checking it row by row took a
    # tenth of the time of loading a million-row report.
    columns = ",\n    ".join(f"{name} text" for name in KIND_COLUMNS[kind])
    return f"""
create table if not exists raw.{kind} (
    load_id bigint not null,
    service_month date not null,
    sheet_name text,
    source_row integer not null,
    {columns}
)
"""


def month_index(kind: str) -> str:
    """The index that finds a month's (or a load's) rows of `raw.<kind>`."""
    return f"{kind}_month_load_brin"


def raw_schema_ddl() -> list[str]:
    """Statements that create the raw schema; each is idempotent."""
    statements = [
        "create schema if not exists raw",
        _FILE_LOADS_DDL,
        _REJECTED_ROWS_DDL,
        # A warehouse created before rejected rows kept the row's account number.
        "alter table raw.rejected_rows add column if not exists patient_acct_no text",
        # The months a load's time entries are dated in (R9.7), first days, for the kinds whose
        # rows carry an entry date: a neighbouring month's build reads the load only when its
        # own month is among them (dbt macro `window_file_months`). Null before it was kept.
        "alter table raw.file_loads add column if not exists entry_months date[]",
        # When the current load's file was last dropped again unchanged: a re-drop of the good
        # file after a refused one settles the refusal for the neighbouring months' summaries.
        "alter table raw.file_loads add column if not exists confirmed_at timestamptz",
    ]
    for kind in REPORT_KINDS:
        statements.append(kind_table_ddl(kind))
        # A warehouse created before the key was dropped (see kind_table_ddl).
        statements.append(f"alter table raw.{kind} drop constraint if exists {kind}_load_id_fkey")
        # A load appends its rows together, so an index of block ranges finds a month (or a
        # load) as the b-tree on (service_month, load_id) did, without the b-tree's cost per row
        # loaded (0.57 s of a million-row load). Minmax-multi keeps a range holding two months
        # (rows loaded into space a superseded load left) matching those two months alone. New
        # ranges are summarised after each load (ingest._write_load_once).
        statements.append(f"drop index if exists raw.{kind}_month_load_idx")
        statements.append(
            f"create index if not exists {month_index(kind)} on raw.{kind} using brin "
            "(service_month date_minmax_multi_ops, load_id int8_minmax_multi_ops) "
            "with (autosummarize = on)"
        )
    return statements
