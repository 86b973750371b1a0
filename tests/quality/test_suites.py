"""Each suite against one built warehouse: good data passes, seeded bad data fails readably.

The sample month is billed once; each test then seeds bad rows inside a transaction that is
rolled back, so the tests do not disturb one another.
"""

from __future__ import annotations

import csv
import os
import re
import subprocess
import sys
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from datetime import date
from pathlib import Path

import great_expectations.expectations as gxe
import psycopg
import pytest
import yaml

from orchestration.lib.quality import gx_suites, rules
from orchestration.lib.quality.report import CheckReport
from orchestration.lib.quality.rules import (
    marts_rules,
    min_rows,
    raw_rules,
    run_rules,
    staging_rules,
    start_rules,
    valid_date_sql,
)
from orchestration.lib.raw_tables import REPORT_KINDS
from orchestration.lib.warehouse import parse_database_url
from tests.conftest import PROJECT_ROOT, SAMPLE_DROP, run_ccm, stop_warehouse

MONTH = date(2025, 3, 1)
VENDOR_FILE = "MDR_vendor_monthly_202503.csv"
COMMITTED_GX = PROJECT_ROOT / "expectations" / "gx"


@pytest.fixture(scope="module")
def built(tmp_path_factory):
    base = tmp_path_factory.mktemp("quality_suites")
    var_dir = base / "var"
    result = run_ccm(
        "run",
        "--drop",
        str(SAMPLE_DROP),
        "--month",
        "2025-03",
        var_dir=var_dir,
        out_dir=base / "out",
        extra_env={"CCM_GX_ROOT": str(base / "gx")},
    )
    assert result.returncode == 0, result.stderr[-3000:]
    env = {"CCM_VAR_DIR": str(var_dir), "PATH": os.environ.get("PATH", "")}
    url = subprocess.run(
        [sys.executable, "-m", "orchestration.cli", "db", "url"],
        cwd=PROJECT_ROOT,
        env=env,
        capture_output=True,
        text=True,
        check=True,
    ).stdout.strip()
    previous = os.environ.get("CCM_GX_ROOT")
    os.environ["CCM_GX_ROOT"] = str(base / "gx")
    yield url
    if previous is None:
        os.environ.pop("CCM_GX_ROOT", None)
    stop_warehouse(var_dir)


@pytest.fixture
def conn(built):
    """A connection whose changes are all rolled back after the test."""
    with psycopg.connect(built) as connection:
        connection.execute("begin")
        yield connection
        connection.rollback()


def _report(results) -> CheckReport:
    report = CheckReport()
    report.add_rules(MONTH, results)
    return report


def test_raw_suite_passes_on_the_sample_month(conn):
    for kind in REPORT_KINDS:
        report = _report(run_rules(conn, raw_rules(kind, MONTH)))
        assert report.passed, (kind, report.failures)


def _practice_row(conn, **values) -> int:
    load_id, row = conn.execute(
        "select load_id, max(source_row) from raw.practice_minutes "
        "where service_month = %s group by load_id",
        (MONTH,),
    ).fetchone()
    columns = {
        "load_id": load_id,
        "service_month": MONTH,
        "source_row": row + 1,
        "patient_acct_no": "00012345",
        "activity_date": "2025-03-10",
        "minutes": "20",
        "staff_name": "Tester",
        "staff_role": "RN",
    } | values
    names = ", ".join(columns)
    marks = ", ".join(["%s"] * len(columns))
    conn.execute(
        f"insert into raw.practice_minutes ({names}) values ({marks})", list(columns.values())
    )
    return row + 1


def test_raw_suite_lists_every_bad_value_with_file_row_column(conn):
    blank = _practice_row(conn, patient_acct_no="   ")
    far = _practice_row(conn, activity_date="2024-11-05")
    minutes = _practice_row(conn, minutes="1441")
    role = _practice_row(conn, staff_role="Intern")
    near = _practice_row(conn, activity_date="2025-04-02")

    report = _report(run_rules(conn, raw_rules("practice_minutes", MONTH)))

    text = report.text()
    assert not report.passed
    assert f"row {blank}, column patient_acct_no, value (withheld): expected account number" in text
    assert (
        f"row {far}, column activity_date, value '2024-11-05': expected activity_date within"
        in text
    )
    assert f"row {minutes}, column minutes, value '1441': expected minutes a whole number" in text
    assert f"row {role}, column staff_role, value 'Intern'" in text
    # A neighbouring month's entry counts in its own month (R9.7): noted, never a failure.
    assert f"row {near}," not in text
    assert any(f"row {near}, column activity_date" in note for note in report.notes)
    assert "00012345" not in text


def test_row_count_fails_below_the_configured_share_of_last_month(conn):
    conn.execute(
        "update raw.file_loads set service_month = '2025-02-01' "
        "where report_kind = 'exclusions' and status = 'current'"
    )
    conn.execute("update raw.exclusions set service_month = '2025-02-01'")
    report = _report(run_rules(conn, raw_rules("exclusions", date(2025, 4, 1))))
    assert report.passed, "a month with no exclusion report at all is not a failure"
    conn.execute(
        "insert into raw.file_loads (report_kind, service_month, source_file, file_name, "
        "file_sha256, file_bytes, status) values ('exclusions', '2025-03-01', 'x', "
        "'Exclusion List short.xlsx', 'x', 1, 'current')"
    )
    load_id = conn.execute("select max(load_id) from raw.file_loads").fetchone()[0]
    conn.execute(
        "insert into raw.exclusions (load_id, service_month, source_row, patient_acct_no, "
        "exclusion_type, service_date) values (%s, '2025-03-01', 5, '00012345', 'SNF', "
        "'2025-03-02')",
        (load_id,),
    )
    report = _report(run_rules(conn, raw_rules("exclusions", MONTH)))
    assert not report.passed
    assert "Exclusion List short.xlsx, column (row count), value '1 rows; previous month" in (
        report.text()
    )


def test_exclusions_and_not_eligible_may_be_empty_but_a_header_only_vendor_report_fails(conn):
    for kind in ("exclusions", "ccm_not_eligible", "vendor_billing"):
        conn.execute(f"delete from raw.{kind} where service_month = %s", (MONTH,))

    for kind in ("exclusions", "ccm_not_eligible"):
        report = _report(run_rules(conn, raw_rules(kind, MONTH)))
        assert report.passed, (kind, report.failures)
        assert report.notes == []
    vendor = _report(run_rules(conn, raw_rules("vendor_billing", MONTH)))

    assert vendor.failures == [
        f"2025-03 {VENDOR_FILE}, column (row count), value '0 rows; previous month 0': "
        "expected at least one row and at least 50% of the previous month's rows"
    ]


def test_an_empty_exclusion_list_after_a_month_of_exclusions_fails(conn):
    # Last month: six exclusion rows (at least empty_suspect_after_rows = 5); this month the
    # list arrives header-only. Billing from it would bill hospice and SNF patients.
    conn.execute(
        "insert into raw.file_loads (report_kind, service_month, source_file, file_name, "
        "file_sha256, file_bytes, status, rows_loaded) values ('exclusions', '2025-02-01', "
        "'x', 'Exclusion List 2025-02.xlsx', 'feb', 1, 'current', 6)"
    )
    conn.execute("delete from raw.exclusions where service_month = %s", (MONTH,))
    report = _report(run_rules(conn, raw_rules("exclusions", MONTH)))
    assert len(report.failures) == 1
    assert "value '0 rows; previous month 6'" in report.failures[0]
    assert "not empty after a month of 5 or more rows" in report.failures[0]

    conn.execute("update raw.file_loads set rows_loaded = 4 where file_sha256 = 'feb'")
    quiet = _report(run_rules(conn, raw_rules("exclusions", MONTH)))
    assert quiet.passed, "an empty list after a month of 4 exclusions is a quiet month"


def test_a_month_without_a_report_of_a_kind_passes_with_a_note(conn):
    conn.execute(
        "update raw.file_loads set status = 'superseded' "
        "where report_kind = 'vendor_billing' and service_month = %s",
        (MONTH,),
    )
    report = _report(run_rules(conn, raw_rules("vendor_billing", MONTH)))
    assert report.passed, report.failures
    assert report.notes == [
        "2025-03 (no vendor_billing report), column (file), value '(none)': expected the "
        "month's vendor_billing report (the month runs without it: require_every_kind is off)"
    ]


def _config_with(**changes) -> dict:
    return rules.quality_config() | changes


def test_min_rows_is_set_per_kind_in_config_for_the_sql_rule_and_the_gx_suite(conn, monkeypatch):
    assert {kind: min_rows(kind) for kind in REPORT_KINDS} == {
        "ccm_enabled": 1,
        "ccm_not_enabled": 1,
        "ccm_not_eligible": 0,
        "exclusions": 0,
        "practice_minutes": 1,
        "telephone_encounters": 1,
        "vendor_billing": 1,
    }
    config = _config_with(min_rows={"exclusions": 1000}, min_row_share_of_previous_month=0)
    monkeypatch.setattr(rules, "quality_config", lambda: config)
    monkeypatch.setattr(gx_suites, "quality_config", lambda: config)

    report = _report(run_rules(conn, raw_rules("exclusions", MONTH)))
    first = gx_suites.suites("raw")["raw_exclusions"][0]

    assert len(report.failures) == 1
    assert report.failures[0].startswith("2025-03 Exclusion List 2025-03.xlsx, column (row count)")
    assert report.failures[0].endswith("expected at least 1000 rows")
    assert (first.expectation_type, first.min_value) == (gx_suites.ROW_COUNT, 1000)


@pytest.mark.parametrize("top", [0, 9, 10, 59, 60, 600, 1439, 1440, 2000])
def test_the_gx_minutes_regex_takes_exactly_the_whole_numbers_the_sql_rule_takes(top):
    pattern = re.compile(gx_suites.whole_number_up_to(top))
    numbers = range(3 * top + 20)
    assert [n for n in numbers if bool(pattern.match(str(n))) != (n <= top)] == []
    assert [n for n in numbers if bool(pattern.match(f"00{n}")) != (n <= top)] == []
    assert not pattern.match("12.5") and not pattern.match("-1") and not pattern.match("")


def test_only_kinds_that_need_rows_start_their_gx_suite_with_a_row_count():
    counted = {
        name: expectations[0].min_value
        for name, expectations in gx_suites.suites("raw").items()
        if expectations[0].expectation_type == gx_suites.ROW_COUNT
    }
    assert counted == {
        "raw_ccm_enabled": 1,
        "raw_ccm_not_enabled": 1,
        "raw_practice_minutes": 1,
        "raw_telephone_encounters": 1,
        "raw_vendor_billing": 1,
    }


@pytest.mark.parametrize(
    ("setting", "message"),
    [
        ({"exclusion": 0}, "min_rows names unknown report kinds: ['exclusion']"),
        ({"exclusions": -1}, "min_rows.exclusions must be a whole number >= 0"),
        ({"exclusions": "none"}, "min_rows.exclusions must be a whole number >= 0"),
    ],
)
def test_a_mistyped_min_rows_setting_is_refused_by_name(setting, message):
    with pytest.raises(ValueError, match=re.escape(message)):
        min_rows("exclusions", _config_with(min_rows=setting))


@pytest.mark.parametrize(
    ("text", "is_date"),
    [
        ("2025-03-01", True),
        (" 2025-03-31 ", True),
        ("2024-02-29", True),
        ("2000-02-29", True),
        ("2025-02-29", False),
        ("2100-02-29", False),
        ("2025-04-31", False),
        ("2025-13-01", False),
        ("2025-00-10", False),
        ("2025-3-01", False),
        ("0000-01-01", False),
        ("03/01/2025", False),
        ("2025-03-01T10:00", False),
    ],
)
def test_dates_are_checked_without_pg_input_is_valid(conn, text, is_date):
    # pg_input_is_valid needs PostgreSQL 16; the product runs on 14+ (CCM_DATABASE_URL).
    sql = f"select {valid_date_sql('v')} from (select %s::text as v) as t"
    assert conn.execute(sql, (text,)).fetchone()[0] is is_date


def test_no_rule_needs_postgresql_16():
    every = [*staging_rules(MONTH), *marts_rules(MONTH)]
    every += [rule for kind in REPORT_KINDS for rule in raw_rules(kind, MONTH)]
    assert not [rule.name for rule in every if "pg_input_is_valid" in rule.sql]


def test_an_impossible_calendar_date_is_named_with_its_file_row_and_column(conn):
    row = _practice_row(conn, activity_date="2025-02-30")
    text = _report(run_rules(conn, raw_rules("practice_minutes", MONTH))).text()
    assert (
        f"row {row}, column activity_date, value '2025-02-30': "
        "expected activity_date is a date (YYYY-MM-DD)"
    ) in text


def test_staff_roles_are_matched_case_and_whitespace_blind_as_staging_matches_them(conn):
    accepted = [_practice_row(conn, staff_role=role) for role in (" rn ", "Registered Nurse")]
    accepted.append(_practice_row(conn, staff_role="care manager  "))
    refused = _practice_row(conn, staff_role=" Intern ")

    text = _report(run_rules(conn, raw_rules("practice_minutes", MONTH))).text()

    assert f"row {refused}, column staff_role, value ' Intern '" in text
    assert not [row for row in accepted if f"row {row}, column staff_role" in text]


def test_the_staff_role_seed_is_upper_case_and_trimmed_as_staging_compares_it():
    # Staging joins upper(btrim(role)) to role_alias as written; the checks upper-case the
    # seed. They agree only while every alias is already upper case and trimmed.
    seed = PROJECT_ROOT / "dbt_ccm" / "seeds" / "staff_roles.csv"
    with seed.open(newline="", encoding="utf-8") as handle:
        aliases = [row["role_alias"] for row in csv.DictReader(handle)]
    assert aliases and aliases == [alias.strip().upper() for alias in aliases]


def test_staging_suite_passes_on_the_sample_month(conn):
    report = _report(run_rules(conn, staging_rules(MONTH)))
    assert report.passed, report.failures


def test_staging_suite_fails_on_duplicate_keys_short_accounts_and_bad_icd_codes(conn):
    conn.execute(
        "insert into raw.ccm_enabled select load_id, service_month, sheet_name, "
        "source_row + 1000, patient_acct_no, patient_name, dob, sex, primary_insurance, "
        "provider_name, provider_npi, facility, consent_date, ccm_end_date, complex_ccm, "
        "chronic_conditions, date_of_death, reason from raw.ccm_enabled "
        "where service_month = %s order by source_row limit 1",
        (MONTH,),
    )
    conn.execute(
        "update raw.telephone_encounters set patient_acct_no = '12345', icd_codes = 'E11.9;XYZ' "
        "where (load_id, source_row) in (select load_id, min(source_row) "
        "from raw.telephone_encounters where service_month = %s group by load_id)",
        (MONTH,),
    )
    text = _report(run_rules(conn, staging_rules(MONTH))).text()
    assert "column key, value (withheld): expected stg_ecw__patients: one row per" in text
    assert (
        "column patient_acct_no, value (withheld): expected stg_ecw__telephone_encounters: "
        "account number matches ^\\d{8}$"
    ) in text
    assert "column icd_codes, value 'XYZ': expected stg_ecw__telephone_encounters: every code" in (
        text
    )
    assert "12345" not in text.replace("^\\d{8}$", "")


def test_marts_suite_passes_on_the_sample_month(conn):
    report = _report(run_rules(conn, marts_rules(MONTH)))
    assert report.passed, report.failures


def test_marts_suite_fails_on_each_billing_rule(conn):
    patient = conn.execute(
        "select patient_acct_no from marts_build.fct_ccm_billing "
        "where service_month = %s and cpt_code = '99439' order by 1 limit 1",
        (MONTH,),
    ).fetchone()[0]
    conn.execute(
        "delete from marts_build.fct_ccm_billing where service_month = %s "
        "and patient_acct_no = %s and cpt_code = '99490'",
        (MONTH, patient),
    )
    conn.execute(
        "update marts_build.fct_ccm_billing set units = 3, qualifying_minutes = 41, "
        "consent_date = '2025-04-15', date_of_service = '2025-04-01' "
        "where service_month = %s and patient_acct_no = %s",
        (MONTH, patient),
    )
    report = _report(run_rules(conn, marts_rules(MONTH)))
    text = report.text()
    for words in (
        "column cpt_code, value '99439': expected every add-on code is billed with its base",
        "column units, value '3': expected units between 1 and the code's cap",
        "column consent_date, value '2025-04-15': expected consent on file on or before",
        "column date_of_service, value '2025-04-01': expected date of service inside",
        "column qualifying_minutes, value '41': expected qualifying minutes reach",
    ):
        assert words in text
    assert text.startswith("2025-03 marts_build.fct_ccm_billing row ")
    assert patient not in text


def test_marts_suite_fails_when_an_excluded_or_not_enabled_patient_is_billed(conn):
    conn.execute(
        "update marts_build.ccm_exclusion_list set applied = true where service_month = %s "
        "and patient_acct_no = (select min(patient_acct_no) from marts_build.fct_ccm_billing "
        "where service_month = %s)",
        (MONTH, MONTH),
    )
    conn.execute(
        "insert into marts_build.ccm_exclusion_list (service_month, patient_acct_no, applied) "
        "select service_month, min(patient_acct_no), true from marts_build.fct_ccm_billing "
        "where service_month = %s group by 1",
        (MONTH,),
    )
    conn.execute(
        "update marts_build.fct_ccm_billing set patient_acct_no = '99999999' "
        "where service_month = %s and patient_acct_no = (select max(patient_acct_no) "
        "from marts_build.fct_ccm_billing where service_month = %s)",
        (MONTH, MONTH),
    )
    text = _report(run_rules(conn, marts_rules(MONTH))).text()
    assert "expected no patient billed in a month an applied exclusion covers" in text
    assert "expected every billed patient is on the month's CCM-enabled list" in text
    assert "99999999" not in text


def test_one_family_per_patient_month(conn):
    conn.execute(
        "update marts_build.fct_ccm_billing set family = 'COMPLEX' where service_month = %s "
        "and cpt_code = '99439' and patient_acct_no = (select min(patient_acct_no) "
        "from marts_build.fct_ccm_billing where cpt_code = '99439' and service_month = %s)",
        (MONTH, MONTH),
    )
    text = _report(run_rules(conn, marts_rules(MONTH))).text()
    assert "column family, value 'COMPLEX': expected one code family per patient-month" in text


def test_a_broken_rule_is_a_failed_check_with_its_reason_not_a_crash(conn):
    conn.execute("alter table raw.vendor_billing rename column care_manager_role to role_x")
    report = _report(run_rules(conn, raw_rules("vendor_billing", MONTH)))
    assert not report.passed
    assert "care_manager_role_in_staff_roles: could not be checked (column " in report.text()
    # The other rules of the suite still ran and passed.
    assert report.rules_run == len(raw_rules("vendor_billing", MONTH))


@pytest.fixture
def autocommit(built):
    """GX reads through its own connection, so the views must be committed, not in a test
    transaction (an open transaction would hold the view locks GX waits on)."""
    with psycopg.connect(built, autocommit=True) as connection:
        yield connection


@contextmanager
def _restored(connection, *tables: str):
    """Seeded bad rows are committed (GX reads through its own connection): put them back."""
    for table in tables:
        connection.execute(
            f"create temp table {table.replace('.', '__')}_before as select * from {table}"
        )
    try:
        yield
    finally:
        for table in tables:
            before = f"{table.replace('.', '__')}_before"
            connection.execute(f"delete from {table}")
            connection.execute(f"insert into {table} select * from {before}")
            connection.execute(f"drop table {before}")


def _first_row(connection, table: str) -> str:
    """A condition naming the month's first row of a raw table."""
    load_id, row = connection.execute(
        f"select load_id, min(source_row) from {table} where service_month = %s "
        "group by load_id order by load_id limit 1",
        (MONTH,),
    ).fetchone()
    return f"load_id = {load_id} and source_row = {row}"


def _gx(connection, built, layer: str):
    url = parse_database_url(built, embedded=True).sqlalchemy_url
    return gx_suites.run_layer(connection, layer, MONTH, url, "test")


def test_gx_suites_pass_on_good_data_and_build_data_docs(autocommit, built):
    for layer in ("raw", "marts"):
        outcome = _gx(autocommit, built, layer)
        assert (outcome.failures, outcome.notes) == ([], [])
        assert outcome.evaluated > 0
        assert outcome.docs and outcome.docs.endswith("index.html")


def test_gx_raw_suites_fail_on_seeded_bad_values_and_take_roles_case_blind(autocommit, built):
    with _restored(autocommit, "raw.practice_minutes", "raw.vendor_billing"):
        autocommit.execute(
            f"update raw.practice_minutes set minutes = '1441' "
            f"where {_first_row(autocommit, 'raw.practice_minutes')}"
        )
        autocommit.execute(
            f"update raw.vendor_billing set care_manager_role = 'Intern' "
            f"where {_first_row(autocommit, 'raw.vendor_billing')}"
        )
        # Every other role as a clerk might type it: staging still matches them all.
        autocommit.execute(
            "update raw.practice_minutes set staff_role = ' ' || lower(staff_role) || '  '"
        )

        outcome = _gx(autocommit, built, "raw")

    assert outcome.failures == [
        "raw.raw_practice_minutes: GX expect_column_values_to_match_regex on minutes "
        r"{'regex': '^0*(\\d{1,3}|1[0-3]\\d{2}|14[0-3]\\d|1440)$'}: 1 unexpected value(s)",
        "raw.raw_vendor_billing: GX expect_column_values_to_be_in_set on care_manager_role: "
        "1 unexpected value(s)",
    ]


def test_gx_row_counts_follow_min_rows_and_a_missing_report_is_a_note(autocommit, built):
    tables = ("raw.exclusions", "raw.ccm_not_eligible", "raw.vendor_billing")
    with _restored(autocommit, *tables):
        for table in tables:
            autocommit.execute(f"delete from {table} where service_month = %s", (MONTH,))
        superseded = [
            load_id
            for (load_id,) in autocommit.execute(
                "update raw.file_loads set status = 'superseded' where status = 'current' "
                "and report_kind = 'telephone_encounters' and service_month = %s "
                "returning load_id",
                (MONTH,),
            ).fetchall()
        ]
        try:
            outcome = _gx(autocommit, built, "raw")
        finally:
            autocommit.execute(
                "update raw.file_loads set status = 'current' where load_id = any(%s)",
                (superseded,),
            )

    # Empty exclusion and not-eligible lists pass; a header-only vendor report does not (DE-28).
    assert outcome.failures == [
        "raw.raw_vendor_billing: GX expect_table_row_count_to_be_between {'min_value': 1}: "
        "observed 0"
    ]
    assert outcome.notes == [
        "raw.raw_telephone_encounters: GX expect_table_row_count_to_be_between "
        "{'min_value': 1}: observed 0 (no report this month)"
    ]


def test_gx_marts_suites_fail_on_seeded_bad_rows_with_their_messages(autocommit, built):
    billed = "select patient_acct_no, cpt_code from marts_build.fct_ccm_billing "
    with _restored(autocommit, "raw.ccm_enabled", "marts_build.fct_ccm_billing"):
        autocommit.execute(
            f"update raw.ccm_enabled set patient_acct_no = '12345' "
            f"where {_first_row(autocommit, 'raw.ccm_enabled')}"
        )
        rows = autocommit.execute(
            billed + "where service_month = %s order by 1, 2 limit 3", (MONTH,)
        ).fetchall()
        where = "where patient_acct_no = %s and cpt_code = %s"
        autocommit.execute(
            f"update marts_build.fct_ccm_billing set cpt_code = 'X9999' {where}", rows[0]
        )
        autocommit.execute(
            "update marts_build.fct_ccm_billing set date_of_service = '2025-04-01', "
            f"consent_date = null, units = 3 {where}",
            rows[1],
        )
        autocommit.execute(
            f"update marts_build.fct_ccm_billing set date_of_service = null {where}", rows[2]
        )

        outcome = _gx(autocommit, built, "marts")

    assert outcome.failures == [
        "marts.stg_ecw__ccm_enabled: GX expect_column_values_to_match_regex on patient_acct_no "
        r"{'regex': '^\\d{8}$'}: 1 unexpected value(s)",
        "marts.fct_ccm_billing: GX expect_column_distinct_values_to_be_in_set on cpt_code: "
        "1 unexpected value(s)",
        "marts.fct_ccm_billing: GX expect_column_values_to_be_in_set on dos_in_service_month: "
        "2 unexpected value(s)",
        "marts.fct_ccm_billing: GX expect_column_values_to_not_be_null on consent_date: "
        "1 unexpected value(s)",
        "marts.fct_ccm_billing: GX expect_column_values_to_be_between on units "
        "{'min_value': 1.0, 'max_value': 2.0}: 1 unexpected value(s)",
    ]


def _context_files(gx_folder: Path) -> dict[str, bytes]:
    return {
        str(path.relative_to(gx_folder)): path.read_bytes()
        for path in sorted(gx_folder.rglob("*"))
        if path.is_file() and "uncommitted" not in path.relative_to(gx_folder).parts
    }


def test_runs_leave_the_committed_gx_context_byte_for_byte_as_it_was(autocommit, built):
    # The module's `ccm run` and the GX tests above all validated through a copy of the
    # committed context: had any suite, definition or checkpoint been written, it would differ.
    for layer in ("raw", "marts"):
        _gx(autocommit, built, layer)
    copy = _context_files(gx_suites.gx_root() / "gx")
    assert copy == _context_files(COMMITTED_GX), "regenerate: ccm run without CCM_GX_ROOT"
    dated = re.compile(rb"\d{4}-\d{2}-\d{2}")
    assert not [
        name for name in copy if name.startswith("expectations/") and dated.search(copy[name])
    ]


def test_gx_analytics_and_progress_bars_are_off_before_gx_is_imported():
    config = yaml.safe_load((COMMITTED_GX / "great_expectations.yml").read_text("utf-8"))
    assert config["analytics_enabled"] is False
    assert config["progress_bars"] == {"globally": False, "metric_calculations": False}
    probe = (
        "import sys, os\n"
        "from orchestration.lib.quality import gx_suites\n"
        "assert 'great_expectations' not in sys.modules\n"
        "print(os.environ['GX_ANALYTICS_ENABLED'])"
    )
    env = {"PATH": os.environ.get("PATH", ""), "GX_ANALYTICS_ENABLED": "true"}
    result = subprocess.run(
        [sys.executable, "-c", probe],
        cwd=PROJECT_ROOT,
        env=env,
        capture_output=True,
        text=True,
        check=True,
    )
    assert result.stdout.strip() == "false"


def test_de27_gx_not_null_catches_blank_account_numbers_through_the_view(autocommit, built):
    row = autocommit.execute(
        "select load_id, source_row, patient_acct_no from raw.vendor_billing "
        "where service_month = %s order by source_row limit 1",
        (MONTH,),
    ).fetchone()
    autocommit.execute(
        "update raw.vendor_billing set patient_acct_no = '   ' "
        "where load_id = %s and source_row = %s",
        row[:2],
    )
    try:
        url = parse_database_url(built, embedded=True).sqlalchemy_url
        outcome = gx_suites.run_layer(autocommit, "raw", MONTH, url, "test")
        assert any(
            "raw.raw_vendor_billing: GX expect_column_values_to_not_be_null on patient_acct_no"
            in line
            for line in outcome.failures
        ), outcome.failures
    finally:
        autocommit.execute(
            "update raw.vendor_billing set patient_acct_no = %s "
            "where load_id = %s and source_row = %s",
            (row[2], *row[:2]),
        )


@pytest.fixture
def bands(built):
    with psycopg.connect(built, autocommit=True) as connection:
        connection.execute("create schema if not exists gx_test")
        connection.execute("drop table if exists gx_test.minutes_bands")
        connection.execute("create table gx_test.minutes_bands (minutes_band text, n int)")
        connection.execute(
            "insert into gx_test.minutes_bands values ('1-19', 1), ('20-39', 2), "
            "('40-59', 3), ('60+', 4)"
        )
    return parse_database_url(built, embedded=True).sqlalchemy_url


def test_de23_text_value_sets_that_look_like_dates_compare_as_strings(bands):
    failures = gx_suites.validate_table(
        bands,
        "gx_test",
        "minutes_bands",
        [
            gxe.ExpectColumnDistinctValuesToBeInSet(
                column="minutes_band", value_set=["1-19", "20-39", "40-59", "60+"]
            ),
            gxe.ExpectColumnValuesToBeInSet(
                column="minutes_band", value_set=["1-19", "20-39", "40-59", "60+"]
            ),
        ],
    )
    assert failures == []


def test_one_bad_column_fails_its_expectation_and_the_rest_still_run(bands):
    failures = gx_suites.validate_table(
        bands,
        "gx_test",
        "minutes_bands",
        [
            gxe.ExpectColumnValuesToNotBeNull(column="no_such_column"),
            gxe.ExpectTableRowCountToBeBetween(min_value=1),
            gxe.ExpectColumnValuesToBeBetween(column="n", min_value=1, max_value=3),
        ],
    )
    assert len(failures) == 2
    assert "on no_such_column" in failures[0] and "could not run" in failures[0]
    assert "expect_column_values_to_be_between on n" in failures[1]
    assert "1 unexpected value(s)" in failures[1]


def test_rules_run_side_by_side_find_what_one_connection_finds(built):
    """The checks run their rules on several connections at once; the findings are the same."""

    @contextmanager
    def connect():
        with psycopg.connect(built) as connection:
            yield connection

    with psycopg.connect(built) as conn:
        added = [_practice_row(conn, minutes="1441"), _practice_row(conn, staff_role="Intern")]
        conn.commit()
        try:
            checked = raw_rules("practice_minutes", MONTH) + raw_rules(
                "telephone_encounters", MONTH
            )
            expected = run_rules(conn, checked)
            with ThreadPoolExecutor(max_workers=2) as pool:
                started = [result.result() for result in start_rules(pool, connect, checked)]
        finally:
            conn.execute(
                "delete from raw.practice_minutes where staff_name = 'Tester' "
                "and source_row = any(%s)",
                (added,),
            )
            conn.commit()
    assert started == expected
    failed = {result.rule.name for result in expected if not result.passed}
    assert failed == {"minutes_whole_0_to_1440", "staff_role_in_staff_roles"}
