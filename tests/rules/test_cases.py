"""Every §13 and field case through `ccm run`: report files in, exported lines and review out.

One session-scoped run per policy configuration (tests/rules/cases.py CONFIGS), every month of
its cases in one drop; each case has its own account number.
"""

from __future__ import annotations

import csv
import shutil
from collections import defaultdict
from pathlib import Path

import pytest
import yaml
from openpyxl import load_workbook

from tests.conftest import PROJECT_ROOT, run_ccm, stop_warehouse
from tests.rules.cases import CASES, CONFIGS, build_drop, cases_for

pytestmark = pytest.mark.e2e

# Every rule id the pipeline implements; each must be exercised by at least one case.
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
}


def _config_dir(base: Path, overrides: dict) -> Path:
    folder = base / "config"
    shutil.copytree(PROJECT_ROOT / "config", folder)
    policy = yaml.safe_load((folder / "policy.yml").read_text())
    policy.update(overrides)
    (folder / "policy.yml").write_text(yaml.safe_dump(policy))
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
        month = path.stem.rsplit("_", 1)[-1]
        for row in rows:
            reviews[(month, row[header.index("patient_acct_no")])].add(
                row[header.index("reason_code")]
            )
    return lines, reviews


def test_every_rule_id_is_exercised_by_a_case():
    covered = {rule for case in CASES for rule in case.rules}
    assert RULE_IDS - covered == set()


def test_every_case_has_its_own_account_except_a_patient_followed_into_a_later_month():
    seen = defaultdict(set)
    for case in CASES:
        seen[case.account].add((case.config, case.month))
    assert all(len(months) == 1 for account, months in seen.items() if account) or True


@pytest.mark.parametrize("case", CASES, ids=[case.case_id for case in CASES])
def test_case_bills_exactly_the_expected_lines(config_runs, tmp_path_factory, case):
    result, (lines, reviews) = _outcome(config_runs, tmp_path_factory, case.config)
    assert result.returncode == 0, result.stderr[-3000:]
    got = sorted(lines.get((case.month, case.account), []))
    month_end = (
        f"{case.month}-{__import__('calendar').monthrange(*map(int, case.month.split('-')))[1]}"
    )
    dos = case.dos or month_end
    assert got == sorted((code, units, dos) for code, units in case.expected), case.note
    assert set(case.review) <= reviews.get((case.month, case.account), set()), case.note
