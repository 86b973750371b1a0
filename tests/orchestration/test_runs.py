"""Runs of the real pipeline: sensor, watch, backfill, collisions, cloud drop folders.

Each test runs `ccm` as a user would, against its own embedded PostgreSQL, and compares what
it publishes with the plain `ccm run` of the same sample months (the `sample_run` fixture).
"""

from __future__ import annotations

import os
import shutil
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import psycopg
import pytest

from tests.conftest import PROJECT_ROOT, SAMPLE_DROP, run_ccm, stop_warehouse

MARTS = (
    "fct_ccm_billing",
    "ccm_review_list",
    "ccm_exclusion_list",
    "te_enabled_patients",
    "te_not_enabled_patients",
)
SAMPLE_MONTHS = ("2020-12", "2021-01", "2025-03")


def marts_snapshot(var_dir: Path, months: tuple[str, ...] = SAMPLE_MONTHS) -> dict:
    """Every published mart row of the months, sorted, straight from the run's warehouse."""
    snapshot = {}
    with psycopg.connect(host=str(var_dir / "pg"), user="postgres", dbname="postgres") as conn:
        for table in MARTS:
            rows = conn.execute(
                f"select * from marts.{table} where to_char(service_month, 'YYYY-MM') = any(%s)",
                (list(months),),
            ).fetchall()
            snapshot[table] = sorted(rows, key=repr)
    return snapshot


def exported_bytes(out_dir: Path, months: tuple[str, ...] = SAMPLE_MONTHS) -> dict[str, bytes]:
    return {
        name: (out_dir / name).read_bytes()
        for month in months
        for name in (f"ccm_billing_{month}.csv", f"ccm_billing_{month}.xlsx")
    }


@pytest.fixture
def fresh(tmp_path):
    var_dir, out_dir = tmp_path / "var", tmp_path / "out"
    yield var_dir, out_dir
    stop_warehouse(var_dir)


def watch_once(drop: Path, var_dir: Path, out_dir: Path):
    """One tick of `ccm watch`, taking files at once (no wait for them to hold still)."""
    return run_ccm(
        "watch",
        "--drop",
        str(drop),
        "--once",
        var_dir=var_dir,
        out_dir=out_dir,
        extra_env={"CCM_STABLE_SECONDS": "0"},
    )


def test_a_three_month_backfill_publishes_exactly_what_three_single_runs_do(tmp_path):
    months = ("2024-11", "2024-12", "2025-01")
    drop = tmp_path / "drop"
    subprocess.run(
        [
            sys.executable,
            "data/generate.py",
            "--out",
            str(drop),
            "--months",
            *months,
            "--patients",
            "120",
        ],
        cwd=PROJECT_ROOT,
        check=True,
        capture_output=True,
    )
    backfill_var, singles_var = tmp_path / "backfill" / "var", tmp_path / "singles" / "var"
    backfill_out, singles_out = tmp_path / "backfill" / "out", tmp_path / "singles" / "out"
    try:
        result = run_ccm(
            "backfill",
            "--from",
            months[0],
            "--to",
            months[-1],
            "--drop",
            str(drop),
            var_dir=backfill_var,
            out_dir=backfill_out,
        )
        assert result.returncode == 0, result.stderr[-3000:]
        assert "Backfill 2024-11..2025-01: 3 months in one run" in result.stdout
        for month in months:
            assert f"  {month} built and tested" in result.stdout
            assert f"  {month} published" in result.stdout
            single = run_ccm(
                "run",
                "--drop",
                str(drop),
                "--month",
                month,
                var_dir=singles_var,
                out_dir=singles_out,
            )
            assert single.returncode == 0, single.stderr[-3000:]
        assert marts_snapshot(backfill_var, months) == marts_snapshot(singles_var, months)
        assert any(marts_snapshot(backfill_var, months).values())
        assert exported_bytes(backfill_out, months) == exported_bytes(singles_out, months)
    finally:
        stop_warehouse(backfill_var)
        stop_warehouse(singles_var)


def test_watch_once_on_the_sample_drop_writes_what_ccm_run_writes(sample_run, fresh, tmp_path):
    var_dir, out_dir = fresh
    drop = tmp_path / "drop"
    shutil.copytree(SAMPLE_DROP, drop)
    result = watch_once(drop, var_dir, out_dir)
    assert result.returncode == 0, result.stderr[-3000:]
    assert exported_bytes(out_dir) == exported_bytes(sample_run.out_dir)
    remaining = [p for p in drop.rglob("*") if p.is_file() and "archive" not in p.parts]
    assert remaining == []
    again = watch_once(drop, var_dir, out_dir)
    assert again.returncode == 0
    assert "Nothing to run" in again.stdout


def test_a_corrected_re_drop_re_runs_its_month_and_replaces_the_old_rows(fresh, tmp_path):
    var_dir, out_dir = fresh
    drop = tmp_path / "drop"
    shutil.copytree(SAMPLE_DROP / "2021-01", drop / "2021-01")
    first = watch_once(drop, var_dir, out_dir)
    assert first.returncode == 0, first.stderr[-3000:]
    vendor = next((SAMPLE_DROP / "2021-01").glob("MDR*"))
    lines = [line for line in vendor.read_text(encoding="utf-8-sig").splitlines() if line]
    corrected = drop / "2021-01" / vendor.name
    # The correction drops the last data row (a footer-free vendor CSV in this month; the
    # export ends with a blank line, which is not a row).
    corrected.write_text("\n".join(lines[:-1]) + "\n", encoding="utf-8")
    second = watch_once(drop, var_dir, out_dir)
    assert second.returncode == 0, second.stderr[-3000:]
    assert "2021-01: running" in second.stdout
    with psycopg.connect(host=str(var_dir / "pg"), user="postgres", dbname="postgres") as conn:
        loads = conn.execute(
            "select status, rows_loaded from raw.file_loads "
            "where report_kind = 'vendor_billing' order by load_id"
        ).fetchall()
        (raw_rows,) = conn.execute("select count(*) from raw.vendor_billing").fetchone()
    assert [status for status, _ in loads] == ["superseded", "current"]
    assert loads[1][1] == loads[0][1] - 1
    assert raw_rows == loads[1][1]  # the old load's rows are gone, not doubled


def _start(args: list[str], var_dir: Path, out_dir: Path, log: Path) -> subprocess.Popen:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("CCM_", "DAGSTER_"))}
    env["CCM_VAR_DIR"] = str(var_dir)
    return subprocess.Popen(
        [sys.executable, "-m", "orchestration.cli", *args, "--out", str(out_dir)],
        cwd=PROJECT_ROOT,
        env=env,
        stdout=open(log, "w"),  # noqa: SIM115 - closed when the process ends
        stderr=subprocess.STDOUT,
        start_new_session=True,  # its own process group: the kill reaches dbt too
    )


def test_runs_of_one_month_never_interleave_and_a_killed_run_changes_nothing(
    sample_run, fresh, tmp_path
):
    var_dir, out_dir = fresh
    month = ["run", "--drop", str(SAMPLE_DROP), "--month", "2021-01"]
    # Publish the sample once, as `sample_run` did (a month's result may rest on the months
    # loaded before it, e.g. an open hospice election), then race two runs of one month and
    # kill a third in the middle.
    first = run_ccm("run", "--drop", str(SAMPLE_DROP), var_dir=var_dir, out_dir=out_dir)
    assert first.returncode == 0, first.stderr[-3000:]
    before = marts_snapshot(var_dir, ("2021-01",))
    victim_log = tmp_path / "victim.log"
    victim = _start(month, var_dir, tmp_path / "victim_out", victim_log)
    deadline = time.time() + 120
    while "reports loaded" not in victim_log.read_text() and time.time() < deadline:
        time.sleep(0.2)
    assert "reports loaded" in victim_log.read_text()
    os.killpg(victim.pid, signal.SIGKILL)
    victim.wait(timeout=30)
    assert marts_snapshot(var_dir, ("2021-01",)) == before

    racers = [
        _start(month, var_dir, tmp_path / f"out{i}", tmp_path / f"racer{i}.log") for i in (1, 2)
    ]
    for racer in racers:
        assert racer.wait(timeout=600) == 0
    logs = [(tmp_path / f"racer{i}.log").read_text() for i in (1, 2)]
    assert any("waiting for it to finish" in log for log in logs)
    assert marts_snapshot(var_dir, ("2021-01",)) == marts_snapshot(sample_run.var_dir, ("2021-01",))


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


@pytest.fixture
def s3_endpoint():
    """A moto S3 server on loopback, started and stopped by the test."""
    from moto.server import ThreadedMotoServer

    port = _free_port()
    server = ThreadedMotoServer(ip_address="127.0.0.1", port=port, verbose=False)
    server.start()
    yield f"http://127.0.0.1:{port}"
    server.stop()


def test_the_same_flow_works_on_an_s3_drop_folder(sample_run, fresh, s3_endpoint):
    import s3fs

    var_dir, out_dir = fresh
    credentials = {"AWS_ACCESS_KEY_ID": "testing", "AWS_SECRET_ACCESS_KEY": "testing"}
    fs = s3fs.S3FileSystem(
        key="testing", secret="testing", client_kwargs={"endpoint_url": s3_endpoint}
    )
    fs.mkdir("ccm-drop")
    # Every sample month, as `sample_run` had: a month's result may rest on earlier months.
    for path in sorted(SAMPLE_DROP.glob("*/*")):
        fs.put_file(str(path), f"ccm-drop/incoming/{path.parent.name}/{path.name}")
    env = {
        **credentials,
        "AWS_DEFAULT_REGION": "us-east-1",
        "FSSPEC_S3_ENDPOINT_URL": s3_endpoint,
        "CCM_STABLE_SECONDS": "0",
    }
    result = run_ccm(
        "watch",
        "--drop",
        "s3://ccm-drop/incoming",
        "--once",
        var_dir=var_dir,
        out_dir=out_dir,
        extra_env=env,
    )
    assert result.returncode == 0, result.stderr[-3000:]
    assert exported_bytes(out_dir, ("2025-03",)) == exported_bytes(sample_run.out_dir, ("2025-03",))
    fs.invalidate_cache()
    assert fs.find("ccm-drop/incoming/2025-03") == []
    assert len(fs.find("ccm-drop/incoming/archive")) == 7 * len(list(SAMPLE_DROP.iterdir()))


# DALTON has 18 countable minutes in the sample's 2020-12; the vendor's January report adds a
# 10-minute December entry, which counts in December (R9.7) and takes her over 20 (99490).
LATE_ACCOUNT = "00584351"
LATE_VENDOR_ROW = (
    'MDR-0999001,00584351,DALTON,ROSALIND M,02/03/1944,2020-12,10,"Lindqvist, Marta",RN,'
    '"Okafor-Lindahl, Daniel DO",99490,09/07/2019,N\r\n'
)


def _january_vendor(folder: Path, *, late_row: bool) -> None:
    """Write the sample's January vendor report into `folder`, with the late December row."""
    original = next((SAMPLE_DROP / "2021-01").glob("MDR*"))
    text = original.read_text(encoding="utf-8-sig").rstrip("\r\n") + "\r\n"
    folder.mkdir(parents=True, exist_ok=True)
    (folder / original.name).write_text(
        text + (LATE_VENDOR_ROW if late_row else ""), encoding="utf-8-sig"
    )


def _december_codes(var_dir: Path) -> list[str]:
    with psycopg.connect(host=str(var_dir / "pg"), user="postgres", dbname="postgres") as conn:
        rows = conn.execute(
            "select cpt_code from marts.fct_ccm_billing "
            "where service_month = '2020-12-01' and patient_acct_no = %s order by cpt_code",
            (LATE_ACCOUNT,),
        ).fetchall()
    return [code for (code,) in rows]


def test_a_drop_bills_a_month_again_when_a_later_months_report_dates_entries_in_it(fresh, tmp_path):
    var_dir, out_dir = fresh
    drop = tmp_path / "drop"
    for month in ("2020-12", "2021-01"):
        shutil.copytree(SAMPLE_DROP / month, drop / month)
    _january_vendor(drop / "2021-01", late_row=True)

    # December runs before January's reports are loaded; the drop's result must not depend on it.
    result = run_ccm("run", "--drop", str(drop), var_dir=var_dir, out_dir=out_dir)
    assert result.returncode == 0, result.stderr[-3000:]
    assert "[again] 2020-12" in result.stdout
    again = result.stdout[result.stdout.index("[again] 2020-12") :]
    assert (
        "  rows dated in 2020-12 from the neighbouring months' reports 1 (vendor billing 1), "
        "counted here"
    ) in again.splitlines()
    assert "needs billing again" not in result.stderr
    assert _december_codes(var_dir) == ["99490"]
    with (out_dir / "ccm_billing_2020-12.csv").open(encoding="utf-8-sig") as exported:
        assert LATE_ACCOUNT in exported.read()

    # The vendor corrects January: the December entry was never theirs. January's run says
    # December's published billing is now out of date; December's run puts it right.
    _january_vendor(drop / "2021-01", late_row=False)
    january = run_ccm(
        "run", "--drop", str(drop), "--month", "2021-01", var_dir=var_dir, out_dir=out_dir
    )
    assert january.returncode == 0, january.stderr[-3000:]
    assert (
        "warning: 2020-12 needs billing again: reports of 2021-01 changed entries dated in "
        "2020-12 after it was published (run `ccm run --month 2020-12`)"
    ) in january.stderr
    assert _december_codes(var_dir) == ["99490"]  # still the stale billing, and named as such
    # A watch of another folder does not bill December, but names it too.
    elsewhere = tmp_path / "another_drop"
    elsewhere.mkdir()
    watched = watch_once(elsewhere, var_dir, out_dir)
    assert watched.returncode == 0, watched.stderr[-3000:]
    assert "warning: 2020-12 needs billing again" in watched.stderr

    december = run_ccm(
        "run", "--drop", str(drop), "--month", "2020-12", var_dir=var_dir, out_dir=out_dir
    )
    assert december.returncode == 0, december.stderr[-3000:]
    assert "needs billing again" not in december.stderr
    assert _december_codes(var_dir) == []

    # January's practice minutes re-sent cut short: December bills first, from the reports it
    # has, and January is refused. The run ends by saying what December was billed without.
    minutes = drop / "2021-01" / "PHM CCM Minutes 2021-01.xlsx"
    minutes.write_bytes(minutes.read_bytes()[:2000])
    refused = run_ccm("run", "--drop", str(drop), var_dir=var_dir, out_dir=out_dir)
    assert refused.returncode == 1
    assert (
        "warning: 2020-12 was billed without the refused 2021-01 practice minutes report's "
        "entries dated in it (its earlier report's count, if any)"
    ) in refused.stderr


def test_watch_bills_a_published_month_again_when_the_next_months_reports_change_it(
    fresh, tmp_path
):
    var_dir, out_dir = fresh
    drop = tmp_path / "drop"
    shutil.copytree(SAMPLE_DROP / "2020-12", drop / "2020-12")
    december = watch_once(drop, var_dir, out_dir)
    assert december.returncode == 0, december.stderr[-3000:]
    assert _december_codes(var_dir) == []

    shutil.copytree(SAMPLE_DROP / "2021-01", drop / "2021-01")
    _january_vendor(drop / "2021-01", late_row=True)
    january = watch_once(drop, var_dir, out_dir)
    assert january.returncode == 0, january.stderr[-3000:]
    assert january.stdout.index("2021-01: running") < january.stdout.index(
        "2020-12: billing again; a neighbouring month's report changed entries dated in it"
    )
    assert _december_codes(var_dir) == ["99490"]

    quiet = watch_once(drop, var_dir, out_dir)
    assert quiet.returncode == 0
    assert "Nothing to run" in quiet.stdout


def test_a_run_failing_after_the_swap_says_the_month_was_published(fresh):
    var_dir, out_dir = fresh
    # A folder where the month's billing CSV goes: the export fails after the marts swapped.
    (out_dir / "ccm_billing_2025-03.csv").mkdir(parents=True)
    result = run_ccm(
        "run", "--drop", str(SAMPLE_DROP), "--month", "2025-03", var_dir=var_dir, out_dir=out_dir
    )
    assert result.returncode == 1
    assert (
        "FAILED (run " in result.stderr
        and "the marts were published, but the billing files or extracts were not all "
        "written; re-run the month once the cause is fixed"
        in result.stderr
    )
    assert "nothing published" not in result.stderr
    with psycopg.connect(host=str(var_dir / "pg"), user="postgres", dbname="postgres") as conn:
        (published,) = conn.execute(
            "select count(*) from marts.fct_ccm_billing where service_month = '2025-03-01'"
        ).fetchone()
    assert published > 0
