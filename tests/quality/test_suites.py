"""Each suite against one built warehouse: good data passes, seeded bad data fails readably.

The sample month is billed once; each test then seeds bad rows inside a transaction that is
rolled back, so the tests do not disturb one another.
"""

from __future__ import annotations

import os
import subprocess
import sys
from datetime import date

import great_expectations.expectations as gxe
import psycopg
import pytest

from orchestration.lib.quality import gx_suites
from orchestration.lib.quality.report import CheckReport
from orchestration.lib.quality.rules import marts_rules, raw_rules, run_rules, staging_rules
from orchestration.lib.raw_tables import REPORT_KINDS
from orchestration.lib.warehouse import parse_database_url
from tests.conftest import PROJECT_ROOT, SAMPLE_DROP, run_ccm, stop_warehouse

MONTH = date(2025, 3, 1)


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


def test_gx_suites_pass_on_good_data_and_build_data_docs(autocommit, built):
    url = parse_database_url(built, embedded=True).sqlalchemy_url
    for layer in ("raw", "marts"):
        outcome = gx_suites.run_layer(autocommit, layer, MONTH, url, "test")
        assert outcome.failures == [], outcome.failures
        assert outcome.evaluated > 0
        assert outcome.docs and outcome.docs.endswith("index.html")


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
