"""The bundled sample months, end to end through `ccm run`, checked against hand-derived lines.

The expected lines live in expected_sample_lines.py, derived by hand from CCM_RULES.md for
each scenario patient the generator plants (see the comment above each scenario).
"""

from __future__ import annotations

import csv
import os
import re
from collections import defaultdict
from pathlib import Path

import pytest
from expected_sample_lines import EXPECTED_REJECTED_ROWS, SCENARIOS
from openpyxl import load_workbook

pytestmark = pytest.mark.e2e

SAMPLE_MONTHS = sorted({s["month"] for s in SCENARIOS} | set(EXPECTED_REJECTED_ROWS))
CSV_HEADER = "service_month,patient_acct_no,cpt_code,units,date_of_service,qualifying_minutes"


def read_billing_csv(out_dir: Path, month: str) -> list[dict]:
    with open(out_dir / f"ccm_billing_{month}.csv", newline="", encoding="utf-8") as handle:
        return list(csv.DictReader(handle))


def review_reasons(out_dir: Path, month: str) -> dict[str, set[str]]:
    sheet = load_workbook(out_dir / f"ccm_billing_{month}.xlsx", read_only=True)["Review"]
    rows = sheet.iter_rows(values_only=True)
    header = list(next(rows))
    account, reason = header.index("patient_acct_no"), header.index("reason_code")
    found: dict[str, set[str]] = defaultdict(set)
    for row in rows:
        found[row[account]].add(row[reason])
    return found


def test_the_run_succeeds_and_writes_both_files_for_every_sample_month(sample_run):
    assert sample_run.returncode == 0, sample_run.stderr[-3000:]
    for month in SAMPLE_MONTHS:
        assert (sample_run.out_dir / f"ccm_billing_{month}.csv").stat().st_size > 0
        assert (sample_run.out_dir / f"ccm_billing_{month}.xlsx").stat().st_size > 0


def test_the_csv_starts_with_the_agreed_columns_sorted_by_account_then_code(sample_run):
    for month in SAMPLE_MONTHS:
        path = sample_run.out_dir / f"ccm_billing_{month}.csv"
        assert path.read_text(encoding="utf-8").splitlines()[0].startswith(CSV_HEADER + ",")
        rows = read_billing_csv(sample_run.out_dir, month)
        keys = [(r["patient_acct_no"], r["cpt_code"]) for r in rows]
        assert keys == sorted(keys)
        assert {r["service_month"] for r in rows} == {month}


@pytest.mark.parametrize(
    "scenario", SCENARIOS, ids=[f"{s['account']}-{s['month']}" for s in SCENARIOS]
)
def test_scenario_patient_is_billed_exactly_as_derived_by_hand(sample_run, scenario):
    rows = read_billing_csv(sample_run.out_dir, scenario["month"])
    billed = [
        (r["cpt_code"], int(r["units"]), r["date_of_service"], int(r["qualifying_minutes"]))
        for r in rows
        if r["patient_acct_no"] == scenario["account"]
    ]
    assert billed == sorted(scenario["expected_lines"]), scenario["description"]


@pytest.mark.parametrize(
    "scenario",
    [s for s in SCENARIOS if s["review_reason"]],
    ids=[f"{s['account']}-{s['month']}" for s in SCENARIOS if s["review_reason"]],
)
def test_scenario_patient_not_billed_is_on_the_review_list_with_its_reason(sample_run, scenario):
    reasons = review_reasons(sample_run.out_dir, scenario["month"])
    assert scenario["review_reason"] in reasons[scenario["account"]], scenario["description"]


def test_the_summary_names_each_month_with_its_counts(sample_run):
    for month in SAMPLE_MONTHS:
        assert re.search(rf"^{month}: \d+ patients billed", sample_run.stdout, re.M), month
        match = re.search(rf"^{month}:.*?rejected rows (\d+)", sample_run.stdout, re.M | re.S)
        assert match and int(match.group(1)) == EXPECTED_REJECTED_ROWS[month]


def _patient_identifiers(out_dir: Path) -> set[str]:
    identifiers: set[str] = set()
    for month in SAMPLE_MONTHS:
        for row in read_billing_csv(out_dir, month):
            identifiers.add(row["patient_acct_no"])
            identifiers.add(row["patient_name"])
            identifiers.add(row["patient_acct_no"].lstrip("0"))
    return {i for i in identifiers if i and len(i) >= 4}


def _leaked(identifiers: set[str], text: str) -> list[str]:
    """Identifiers standing alone in the text (a digit run inside a duration is no leak)."""
    return sorted(i for i in identifiers if re.search(rf"(?<![\w.]){re.escape(i)}(?!\w)", text))


def test_no_patient_name_or_account_number_reaches_the_terminal(sample_run):
    identifiers = _patient_identifiers(sample_run.out_dir)
    assert len(identifiers) > 50
    output = sample_run.stdout + sample_run.stderr
    assert _leaked(identifiers, output) == []


def test_no_patient_name_or_account_number_reaches_dagster_events(sample_run):
    from dagster import DagsterInstance

    identifiers = _patient_identifiers(sample_run.out_dir)
    home = sample_run.var_dir / "dagster_home"
    previous = os.environ.get("DAGSTER_HOME")
    os.environ["DAGSTER_HOME"] = str(home)
    try:
        instance = DagsterInstance.get()
        runs = instance.get_runs()
        assert len(runs) == len(SAMPLE_MONTHS)
        text = "".join(
            str(event.dagster_event or "") + str(event.user_message or "")
            for run in runs
            for event in instance.all_logs(run.run_id)
        )
    finally:
        if previous is None:
            os.environ.pop("DAGSTER_HOME", None)
        else:
            os.environ["DAGSTER_HOME"] = previous
    assert "rows_loaded" in text  # the metadata was read, not an empty log
    assert _leaked(identifiers, text) == []
