"""Bad drops through `ccm run`: refused files, a wrong --month or --out, and Ctrl-C.

The full-month tests share one warehouse: a first run bills the sample March with an older,
unreadable vendor file beside the good one, and later tests change the drop and run again.
"""

from __future__ import annotations

import hashlib
import os
import shutil
import signal
import subprocess
import sys
import time
from datetime import date
from pathlib import Path

import psycopg
import pytest

from orchestration.cli import INTERRUPTED
from orchestration.defs.ingest.assets import newest_refused
from orchestration.lib.drop_watch import Classification, DropStore, WatchCursor, take_ready_files
from orchestration.lib.ingest import LoadResult
from tests.conftest import PROJECT_ROOT, SAMPLE_DROP, run_ccm, stop_warehouse

MARCH = "2025-03"
VENDOR = "MDR_vendor_monthly_202503.csv"
ZIP_ERROR = "cannot read the file: the workbook cannot be opened (ZipError)"


def unreadable_workbook(path: Path, *, age_days: float = 0) -> Path:
    """The first 300 bytes of a real workbook: a zip cut short, as a failed sync leaves it."""
    source = SAMPLE_DROP / MARCH / "PHM CCM Minutes 2025-03.xlsx"
    path.write_bytes(source.read_bytes()[:300] + path.name.encode())
    when = time.time() - age_days * 86400
    os.utime(path, (when, when))
    return path


def digests(folder: Path) -> dict[str, str]:
    return {
        p.name: hashlib.sha256(p.read_bytes()).hexdigest() for p in folder.iterdir() if p.is_file()
    }


def published_rows(var_dir: Path) -> list[tuple]:
    with psycopg.connect(host=str(var_dir / "pg"), user="postgres", dbname="postgres") as conn:
        return conn.execute(
            "select * from marts.fct_ccm_billing where service_month = %s order by 1, 2, 3",
            (date(2025, 3, 1),),
        ).fetchall()


def vendor_loads(var_dir: Path) -> list[tuple]:
    with psycopg.connect(host=str(var_dir / "pg"), user="postgres", dbname="postgres") as conn:
        return conn.execute(
            "select file_name, status from raw.file_loads "
            "where report_kind = 'vendor_billing' order by load_id"
        ).fetchall()


def result(status: str, name: str) -> LoadResult:
    return LoadResult(None, "vendor_billing", date(2025, 3, 1), name, 0, 0, 0, status, "why")


def test_only_a_refused_newest_file_of_a_kind_leaves_the_month_stale():
    old_bad, good, new_bad = (
        result("quarantined", "a.xlsx"),
        result("current", "b.csv"),
        result("quarantined", "c.xlsx"),
    )
    assert newest_refused({"vendor_billing": [old_bad, good]}) == []  # a corrected re-drop
    assert newest_refused({"vendor_billing": [good, new_bad]}) == [new_bad]
    assert newest_refused({"vendor_billing": [new_bad], "exclusions": []}) == [new_bad]
    assert newest_refused({"vendor_billing": [result("unchanged", "b.csv")]}) == []


def test_a_month_the_drop_lacks_fails_before_anything_starts(tmp_path):
    drop = tmp_path / "drop"
    shutil.copytree(SAMPLE_DROP / MARCH, drop / MARCH)
    var_dir = tmp_path / "var"

    run = run_ccm(
        "run", "--drop", str(drop), "--month", "2025-04", var_dir=var_dir, out_dir=tmp_path
    )

    assert run.returncode == 2
    assert run.stderr.strip().splitlines()[-1] == (
        f"ccm run: no report for 2025-04 in {drop} (months present: 2025-03)"
    )
    assert run.stdout == ""
    assert not var_dir.exists()  # no warehouse, no Dagster home: nothing ran


@pytest.mark.parametrize("where", ["a file", "inside a file"])
def test_an_out_folder_that_cannot_be_written_fails_before_anything_starts(tmp_path, where):
    blocker = tmp_path / "billing.csv"
    blocker.write_text("not a folder")
    out = blocker if where == "a file" else blocker / "billing"
    var_dir = tmp_path / "var"

    run = run_ccm("run", "--drop", str(SAMPLE_DROP), var_dir=var_dir, out_dir=out)

    reason = "it is a file, not a folder" if where == "a file" else "Not a directory"
    assert run.returncode == 2
    assert run.stderr.strip().splitlines()[-1] == f"ccm run: cannot write to --out {out}: {reason}"
    assert run.stdout == ""
    assert not var_dir.exists()


@pytest.fixture(scope="module")
def billed_march(tmp_path_factory):
    """March billed once, with a refused older vendor file the good one replaced."""
    base = tmp_path_factory.mktemp("bad_drops")
    drop, var_dir, out_dir = base / "drop", base / "var", base / "out"
    shutil.copytree(SAMPLE_DROP / MARCH, drop / MARCH)
    unreadable_workbook(drop / MARCH / "MDR_vendor_monthly_202503_first.xlsx", age_days=30)
    first = run_ccm("run", "--drop", str(drop), var_dir=var_dir, out_dir=out_dir)
    yield drop, var_dir, out_dir, first
    stop_warehouse(var_dir)


def test_a_refused_file_replaced_by_a_newer_one_bills_the_month_and_is_counted(billed_march):
    drop, var_dir, _, first = billed_march

    assert first.returncode == 0, first.stderr[-3000:]
    assert "  rejected rows 1, quarantined files 1\n" in first.stdout
    assert "  rows dated outside the month 0\n" in first.stdout
    assert "INCOMPLETE" not in first.stdout  # all seven reports are in
    assert (
        "  warning: vendor_billing 2025-03: MDR_vendor_monthly_202503_first.xlsx quarantined: "
        f"{ZIP_ERROR}\n"
    ) in first.stderr
    assert "Traceback" not in first.stderr
    kept = sorted(p.name for p in (var_dir / "quarantine" / MARCH / "vendor_billing").iterdir())
    assert len(kept) == 2 and kept[0].startswith("MDR_vendor_monthly_202503_first.")
    assert kept[1] == kept[0] + ".reason.txt"
    assert vendor_loads(var_dir) == [
        ("MDR_vendor_monthly_202503_first.xlsx", "failed"),
        (VENDOR, "current"),
    ]


def test_a_refused_newest_file_fails_the_month_instead_of_billing_the_old_load(billed_march):
    drop, var_dir, out_dir, first = billed_march
    assert first.returncode == 0
    files_before, rows_before = digests(out_dir), published_rows(var_dir)
    newest = unreadable_workbook(drop / MARCH / "MDR_vendor_monthly_202503_v2.xlsx")
    try:
        again = run_ccm("run", "--drop", str(drop), var_dir=var_dir, out_dir=out_dir)
    finally:
        newest.unlink()

    assert again.returncode == 1
    assert (
        "  step raw_reports failed: 2025-03 not billed: its newest vendor billing report "
        f"MDR_vendor_monthly_202503_v2.xlsx was quarantined: {ZIP_ERROR}\n"
    ) in again.stderr
    assert "nothing published" in again.stderr
    assert "patients billed" not in again.stdout
    assert "Traceback" not in again.stderr
    assert digests(out_dir) == files_before
    assert published_rows(var_dir) == rows_before
    assert vendor_loads(var_dir)[-2:] == [
        (VENDOR, "current"),  # still the good file's load: kept, never billed as new
        ("MDR_vendor_monthly_202503_v2.xlsx", "failed"),
    ]


def test_ctrl_c_during_a_run_prints_one_line_and_exits_130(billed_march):
    drop, var_dir, out_dir, first = billed_march
    assert first.returncode == 0
    files_before, rows_before = digests(out_dir), published_rows(var_dir)
    env = {k: v for k, v in os.environ.items() if not k.startswith(("CCM_", "DAGSTER_"))}
    env["CCM_VAR_DIR"] = str(var_dir)
    command = [sys.executable, "-m", "orchestration.cli", "run", "--drop", str(drop)]
    run = subprocess.Popen(
        [*command, "--out", str(out_dir)],
        cwd=PROJECT_ROOT,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        start_new_session=True,  # its own process group, as a terminal's foreground job
    )
    try:
        for line in run.stdout:
            if "reports loaded" in line:  # dbt is building the month now
                break
        os.killpg(run.pid, signal.SIGINT)  # what Ctrl-C sends
        _, stderr = run.communicate(timeout=300)
    finally:
        if run.poll() is None:
            run.kill()

    assert run.returncode == 130
    assert stderr.strip().splitlines() == [INTERRUPTED]
    assert digests(out_dir) == files_before
    assert published_rows(var_dir) == rows_before


def test_the_watcher_puts_a_refused_newest_report_in_its_month_so_the_run_fails_on_it(tmp_path):
    drop, inbox = tmp_path / "drop", tmp_path / "inbox"
    drop.mkdir()
    cursor, set_aside_by_run = WatchCursor(), []

    def classify(path: Path, _root: Path) -> Classification:
        problem = (
            "cannot read the file: the workbook cannot be opened" if "v2" in path.name else None
        )
        return Classification("vendor_billing", date(2025, 3, 1), problem)

    def quarantine(path: Path, found: Classification) -> str:
        set_aside_by_run.append(path.name)
        return found.problem or ""

    def tick(name: str, content: bytes) -> None:
        (drop / name).write_bytes(content)
        os.utime(drop / name, (1, 1))
        take_ready_files(
            DropStore(str(drop)),
            cursor,
            now=1_000,
            stable_seconds=60,
            inbox_root=inbox,
            classify=classify,
            quarantine=quarantine,
        )

    tick("MDR vendor 2025-03.csv", b"the good report")
    tick("MDR vendor 2025-03 v2.xlsx", b"PK\x03\x04 cut short")

    [kept] = (inbox / MARCH).rglob("*.*")
    assert (kept.name, kept.read_bytes()) == ("MDR vendor 2025-03 v2.xlsx", b"PK\x03\x04 cut short")
    refused_sha = hashlib.sha256(b"PK\x03\x04 cut short").hexdigest()
    assert cursor.months[MARCH]["kinds"] == {"vendor_billing": refused_sha}
    note = drop / "quarantine" / f"{refused_sha[:12]}_MDR vendor 2025-03 v2.xlsx.reason.txt"
    assert note.read_text() == "cannot read the file: the workbook cannot be opened\n"
    assert set_aside_by_run == []  # the month's run quarantines it, naming it in its failure


def test_the_watcher_sets_aside_a_250_byte_file_name_beside_its_reason(tmp_path):
    drop = tmp_path / "drop"
    drop.mkdir()
    name = "lunch menu " + "x" * (250 - len("lunch menu ") - 4) + ".csv"
    (drop / name).write_bytes(b"Dish,Price\nSoup,4\n")
    os.utime(drop / name, (1, 1))

    take_ready_files(
        DropStore(str(drop)),
        WatchCursor(),
        now=1_000,
        stable_seconds=60,
        inbox_root=tmp_path / "inbox",
        classify=lambda path, root: Classification(None, None, "unrecognised report"),
        quarantine=lambda path, found: found.problem,
    )

    kept = sorted(p.name for p in (drop / "quarantine").iterdir())
    assert len(name.encode()) == 250 and len(kept) == 2
    assert kept[1] == kept[0] + ".reason.txt" and len(kept[1].encode()) <= 255
    assert kept[0].endswith(".csv") and kept[0][13:].startswith("lunch menu xxx")
    assert (drop / "quarantine" / kept[0]).read_bytes() == b"Dish,Price\nSoup,4\n"
    assert (drop / "quarantine" / kept[1]).read_text() == "unrecognised report\n"
