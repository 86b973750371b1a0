"""How fast a health system's month goes through, measured against the floor.

    .venv/bin/python bench/run_bench.py [--scale 1.0] [--out var/bench]

One run on one set of files (bench/generate_scale.py writes them if missing) prints:

- floor: the files parsed by the fastest reader at hand (csv module, calamine) and COPYed
  into an empty table of text columns, nothing else;
- ingest: the product's `load_file` on the same files, and its ratio to the floor;
- `ccm run` end to end on an empty warehouse, with the peak memory of the command's process
  tree and, apart, of the embedded PostgreSQL;
- the same run with 24 months of history in the warehouse, as a ratio to the empty run;
- xlsx rows per second of our reader beside openpyxl (read_only) on the TE workbook.

Figures go to a table on stdout and to `<out>/results.json`. The warehouses live under
`<out>/` (their own embedded servers, stopped at the end); the timings are wall clock on a
shared machine, so the load average is recorded beside them.
"""

from __future__ import annotations

import argparse
import csv
import datetime as dt
import io
import json
import os
import platform
import shutil
import subprocess
import sys
import threading
import time
from pathlib import Path

import psutil

ROOT = Path(__file__).resolve().parents[1]
MONTH = "2025-03"
HISTORY_MONTHS = 24
TARGETS = {
    "ingest_to_floor": 1.5,
    "run_seconds": 180.0,
    "run_peak_rss_gib": 2.0,
    "history_to_empty": 1.2,
    "xlsx_to_openpyxl": 4.0,
}


# ---- helpers ---------------------------------------------------------------------------------


def _machine() -> dict:
    cpu = platform.processor()
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    return {
        "nproc": os.cpu_count(),
        "memory_gib": round(psutil.virtual_memory().total / 2**30, 1),
        "cpu": cpu,
        "python": platform.python_version(),
    }


def _load() -> str:
    return " ".join(f"{value:.2f}" for value in os.getloadavg())


def _ccm_env(var_dir: Path) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if k not in ("CCM_DATABASE_URL", "DAGSTER_HOME")}
    env["CCM_VAR_DIR"] = str(var_dir)
    return env


def _ccm(var_dir: Path, *args: str) -> None:
    subprocess.run(
        [str(ROOT / ".venv/bin/ccm"), *args], env=_ccm_env(var_dir), check=True, cwd=ROOT
    )


def _url(var_dir: Path) -> str:
    out = subprocess.run(
        [str(ROOT / ".venv/bin/ccm"), "db", "url"],
        env=_ccm_env(var_dir),
        check=True,
        capture_output=True,
        text=True,
        cwd=ROOT,
    )
    return out.stdout.strip().splitlines()[-1]


def _fresh_warehouse(var_dir: Path) -> str:
    if var_dir.exists():
        subprocess.run(
            [str(ROOT / ".venv/bin/ccm"), "db", "stop"],
            env=_ccm_env(var_dir),
            capture_output=True,
            cwd=ROOT,
        )
        shutil.rmtree(var_dir)
    var_dir.mkdir(parents=True)
    return _url(var_dir)  # starts the server


def _stop(var_dir: Path) -> None:
    subprocess.run(
        [str(ROOT / ".venv/bin/ccm"), "db", "stop"],
        env=_ccm_env(var_dir),
        capture_output=True,
        cwd=ROOT,
    )


def _postmaster(var_dir: Path) -> psutil.Process | None:
    pid_file = var_dir / "pg" / "postmaster.pid"
    try:
        return psutil.Process(int(pid_file.read_text().split()[0]))
    except (OSError, ValueError, psutil.Error):
        return None


class PeakMemory:
    """Polls the RSS of a process tree, and the PSS of the postgres server, until stopped."""

    def __init__(self, root: psutil.Process, postmaster: psutil.Process | None):
        self.root, self.postmaster = root, postmaster
        self.tree_peak = 0
        self.postgres_peak = 0
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._poll, daemon=True)

    def __enter__(self) -> PeakMemory:
        self._thread.start()
        return self

    def __exit__(self, *exc) -> None:
        self._stop.set()
        self._thread.join()

    @staticmethod
    def _sum(processes, attribute: str) -> int:
        total = 0
        for process in processes:
            try:
                info = process.memory_full_info() if attribute == "pss" else process.memory_info()
                total += getattr(info, attribute)
            except psutil.Error:
                pass
        return total

    def _poll(self) -> None:
        while not self._stop.wait(0.25):
            try:
                tree = [self.root, *self.root.children(recursive=True)]
            except psutil.Error:
                continue
            self.tree_peak = max(self.tree_peak, self._sum(tree, "rss"))
            if self.postmaster is not None:
                try:
                    server = [self.postmaster, *self.postmaster.children()]
                except psutil.Error:
                    continue
                # PSS shares the buffer pool out among the backends instead of counting it
                # once per backend, as RSS would.
                self.postgres_peak = max(self.postgres_peak, self._sum(server, "pss"))


# ---- files -----------------------------------------------------------------------------------


def _ensure_files(drop: Path, scale: float) -> list[Path]:
    stamp = drop.parent / "drop.scale"
    workbook_dir = drop.parent / "xlsx"
    if not (stamp.exists() and stamp.read_text().strip() == str(scale)):
        shutil.rmtree(drop, ignore_errors=True)
        shutil.rmtree(workbook_dir, ignore_errors=True)
        started = time.perf_counter()
        subprocess.run(
            [
                sys.executable,
                str(ROOT / "bench/generate_scale.py"),
                "--scale",
                str(scale),
                "--out",
                str(drop),
            ],
            check=True,
        )
        stamp.write_text(str(scale))
        print(f"generated in {time.perf_counter() - started:.1f} s")
    return sorted(drop.rglob("*.csv")) + sorted(workbook_dir.glob("*.xlsx"))


# ---- floor and ingest ------------------------------------------------------------------------


def _floor_rows(path: Path):
    """Data rows by the plainest means: csv module or calamine, header found by width."""
    if path.suffix == ".xlsx":
        import python_calamine

        with python_calamine.CalamineWorkbook.from_path(str(path)) as workbook:
            rows = workbook.get_sheet_by_index(0).to_python()
    else:
        with open(path, encoding="utf-8-sig", newline="") as handle:
            rows = list(csv.reader(handle))
    width = max(len(row) for row in rows[:50])
    return width, [row for row in rows if len(row) == width][1:]


def floor_seconds(url: str, files: list[Path]) -> dict[str, float]:
    import psycopg

    timings = {}
    with psycopg.connect(url) as conn:
        for index, path in enumerate(files):
            started = time.perf_counter()
            width, rows = _floor_rows(path)
            columns = ", ".join(f"c{i} text" for i in range(width))
            conn.execute(f"create table floor_{index} ({columns})")
            with conn.cursor().copy(f"copy floor_{index} from stdin") as copy:
                for row in rows:
                    copy.write_row(row)
            conn.commit()
            timings[path.name] = time.perf_counter() - started
            del rows
    return timings


def ingest_seconds(var_dir: Path, files: list[Path]) -> tuple[float, dict[str, float]]:
    """The drop scan, then `load_file` per file, in a child process on the bench warehouse."""
    code = f"""
import json, time
from pathlib import Path
from orchestration.lib import warehouse
from orchestration.lib.ingest import load_file, scan_drop
from orchestration.settings import reports_config

config = reports_config()
started = time.perf_counter()
folders = sorted({{Path(name).parent for name in {[str(p) for p in files]!r}}})
scanned = {{f.path: f for folder in folders for f in scan_drop(folder, config=config)}}
timings = {{"scan": time.perf_counter() - started}}
for name in {[str(p) for p in files]!r}:
    dropped = scanned[Path(name)]
    started = time.perf_counter()
    with warehouse.connect() as conn:
        result = load_file(conn, dropped, config=config)
    assert result.status == "current", (dropped.name, result.status, result.reason)
    timings[dropped.name] = time.perf_counter() - started
print(json.dumps(timings))
"""
    out = subprocess.run(
        [sys.executable, "-c", code],
        env=_ccm_env(var_dir),
        check=True,
        capture_output=True,
        text=True,
        cwd=ROOT,
    )
    timings = json.loads(out.stdout.strip().splitlines()[-1])
    return timings.pop("scan"), timings


# ---- end to end ------------------------------------------------------------------------------


def run_month(var_dir: Path, drop: Path, out: Path) -> dict:
    env = _ccm_env(var_dir)
    command = [str(ROOT / ".venv/bin/ccm"), "run", "--drop", str(drop), "--month", MONTH]
    started = time.perf_counter()
    with open(var_dir / "ccm_run.log", "w") as log:
        process = psutil.Popen(
            [*command, "--out", str(out)], env=env, cwd=ROOT, stdout=log, stderr=log
        )
        with PeakMemory(process, _postmaster(var_dir)) as peak:
            code = process.wait()
    seconds = time.perf_counter() - started
    if code != 0:
        print(f"ccm run failed ({code}); see {var_dir / 'ccm_run.log'}", file=sys.stderr)
    return {
        "succeeded": code == 0,
        "seconds": seconds,
        "peak_rss_gib": peak.tree_peak / 2**30,
        "postgres_peak_pss_gib": peak.postgres_peak / 2**30,
    }


# Raw date columns that place a row in its month (R9.7): history rows move with their month.
_SHIFTED = {
    "exclusions": ("service_date", "service_end_date"),
    "practice_minutes": ("activity_date",),
    "telephone_encounters": ("encounter_date",),
    "vendor_billing": ("reported_month",),
}


def load_history(url: str, months: int) -> float:
    """Copy the month's raw rows and marts to the `months` before it, then forget the month.

    A health system's history has the same shape as its month, so a copy shifted back in
    time (with the dates that place a row in a month moved too) is a realistic history at the
    cost of a few INSERT … SELECTs instead of `months` pipeline runs. Deleting the month's own
    loads afterwards makes the next `ccm run` redo exactly the work of the empty-warehouse run.
    """
    import psycopg

    from orchestration.lib.raw_tables import KIND_COLUMNS, LINEAGE_COLUMNS

    started = time.perf_counter()
    month = dt.date.fromisoformat(f"{MONTH}-01")
    with psycopg.connect(url) as conn:
        conn.execute(
            "create temp table history_loads (old_load bigint, back int, new_load bigint)"
        )
        current = conn.execute(
            "select load_id, report_kind from raw.file_loads "
            "where service_month = %s and status = 'current'",
            (month,),
        ).fetchall()
        for load_id, kind in current:
            for back in range(1, months + 1):
                (new_load,) = conn.execute(
                    """
                    insert into raw.file_loads
                        (report_kind, service_month, source_file, file_name, file_sha256,
                         file_bytes, rows_loaded, rows_rejected, rows_skipped, status, notes)
                    select report_kind, (service_month - make_interval(months => %s))::date,
                        source_file, file_name, file_sha256 || '-h' || %s, file_bytes,
                        rows_loaded, rows_rejected, rows_skipped, 'current', 'bench history'
                    from raw.file_loads where load_id = %s
                    returning load_id
                    """,
                    (back, back, load_id),
                ).fetchone()
                conn.execute(
                    "insert into history_loads values (%s, %s, %s)", (load_id, back, new_load)
                )
        for kind, columns in KIND_COLUMNS.items():
            shifted = _SHIFTED.get(kind, ())
            select = [
                f"to_char({c}::date - make_interval(months => h.back), 'YYYY-MM-DD')"
                if c in shifted
                else c
                for c in columns
            ]
            conn.execute(
                f"""
                insert into raw.{kind} ({", ".join((*LINEAGE_COLUMNS, *columns))})
                select h.new_load, (r.service_month - make_interval(months => h.back))::date,
                    r.sheet_name, r.source_row, {", ".join(select)}
                from raw.{kind} as r
                join history_loads as h on h.old_load = r.load_id
                """
            )
        for schema, table in conn.execute(
            """
            select table_schema, table_name from information_schema.columns
            where table_schema in ('marts_build', 'marts') and column_name = 'service_month'
                and (table_schema, table_name) in (
                    select table_schema, table_name from information_schema.tables
                    where table_type = 'BASE TABLE')
            """
        ).fetchall():
            names = [
                name
                for (name,) in conn.execute(
                    "select column_name from information_schema.columns "
                    "where table_schema = %s and table_name = %s order by ordinal_position",
                    (schema, table),
                )
            ]
            select = [
                "(t.service_month - make_interval(months => g.back))::date"
                if name == "service_month"
                else f"t.{name}"
                for name in names
            ]
            conn.execute(
                f"""
                insert into {schema}.{table} ({", ".join(names)})
                select {", ".join(select)}
                from {schema}.{table} as t
                cross join generate_series(1, %s) as g (back)
                where t.service_month = %s
                """,
                (months, month),
            )
        # The month itself goes, so the timed run loads its files again from scratch.
        month_loads = [load_id for load_id, _ in current]
        for kind in KIND_COLUMNS:
            conn.execute(f"delete from raw.{kind} where load_id = any(%s)", (month_loads,))
        conn.execute("delete from raw.rejected_rows where load_id = any(%s)", (month_loads,))
        conn.execute("delete from raw.file_loads where service_month = %s", (month,))
        conn.commit()
        conn.autocommit = True
        conn.execute("vacuum analyze")
    return time.perf_counter() - started


def history_size(url: str) -> dict[str, int]:
    import psycopg

    with psycopg.connect(url) as conn:
        raw_rows = conn.execute(
            "select sum(rows_loaded) from raw.file_loads where status = 'current'"
        ).fetchone()[0]
        months = conn.execute(
            "select count(distinct service_month) from raw.file_loads"
        ).fetchone()[0]
    return {"raw_rows": int(raw_rows or 0), "months": int(months)}


# ---- xlsx read rate --------------------------------------------------------------------------


def xlsx_rates(workbook: Path) -> dict[str, float]:
    import openpyxl

    from orchestration.lib.readers import kind_specs, read_report
    from orchestration.lib.readers.sources import read_grids
    from orchestration.settings import reports_config

    spec = kind_specs(reports_config())["telephone_encounters"]
    started = time.perf_counter()
    parsed = read_report(workbook, spec)
    ours = time.perf_counter() - started
    rows = len(parsed.rows)
    del parsed

    started = time.perf_counter()
    _, grids = read_grids(workbook)
    grid_rows = sum(len(g.rows) for g in grids)
    cells = time.perf_counter() - started
    del grids

    started = time.perf_counter()
    book = openpyxl.load_workbook(workbook, read_only=True, data_only=True)
    sheet_rows = sum(1 for _ in book.worksheets[0].iter_rows(values_only=True))
    book.close()
    theirs = time.perf_counter() - started
    return {
        "rows": rows,
        "ours_rows_per_s": rows / ours,
        "calamine_grid_rows_per_s": grid_rows / cells,
        "openpyxl_rows_per_s": sheet_rows / theirs,
    }


# ---- report ----------------------------------------------------------------------------------


def _table(results: dict) -> str:
    r = results
    t = TARGETS

    def mark(ok: bool) -> str:
        return "ok" if ok else "MISSED"

    lines = [
        f"{'figure':<44}{'value':>14}  {'target':<12}",
        "-" * 76,
        f"{'floor: parse + COPY, all files (s)':<44}{r['floor_s']:>14.1f}",
        f"{'ingest: load_file, all files (s)':<44}{r['ingest_s']:>14.1f}",
        f"{'drop scan: classify + SHA-256, all files (s)':<44}{r['scan_s']:>14.1f}",
        f"{'ingest / floor':<44}{r['ingest_to_floor']:>14.2f}  "
        f"<= {t['ingest_to_floor']}  {mark(r['ingest_to_floor'] <= t['ingest_to_floor'])}",
        f"{'ccm run, empty warehouse (s)':<44}{r['run_empty']['seconds']:>14.1f}  "
        f"< {t['run_seconds']:.0f}  {mark(r['run_empty']['seconds'] < t['run_seconds'])}",
        f"{'  peak RSS, ccm process tree (GiB)':<44}{r['run_empty']['peak_rss_gib']:>14.2f}  "
        f"< {t['run_peak_rss_gib']}  "
        f"{mark(r['run_empty']['peak_rss_gib'] < t['run_peak_rss_gib'])}",
        f"{'  peak PSS, embedded postgres (GiB)':<44}"
        f"{r['run_empty']['postgres_peak_pss_gib']:>14.2f}",
    ]
    if "run_history" in r:
        lines += [
            f"{'history load, 24 months by SQL (s)':<44}{r['history_load_s']:>14.1f}",
            f"{'ccm run with 24 months of history (s)':<44}"
            f"{r['run_history']['seconds']:>14.1f}",
            f"{'  history / empty':<44}{r['history_to_empty']:>14.2f}  "
            f"<= {t['history_to_empty']}  "
            f"{mark(r['history_to_empty'] <= t['history_to_empty'])}",
        ]
    x = r["xlsx"]
    lines += [
        f"{'xlsx: read_report (rows/s)':<44}{x['ours_rows_per_s']:>14,.0f}",
        f"{'xlsx: calamine grid only (rows/s)':<44}{x['calamine_grid_rows_per_s']:>14,.0f}",
        f"{'xlsx: openpyxl read_only (rows/s)':<44}{x['openpyxl_rows_per_s']:>14,.0f}",
        f"{'  read_report / openpyxl':<44}{r['xlsx_to_openpyxl']:>14.2f}  "
        f">= {t['xlsx_to_openpyxl']}  {mark(r['xlsx_to_openpyxl'] >= t['xlsx_to_openpyxl'])}",
        "",
        "per file (s)                                   floor    ingest   ratio",
    ]
    for name, floor in r["floor_by_file"].items():
        ingest = r["ingest_by_file"][name]
        lines.append(f"  {name:<42}{floor:>8.2f}{ingest:>10.2f}{ingest / floor:>8.2f}")
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="Benchmark a health system's month end to end.")
    parser.add_argument("--scale", type=float, default=1.0, help="0.01..1.0 (default 1.0)")
    parser.add_argument(
        "--out", type=Path, default=ROOT / "var/bench", help="bench folder (default var/bench)"
    )
    parser.add_argument(
        "--no-history", action="store_true", help="skip the run with 24 months of history"
    )
    args = parser.parse_args(argv)
    if not 0.01 <= args.scale <= 1.0:
        parser.error("--scale must be between 0.01 and 1.0")
    out = args.out.resolve()
    drop = out / "drop"
    files = _ensure_files(drop, args.scale)
    results: dict = {
        "date": dt.datetime.now().isoformat(timespec="seconds"),
        "scale": args.scale,
        "machine": _machine(),
        "load_before": _load(),
        "rows": {},
    }

    # Floor and ingest share one warehouse; the end-to-end runs get a fresh one each.
    scratch = out / "wh_ingest"
    url = _fresh_warehouse(scratch)
    print(f"floor … (load {_load()})", flush=True)
    floor = floor_seconds(url, files)
    print(f"ingest … (load {_load()})", flush=True)
    scan, ingest = ingest_seconds(scratch, files)
    _stop(scratch)
    results |= {
        "scan_s": scan,
        "floor_by_file": floor,
        "ingest_by_file": ingest,
        "floor_s": sum(floor.values()),
        "ingest_s": sum(ingest.values()),
    }
    results["ingest_to_floor"] = results["ingest_s"] / results["floor_s"]

    warehouse_dir = out / "wh_run"
    url = _fresh_warehouse(warehouse_dir)
    print(f"ccm run, empty warehouse … (load {_load()})", flush=True)
    results["run_empty"] = run_month(warehouse_dir, drop, out / "billing")
    if not args.no_history:
        print(f"history: {HISTORY_MONTHS} months by SQL … (load {_load()})", flush=True)
        results["history_load_s"] = load_history(url, HISTORY_MONTHS)
        results["history"] = history_size(url)
        print(f"ccm run with history … (load {_load()})", flush=True)
        results["run_history"] = run_month(warehouse_dir, drop, out / "billing")
        results["history_to_empty"] = (
            results["run_history"]["seconds"] / results["run_empty"]["seconds"]
        )
    _stop(warehouse_dir)

    print(f"xlsx read rate … (load {_load()})", flush=True)
    workbook = next(p for p in files if p.suffix == ".xlsx")
    results["xlsx"] = xlsx_rates(workbook)
    results["xlsx_to_openpyxl"] = (
        results["xlsx"]["ours_rows_per_s"] / results["xlsx"]["openpyxl_rows_per_s"]
    )
    results["load_after"] = _load()

    print()
    print(_table(results))
    print(f"\nload average before {results['load_before']}, after {results['load_after']}")
    (out / "results.json").write_text(json.dumps(results, indent=2, default=str) + "\n")
    print(f"wrote {out / 'results.json'}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
