"""Every §13 and field case through `ccm run`: report files in, exported lines and review out.

One session-scoped run per policy configuration (tests/rules/cases.py CONFIGS), every month of
its cases in one drop; each case has its own account number.
"""

from __future__ import annotations

import calendar
import csv
import shutil
from collections import defaultdict
from pathlib import Path

import pytest
import yaml
from openpyxl import load_workbook

from tests.conftest import PROJECT_ROOT, run_ccm, stop_warehouse
from tests.rules.cases import BY_ID, CASES, CONFIGS, build_drop, cases_for

pytestmark = pytest.mark.e2e

# The case table: the rule ids the cases stand for (CCM_RULES ids, policy switches, codes).
# Each names at least one case whose expected lines or review reasons change when the rule is
# taken out of the models, and a case names only ids listed here.
RULE_IDS = {
    "R1.1",
    "R1.2",
    "R1.3",
    "R1.4",
    "R1.5",
    "R1.6",
    "R1.15",
    "R1.16",
    "R2.1",
    "R2.2",
    "R2.3",
    "R4.6",
    "D1",
    "D2",
    "D3",
    "D5",
    "E1",
    "E2",
    "E3",
    "E4",
    "E5",
    "E6",
    "E7",
    "E10",
    "E11",
    "E12",
    "E13",
    "C1",
    "C2",
    "C3",
    "C4",
    "C5",
    "C6",
    "C8",
    "C9",
    "C13",
    "C14",
    "C15",
    "C16",
    "P1",
    "R5.1",
    "R5.2",
    "R6.1",
    "R6.2",
    "R6.9",
    "R9.1",
    "R9.2",
    "R9.2(4)",
    "R9.5",
    "R9.7",
    "POLICY_FAMILY",
    "DOS_POLICY",
    "EXCLUDE_TCM",
    "EXCLUDE_HH",
    "G2058",
    "99439",
    "99437",
    "99487",
    "99489",
    "99490",
    "§8",
}


# The rules harness checks billing, not the data-quality gates (tests/quality does): its drop
# is a handful of case patients per month, far below the previous month's row count the gate
# expects of a real practice, and Great Expectations would only repeat the SQL checks slower.
QUALITY_FOR_CASES = {"min_row_share_of_previous_month": 0, "run_great_expectations": False}


def _update_yaml(path: Path, overrides: dict) -> None:
    values = yaml.safe_load(path.read_text()) or {}
    values.update(overrides)
    path.write_text(yaml.safe_dump(values))


def _config_dir(base: Path, overrides: dict) -> Path:
    folder = base / "config"
    shutil.copytree(PROJECT_ROOT / "config", folder)
    _update_yaml(folder / "policy.yml", overrides)
    _update_yaml(folder / "quality.yml", QUALITY_FOR_CASES)
    return folder


@pytest.fixture(scope="session")
def config_runs(tmp_path_factory):
    runs = {}
    yield runs
    for run in runs.values():
        stop_warehouse(run[0].var_dir)


def _outcome(config_runs, tmp_path_factory, config: str):
    if config not in config_runs:
        base = tmp_path_factory.mktemp(f"rules_{config}")
        build_drop(cases_for(config), base / "drop")
        env = {"CCM_CONFIG_DIR": str(_config_dir(base, CONFIGS[config]))}
        result = run_ccm(
            "run",
            "--drop",
            str(base / "drop"),
            var_dir=base / "var",
            out_dir=base / "out",
            extra_env=env,
        )
        config_runs[config] = (result, _read(base / "out"))
    return config_runs[config]


def _read(out: Path) -> tuple[dict, dict]:
    lines: dict[tuple[str, str], list] = defaultdict(list)
    reviews: dict[tuple[str, str], set] = defaultdict(set)
    for path in sorted(out.glob("ccm_billing_*.csv")):
        with open(path, newline="", encoding="utf-8") as handle:
            for row in csv.DictReader(handle):
                key = (row["service_month"], row["patient_acct_no"])
                lines[key].append((row["cpt_code"], int(row["units"]), row["date_of_service"]))
    for path in sorted(out.glob("ccm_billing_*.xlsx")):
        sheet = load_workbook(path, read_only=True)["Review"]
        rows = sheet.iter_rows(values_only=True)
        header = list(next(rows))
        account, reason = header.index("patient_acct_no"), header.index("reason_code")
        blocks = header.index("blocks_billing")
        month = path.stem.rsplit("_", 1)[-1]
        for row in rows:
            # The row under the column names holds their labels, not a patient.
            if isinstance(row[blocks], bool):
                reviews[(month, row[account])].add(row[reason])
    return lines, reviews


def _month_end(month: str) -> str:
    year, number = (int(part) for part in month.split("-"))
    return f"{month}-{calendar.monthrange(year, number)[1]:02d}"


def test_every_rule_id_is_exercised_by_a_case():
    covered = {rule for case in CASES for rule in case.rules}
    assert RULE_IDS - covered == set()


def test_every_rule_a_case_names_is_in_the_table():
    named = {rule for case in CASES for rule in case.rules}
    assert named - RULE_IDS == set()


def test_every_case_has_its_own_account_except_a_patient_followed_into_a_later_month():
    owners: dict[str, str] = {}
    for case in (case for case in CASES if not case.follows):
        assert case.account not in owners, (case.case_id, owners.get(case.account))
        owners[case.account] = case.case_id
    for case in (case for case in CASES if case.follows):
        followed = BY_ID[case.follows]
        assert (case.account, case.config) == (followed.account, followed.config), case.case_id
        assert case.month > followed.month, case.case_id


@pytest.mark.parametrize("case", CASES, ids=[case.case_id for case in CASES])
def test_case_bills_exactly_the_expected_lines(config_runs, tmp_path_factory, case):
    result, (lines, reviews) = _outcome(config_runs, tmp_path_factory, case.config)
    assert result.returncode == 0, result.stderr[-3000:]
    got = sorted(lines.get((case.month, case.account), []))
    dos = case.dos or _month_end(case.month)
    assert got == sorted((code, units, dos) for code, units in case.expected), case.note
    assert reviews.get((case.month, case.account), set()) == set(case.review), case.note
