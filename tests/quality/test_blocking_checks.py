"""Pipeline-level quality gates: one warehouse, a few `ccm run`s, many asserts.

The sample month is run first (good data: every suite passes). Then the published month gets
a header-only vendor report (DE-28) and must stop at the raw check with `marts` and the files
untouched. A second drop feeds bad raw rows and asserts the readable messages.
"""

from __future__ import annotations

import csv
import hashlib
import io
import shutil
from pathlib import Path

import pytest

from tests.conftest import SAMPLE_DROP, run_ccm, stop_warehouse

MONTH_DROP = SAMPLE_DROP / "2025-03"
VENDOR = "MDR_vendor_monthly_202503.csv"
VENDOR_HEADER = (
    "MDR ID,EMR ID,Patient Name,DOB,Month,Time Spent,Care Manager,Care Manager Role,"
    "Billing Provider,Billable Codes,CCM Consent Date,Complexity"
)
TITLE = "MDR Monthly Vendor Report\nReport Period: 03/01/2025 - 03/31/2025\n\n"


def _csv_line(cells: list[str]) -> str:
    buffer = io.StringIO()
    csv.writer(buffer, lineterminator="").writerow(cells)
    return buffer.getvalue()


def _digests(folder: Path) -> dict[str, str]:
    return {
        str(p.relative_to(folder)): hashlib.sha256(p.read_bytes()).hexdigest()
        for p in sorted(folder.rglob("*"))
        if p.is_file()
    }


def _marts_snapshot(var_dir: Path) -> dict[str, str]:
    """Every published mart row of every month, hashed per table, read through `psql`-free SQL."""
    import subprocess
    import sys

    code = (
        "from orchestration.lib import warehouse\n"
        "from orchestration.lib.publish import PUBLISHED_MARTS\n"
        "import hashlib\n"
        "with warehouse.connect() as c:\n"
        "    for t in PUBLISHED_MARTS:\n"
        "        rows = c.execute(f'select * from marts.{t} order by 1,2,3').fetchall()\n"
        "        print(t, len(rows), hashlib.sha256(repr(rows).encode()).hexdigest())\n"
    )
    env = {"CCM_VAR_DIR": str(var_dir), "PATH": "/usr/bin:/bin"}
    out = subprocess.run(
        [sys.executable, "-c", code], env=env, capture_output=True, text=True, check=True
    )
    return {line.split()[0]: line for line in out.stdout.splitlines()}


@pytest.fixture(scope="module")
def published(tmp_path_factory):
    base = tmp_path_factory.mktemp("quality_published")
    drop, var_dir, out_dir, gx = base / "drop", base / "var", base / "out", base / "gx"
    shutil.copytree(MONTH_DROP, drop / "2025-03")
    env = {"CCM_GX_ROOT": str(gx)}
    good = run_ccm("run", "--drop", str(drop), var_dir=var_dir, out_dir=out_dir, extra_env=env)
    yield base, drop, good, env
    stop_warehouse(var_dir)


def test_good_data_passes_every_suite_and_builds_data_docs(published):
    base, _, good, _ = published
    assert good.returncode == 0, good.stderr[-3000:]
    assert not [line for line in good.stderr.splitlines() if line.startswith("  check ")]
    assert (base / "gx" / "gx" / "uncommitted" / "data_docs" / "local_site" / "index.html").exists()


def test_de28_header_only_vendor_report_stops_the_published_month_and_changes_nothing(published):
    base, drop, good, env = published
    assert good.returncode == 0
    var_dir, out_dir = base / "var", base / "out"
    files_before = _digests(out_dir)
    marts_before = _marts_snapshot(var_dir)
    (drop / "2025-03" / VENDOR).unlink()
    (drop / "2025-03" / "MDR_vendor_monthly_202503_corrected.csv").write_text(
        TITLE + VENDOR_HEADER + "\n", encoding="utf-8"
    )

    rerun = run_ccm("run", "--drop", str(drop), var_dir=var_dir, out_dir=out_dir, extra_env=env)

    assert rerun.returncode != 0
    assert "check raw/vendor_billing:raw_report_contract failed" in rerun.stderr
    assert "MDR_vendor_monthly_202503_corrected.csv, column (row count), value '0 rows" in (
        rerun.stderr
    )
    assert "expected at least one row" in rerun.stderr
    assert "step raw_report_checks failed" in rerun.stderr
    assert "published" not in rerun.stdout.split("reports loaded")[-1]
    assert _digests(out_dir) == files_before
    assert _marts_snapshot(var_dir) == marts_before


def test_bad_raw_rows_fail_the_raw_check_with_file_row_column_value(tmp_path):
    drop = tmp_path / "drop" / "2025-03"
    shutil.copytree(MONTH_DROP, drop)
    lines = (drop / VENDOR).read_text(encoding="utf-8").splitlines()
    header_at = next(i for i, line in enumerate(lines) if line.startswith("MDR ID"))
    row = next(csv.reader([lines[header_at + 1]]))
    # Line header+2 of the sample is a row the reader rejects ("pending" minutes): skip it.
    second = next(csv.reader([lines[header_at + 3]]))
    row[5], second[7] = "2000", "Intern"
    lines[header_at + 1] = _csv_line(row)
    lines[header_at + 3] = _csv_line(second)
    (drop / VENDOR).write_text("\n".join(lines) + "\n", encoding="utf-8")
    var_dir = tmp_path / "var"

    result = run_ccm(
        "run",
        "--drop",
        str(tmp_path / "drop"),
        var_dir=var_dir,
        out_dir=tmp_path / "out",
        extra_env={"CCM_GX_ROOT": str(tmp_path / "gx")},
    )
    stop_warehouse(var_dir)

    assert result.returncode != 0
    err = result.stderr
    assert "check raw/vendor_billing:raw_report_contract failed" in err
    assert (
        f"{VENDOR} row {header_at + 2}, column total_minutes, value '2000': "
        "expected total_minutes a whole number from 0 to 1440"
    ) in err
    assert (
        f"{VENDOR} row {header_at + 4}, column care_manager_role, value 'Intern': "
        "expected care_manager_role one of the staff roles"
    ) in err
    # GX ran the same suite and its failure is reported beside ours.
    assert "raw.raw_vendor_billing: GX expect_column_values_to_be_in_set" in err
    # No account number or name of the edited rows reaches the terminal.
    assert row[1] not in err and row[2] not in err and second[1] not in err
    assert not (tmp_path / "out" / "ccm_billing_2025-03.csv").exists()
