"""How fast a health system's month goes through, measured against the floor.

    .venv/bin/python bench/run_bench.py              # the full month (scale 1.0)
    .venv/bin/python bench/run_bench.py --smoke      # the same steps at scale 0.02, minutes
    .venv/bin/python bench/run_bench.py --scale 0.2  # any size in between

One run on one set of files (bench/generate_scale.py writes them when missing) prints:

- floor: each file parsed and COPYed into an empty table of text columns, nothing else
  (bench/floor_ingest.py; the faster of the csv module or calamine with COPY of the rows,
  and PostgreSQL parsing the CSV itself; the best of three timings);
- ingest: the month loaded as `ccm run` loads it (the workers started, the drop scan, then
  the report kinds in worker processes side by side; the best of three timings), and its
  ratio to the floor; beside it, each file's
  `load_file` alone, one after another, against that file's floor;
- `ccm run` end to end on an empty warehouse, its peak memory (the command's process tree
  and the embedded PostgreSQL), and where the time went (Dagster steps, slowest dbt nodes);
- the same run with 24 months of history in the warehouse (and the Tableau extracts its
  earlier runs would have written), as a ratio to the empty run;
- xlsx rows per second of the product's reader beside openpyxl (read_only) on the TE workbook.

Figures go to a table on stdout and to `<out>/results.json`; each run's logs to `<out>/logs/`.
The warehouses live under `<out>/` (embedded servers of their own, stopped at the end). Times
are wall clock, and the machine may be shared, so the load average of each step is kept.
"""

from __future__ import annotations

import argparse
import contextlib
import datetime as dt
import json
import os
import platform
import shutil
import subprocess
import sys
import threading
import time
import warnings
from pathlib import Path

import psutil
import psycopg

ROOT = Path(__file__).resolve().parents[1]
CCM = ROOT / ".venv" / "bin" / "ccm"
MONTH = "2025-03"
HISTORY_MONTHS = 24
SMOKE_SCALE = 0.02
TARGETS = {
    "ingest_to_floor": 1.5,
    "run_seconds": 180.0,
    "run_peak_gib": 2.0,
    "history_to_empty": 1.2,
    "xlsx_to_openpyxl": 4.0,
}
# Settings the product reads from the environment that would point the bench elsewhere.
_FOREIGN_SETTINGS = ("CCM_DATABASE_URL", "CCM_PGDATA", "DAGSTER_HOME", "CCM_DROP", "CCM_OUT")


def _load() -> str:
    return " ".join(f"{value:.2f}" for value in os.getloadavg())


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
        "cores": os.cpu_count(),
        "memory_gib": round(psutil.virtual_memory().total / 2**30, 1),
        "cpu": cpu,
        "os": platform.platform(terse=True),
        "python": platform.python_version(),
    }


def _env(var_dir: Path) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if k not in _FOREIGN_SETTINGS}
    env["CCM_VAR_DIR"] = str(var_dir)
    return env


def _ccm(var_dir: Path, *args: str) -> str:
    done = subprocess.run(
        [str(CCM), *args], env=_env(var_dir), cwd=ROOT, check=True, capture_output=True, text=True
    )
    return done.stdout


def _stop(var_dir: Path) -> None:
    if (var_dir / "pg" / "postmaster.pid").exists():
        subprocess.run(
            [str(CCM), "db", "stop"], env=_env(var_dir), cwd=ROOT, capture_output=True, check=False
        )


def _fresh_warehouse(var_dir: Path) -> str:
    """An empty embedded warehouse under `var_dir`, started; returns its URL."""
    _stop(var_dir)
    shutil.rmtree(var_dir, ignore_errors=True)
    var_dir.mkdir(parents=True)
    return _ccm(var_dir, "db", "url").strip().splitlines()[-1]


def _checkpoint(url: str) -> None:
    # Dirty pages left by the step before are written now rather than inside the next timing.
    with psycopg.connect(url, autocommit=True) as conn:
        conn.execute("checkpoint")


def _postmaster(var_dir: Path) -> psutil.Process | None:
    try:
        pid = int((var_dir / "pg" / "postmaster.pid").read_text().split()[0])
        return psutil.Process(pid)
    except (OSError, ValueError, IndexError, psutil.Error):
        return None


class PeakMemory:
    """Polls the RSS of a process tree and the PSS of the PostgreSQL server until stopped.

    PSS shares the server's buffer pool out among its backends instead of counting it once per
    backend, as RSS would. The combined peak is taken from one sample of both, four a second.
    When the machine's available memory falls below `reserve` bytes the tree is killed: the
    bench may share its machine, and a run that big has missed its memory target anyway.
    """

    def __init__(self, root: psutil.Process, server: psutil.Process | None, reserve: int):
        self.root, self.server, self.reserve = root, server, reserve
        self.tree = self.postgres = self.combined = 0
        self.killed = False
        self._done = threading.Event()
        self._thread = threading.Thread(target=self._poll, daemon=True)

    def __enter__(self) -> PeakMemory:
        self._thread.start()
        return self

    def __exit__(self, *exc) -> None:
        self._done.set()
        self._thread.join()

    @staticmethod
    def _sum(processes: list[psutil.Process], pss: bool) -> int:
        total = 0
        for process in processes:
            with contextlib.suppress(psutil.Error):
                total += process.memory_full_info().pss if pss else process.memory_info().rss
        return total

    def _kill(self, tree: list[psutil.Process]) -> None:
        self.killed = True
        for process in reversed(tree):
            with contextlib.suppress(psutil.Error):
                process.kill()

    def _poll(self) -> None:
        while not self._done.wait(0.25):
            try:
                processes = [self.root, *self.root.children(recursive=True)]
            except psutil.Error:
                continue
            tree = self._sum(processes, pss=False)
            postgres = 0
            if self.server is not None:
                with contextlib.suppress(psutil.Error):
                    postgres = self._sum([self.server, *self.server.children()], pss=True)
            self.tree = max(self.tree, tree)
            self.postgres = max(self.postgres, postgres)
            self.combined = max(self.combined, tree + postgres)
            if not self.killed and psutil.virtual_memory().available < self.reserve:
                self._kill(processes)


def ensure_files(drop: Path, scale: float) -> list[Path]:
    """The month's CSVs and the TE workbook, generated again only when the scale changed."""
    stamp = drop.parent / "drop.scale"
    workbook_dir = drop.parent / "xlsx"
    if not (stamp.exists() and stamp.read_text().strip() == str(scale)):
        shutil.rmtree(drop, ignore_errors=True)
        shutil.rmtree(workbook_dir, ignore_errors=True)
        stamp.unlink(missing_ok=True)
        started = time.perf_counter()
        subprocess.run(
            [
                sys.executable,
                str(ROOT / "bench" / "generate_scale.py"),
                *("--scale", str(scale), "--out", str(drop)),
            ],
            check=True,
        )
        stamp.write_text(str(scale))
        print(f"generated in {time.perf_counter() - started:.0f} s", flush=True)
    return sorted(drop.rglob("*.csv")) + sorted(workbook_dir.glob("*.xlsx"))


def floor_and_ingest(var_dir: Path, files: list[Path]) -> dict:
    """bench/floor_ingest.py in a child process on the warehouse under `var_dir`."""
    done = subprocess.run(
        [sys.executable, str(ROOT / "bench" / "floor_ingest.py"), *map(str, files)],
        env=_env(var_dir),
        cwd=ROOT,
        check=True,
        stdout=subprocess.PIPE,
        text=True,
    )
    return json.loads(done.stdout.strip().splitlines()[-1])


def _run_details(var_dir: Path) -> dict:
    """Dagster's step times and dbt's slowest nodes for the newest run of this warehouse."""
    from dagster import DagsterInstance

    instance = DagsterInstance.from_config(str(var_dir / "dagster_home"))
    try:
        runs = instance.get_runs(limit=1)
        if not runs:
            return {"run_id": None, "steps_s": {}, "slowest_dbt_nodes_s": {}}
        run = runs[0]
        steps = {
            stat.step_key: round(stat.end_time - stat.start_time, 1)
            for stat in instance.get_run_step_stats(run.run_id)
            if stat.start_time and stat.end_time
        }
    finally:
        instance.dispose()
    nodes: dict[str, float] = {}
    targets = sorted((ROOT / "dbt_ccm" / "target").glob(f"*-{run.run_id[:7]}-*/run_results.json"))
    if targets:
        results = json.loads(targets[-1].read_text())["results"]
        slowest = sorted(results, key=lambda node: -node["execution_time"])[:8]
        nodes = {node["unique_id"]: round(node["execution_time"], 1) for node in slowest}
    return {"run_id": run.run_id, "steps_s": steps, "slowest_dbt_nodes_s": nodes}


def run_month(
    var_dir: Path, url: str, drop: Path, out: Path, label: str, reserve_gib: float
) -> dict:
    """`ccm run` for the month, timed from the command's start to its exit."""
    _checkpoint(url)
    logs = out / "logs"
    logs.mkdir(parents=True, exist_ok=True)
    command = [str(CCM), "run", "--drop", str(drop), "--month", MONTH, "--out", str(out / label)]
    load = _load()
    started = time.perf_counter()
    with open(logs / f"ccm_run_{label}.log", "w") as log:
        process = psutil.Popen(command, env=_env(var_dir), cwd=ROOT, stdout=log, stderr=log)
        with PeakMemory(process, _postmaster(var_dir), int(reserve_gib * 2**30)) as peak:
            code = process.wait()
    seconds = time.perf_counter() - started
    run_log = var_dir / "logs" / f"run_{MONTH}.log"
    if run_log.exists():
        shutil.copy(run_log, logs / f"dagster_run_{label}.log")
    if code != 0 and not peak.killed:
        raise SystemExit(f"ccm run ({label}) failed with exit code {code}; see {logs}")
    if peak.killed:
        print(
            f"ccm run ({label}) stopped after {seconds:.0f} s: less than {reserve_gib} GiB of "
            "the machine's memory was left",
            file=sys.stderr,
        )
    return {
        "completed": not peak.killed,
        "seconds": seconds,
        "load": load,
        "peak_tree_rss_gib": peak.tree / 2**30,
        "peak_postgres_pss_gib": peak.postgres / 2**30,
        "peak_combined_gib": peak.combined / 2**30,
        **_run_details(var_dir),
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
    time is a realistic history at the cost of a few INSERT … SELECTs instead of `months`
    pipeline runs. Every date moves with its month (in raw, the dates that place a row in a
    month; in the marts, every date column), so the dbt tests that read all months still pass.
    The month's own loads and mart rows go afterwards: the next `ccm run` then does exactly
    the work of the empty-warehouse run, beside the history.
    """
    from orchestration.lib.publish import BUILD_SCHEMA, PUBLISHED_MARTS, PUBLISHED_SCHEMA
    from orchestration.lib.raw_tables import KIND_COLUMNS, LINEAGE_COLUMNS

    started = time.perf_counter()
    month = dt.date.fromisoformat(f"{MONTH}-01")
    with psycopg.connect(url) as conn:
        conn.execute("create temp table history_loads (old_load bigint, back int, new_load bigint)")
        current = conn.execute(
            "select load_id from raw.file_loads where service_month = %s and status = 'current'",
            (month,),
        ).fetchall()
        for (load_id,) in current:
            for back in range(1, months + 1):
                (new_load,) = conn.execute(
                    """
                    insert into raw.file_loads
                        (report_kind, service_month, source_file, file_name, file_sha256,
                         file_bytes, rows_loaded, rows_rejected, rows_skipped, status, notes,
                         entry_months)
                    select report_kind, (service_month - make_interval(months => %(back)s))::date,
                        source_file, file_name, file_sha256 || '-h' || %(back)s, file_bytes,
                        rows_loaded, rows_rejected, rows_skipped, 'current', 'bench history',
                        case when entry_months is not null then array(
                            select (entry_month - make_interval(months => %(back)s))::date
                            from unnest(entry_months) as entry_month
                        ) end
                    from raw.file_loads where load_id = %(load)s
                    returning load_id
                    """,
                    {"back": back, "load": load_id},
                ).fetchone()
                conn.execute(
                    "insert into history_loads values (%s, %s, %s)", (load_id, back, new_load)
                )
        # Oldest month first and one month per statement, so each month's rows lie together
        # as monthly loads leave them; one statement for all months interleaved them, and every
        # month-filtered read of the history run then touched most of each table's pages.
        for back in range(months, 0, -1):
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
                    inner join history_loads as h on r.load_id = h.old_load
                    where h.back = %s
                    order by r.load_id, r.source_row
                    """,
                    (back,),
                )
        for schema in (BUILD_SCHEMA, PUBLISHED_SCHEMA):
            for table in PUBLISHED_MARTS:
                columns = conn.execute(
                    "select column_name, data_type from information_schema.columns "
                    "where table_schema = %s and table_name = %s order by ordinal_position",
                    (schema, table),
                ).fetchall()
                select = [
                    f"(t.{name} - make_interval(months => %(back)s))::date"
                    if data_type == "date"
                    else f"t.{name}"
                    for name, data_type in columns
                ]
                for back in range(months, 0, -1):  # as the raw rows: a month's rows together
                    conn.execute(
                        f"""
                        insert into {schema}.{table} ({", ".join(name for name, _ in columns)})
                        select {", ".join(select)}
                        from {schema}.{table} as t
                        where t.service_month = %(month)s
                        """,
                        {"back": back, "month": month},
                    )
                conn.execute(f"delete from {schema}.{table} where service_month = %s", (month,))
        # Each history month was published once; the month itself is published by the run.
        conn.execute(
            """
            insert into audit.mart_publications (service_month, published_at)
            select (%s::date - make_interval(months => g.back))::date, now()
            from generate_series(1, %s) as g (back)
            on conflict (service_month) do nothing
            """,
            (month, months),
        )
        conn.execute("delete from audit.mart_publications where service_month = %s", (month,))
        month_loads = [load_id for (load_id,) in current]
        for kind in KIND_COLUMNS:
            conn.execute(f"delete from raw.{kind} where load_id = any(%s)", (month_loads,))
        conn.execute("delete from raw.rejected_rows where load_id = any(%s)", (month_loads,))
        conn.execute("delete from raw.file_loads where service_month = %s", (month,))
        conn.commit()
        conn.autocommit = True
        conn.execute("vacuum analyze")
    return time.perf_counter() - started


def history_size(url: str) -> dict[str, int]:
    with psycopg.connect(url) as conn:
        raw_rows, months = conn.execute(
            "select sum(rows_loaded), count(distinct service_month) from raw.file_loads "
            "where status = 'current'"
        ).fetchone()
        (database_bytes,) = conn.execute("select pg_database_size(current_database())").fetchone()
    return {
        "raw_rows": int(raw_rows or 0),
        "months": int(months),
        "database_gib": round(database_bytes / 2**30, 2),
    }


def xlsx_rates(workbook: Path) -> dict[str, float]:
    """Rows a second: the product's reader (grid and every value parsed), calamine's grid
    alone, and openpyxl's read-only rows (cells only, no parsing: a generous baseline)."""
    import openpyxl

    from orchestration.lib.readers import kind_specs, read_report
    from orchestration.lib.readers.sources import read_grids
    from orchestration.settings import reports_config

    spec = kind_specs(reports_config())["telephone_encounters"]
    workbook.read_bytes()  # the first reader timed must not be the one that warms the cache
    started = time.perf_counter()
    rows = len(read_report(workbook, spec).rows)
    ours = time.perf_counter() - started

    started = time.perf_counter()
    _, grids = read_grids(workbook)
    grid_rows = sum(len(grid.rows) for grid in grids)
    calamine = time.perf_counter() - started
    del grids

    started = time.perf_counter()
    with warnings.catch_warnings():
        # The generated workbook has no default cell style; openpyxl says so and carries on.
        warnings.simplefilter("ignore", UserWarning)
        book = openpyxl.load_workbook(workbook, read_only=True, data_only=True)
        sheet_rows = sum(1 for _ in book.worksheets[0].iter_rows(values_only=True))
        book.close()
    theirs = time.perf_counter() - started
    return {
        "rows": rows,
        "ours_rows_per_s": rows / ours,
        "calamine_grid_rows_per_s": grid_rows / calamine,
        "openpyxl_rows_per_s": sheet_rows / theirs,
    }


def _mark(ok: bool) -> str:
    return "met" if ok else "NOT MET"


def _seconds(run: dict) -> str:
    return f"{run['seconds']:.1f}" if run["completed"] else f"> {run['seconds']:.0f} (stopped)"


def report(r: dict) -> str:
    t = TARGETS
    empty = r["run_empty"]
    empty_ok = empty["completed"] and empty["seconds"] < t["run_seconds"]
    peak_ok = empty["completed"] and empty["peak_combined_gib"] < t["run_peak_gib"]
    lines = [
        f"{'figure':<48}{'value':>12}  target",
        "-" * 78,
        f"{'floor: parse + COPY, all files (s)':<48}{r['floor_s']:>12.1f}",
        f"{'ingest: the month as ccm run loads it (s)':<48}{r['ingest_s']:>12.1f}",
        f"{'  its three timings (s)':<48}"
        f"{' / '.join(f'{seconds:.1f}' for seconds in r.get('ingest_rounds_s', [])):>12}",
        f"{'  report kinds side by side, processes':<48}{r['ingest_workers']:>12}",
        f"{'  one file after another, scan + load_file (s)':<48}{r['ingest_one_by_one_s']:>12.1f}",
        f"{'  of which the drop scan (s)':<48}{r['scan_s']:>12.1f}",
        f"{'ingest / floor':<48}{r['ingest_to_floor']:>12.2f}  <= {t['ingest_to_floor']}  "
        f"{_mark(r['ingest_to_floor'] <= t['ingest_to_floor'])}",
        f"{'ccm run, empty warehouse (s)':<48}{_seconds(empty):>12}  < {t['run_seconds']:.0f}  "
        f"{_mark(empty_ok)}",
        f"{'  peak, ccm tree RSS + postgres PSS (GiB)':<48}{empty['peak_combined_gib']:>12.2f}  "
        f"< {t['run_peak_gib']}  {_mark(peak_ok)}",
        f"{'  peak RSS, ccm process tree (GiB)':<48}{empty['peak_tree_rss_gib']:>12.2f}",
        f"{'  peak PSS, embedded postgres (GiB)':<48}{empty['peak_postgres_pss_gib']:>12.2f}",
    ]
    if "run_history" in r:
        history = r["run_history"]
        lines += [
            f"{'history: 24 months loaded by SQL (s)':<48}{r['history_load_s']:>12.1f}",
            f"{'  Tableau extracts of the history (s)':<48}{r['history_extracts_s']:>12.1f}",
            f"{'  raw rows / database size (GiB)':<48}"
            f"{r['history']['raw_rows']:>12,} / {r['history']['database_gib']}",
            f"{'ccm run with 24 months of history (s)':<48}{_seconds(history):>12}",
            f"{'  history / empty':<48}{r['history_to_empty']:>12.2f}  "
            f"<= {t['history_to_empty']}  "
            f"{_mark(history['completed'] and r['history_to_empty'] <= t['history_to_empty'])}",
        ]
    else:
        lines.append(f"{'ccm run with 24 months of history':<48}{'not run':>12}")
    x = r["xlsx"]
    lines += [
        f"{'xlsx: read_report (rows/s)':<48}{x['ours_rows_per_s']:>12,.0f}",
        f"{'xlsx: calamine grid only (rows/s)':<48}{x['calamine_grid_rows_per_s']:>12,.0f}",
        f"{'xlsx: openpyxl read_only (rows/s)':<48}{x['openpyxl_rows_per_s']:>12,.0f}",
        f"{'  read_report / openpyxl':<48}{r['xlsx_to_openpyxl']:>12.2f}  "
        f">= {t['xlsx_to_openpyxl']}  {_mark(r['xlsx_to_openpyxl'] >= t['xlsx_to_openpyxl'])}",
        "",
        f"{'per file':<40}{'rows':>10}{'floor s':>9}{'by':>7}{'ingest s':>10}{'ratio':>7}",
    ]
    for name, f in r["files"].items():
        lines.append(
            f"  {name:<38}{f['rows']:>10,}{f['floor_s']:>9.2f}{f['floor_method']:>7}"
            f"{f['ingest_s']:>10.2f}{f['ingest_s'] / f['floor_s']:>7.1f}"
        )
    for label in ("run_empty", "run_history"):
        if label in r:
            run = r[label]
            lines += ["", f"{label}: Dagster steps (s)"]
            lines += [f"  {step:<46}{s:>8.1f}" for step, s in run["steps_s"].items()]
            lines += [f"{label}: slowest dbt nodes (s)"]
            lines += [
                f"  {node[:62]:<62}{s:>8.1f}" for node, s in run["slowest_dbt_nodes_s"].items()
            ]
    return "\n".join(lines)


def _server_version(url: str) -> str:
    with psycopg.connect(url) as conn:
        return conn.execute("show server_version").fetchone()[0]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        description="Benchmark one health-system month: floor, ingest, ccm run, history, xlsx.",
    )
    parser.add_argument(
        "--scale",
        type=float,
        help="size of the month, 0.01..1.0 of 100,000 patients and 1,000,000 telephone "
        "encounters (default 1.0)",
    )
    parser.add_argument(
        "--smoke",
        action="store_true",
        help=f"a quick check that every step runs: --scale {SMOKE_SCALE}, in var/bench-smoke",
    )
    parser.add_argument(
        "--out", type=Path, help="bench folder (default var/bench, var/bench-smoke with --smoke)"
    )
    parser.add_argument(
        "--no-history", action="store_true", help="skip the run with 24 months of history"
    )
    parser.add_argument(
        "--memory-reserve-gib",
        type=float,
        default=2.0,
        help="stop a `ccm run` when the machine has less memory than this left (default 2.0)",
    )
    args = parser.parse_args(argv)
    if args.smoke and args.scale is not None:
        parser.error("--smoke sets the scale; give one or the other")
    scale = SMOKE_SCALE if args.smoke else (1.0 if args.scale is None else args.scale)
    if not 0.01 <= scale <= 1.0:
        parser.error("--scale must be between 0.01 and 1.0")
    out = (args.out or ROOT / "var" / ("bench-smoke" if args.smoke else "bench")).resolve()
    out.mkdir(parents=True, exist_ok=True)

    drop = out / "drop"
    files = ensure_files(drop, scale)
    results: dict = {
        "date": dt.datetime.now().astimezone().isoformat(timespec="seconds"),
        "scale": scale,
        "machine": _machine(),
        "load": {"start": _load()},
    }
    # The manifest is parsed before the clock starts, as a deployment ships it parsed.
    from orchestration.defs.transform.project import ensure_manifest
    from orchestration.lib.tableau import EXTRACT_FOLDER, write_hyper_extracts

    ensure_manifest()

    ingest_dir, run_dir = out / "wh_ingest", out / "wh_run"
    try:
        url = _fresh_warehouse(ingest_dir)
        results["machine"]["postgresql"] = _server_version(url)
        print(f"floor and ingest … (load {_load()})", flush=True)
        results["load"]["ingest"] = _load()
        measured = floor_and_ingest(ingest_dir, files)
        _stop(ingest_dir)
        results["files"] = measured["files"]
        results["scan_s"] = measured["scan_s"]
        results["floor_s"] = sum(f["floor_s"] for f in results["files"].values())
        # The product cannot load a file before the scan has classified and hashed it.
        results["ingest_one_by_one_s"] = results["scan_s"] + sum(
            f["ingest_s"] for f in results["files"].values()
        )
        # The month as `ccm run` loads it: the scan, then the report kinds side by side.
        results["ingest_s"] = measured["month"]["ingest_s"]
        results["ingest_rounds_s"] = measured["month"]["ingest_rounds_s"]
        results["ingest_workers"] = measured["month"]["workers"]
        results["ingest_to_floor"] = results["ingest_s"] / results["floor_s"]

        url = _fresh_warehouse(run_dir)
        print(f"ccm run, empty warehouse … (load {_load()})", flush=True)
        reserve = args.memory_reserve_gib
        results["run_empty"] = run_month(run_dir, url, drop, out, "empty", reserve)
        # History goes beside a month the empty run built, so it needs that run to finish.
        if not args.no_history and results["run_empty"]["completed"]:
            print(f"history: {HISTORY_MONTHS} months by SQL … (load {_load()})", flush=True)
            results["history_load_s"] = load_history(url, HISTORY_MONTHS)
            results["history"] = history_size(url)
            # The empty run's archive copies would spare the second run its own.
            shutil.rmtree(run_dir / "archive", ignore_errors=True)
            # A warehouse with history has the Tableau extracts its earlier runs wrote.
            started = time.perf_counter()
            with psycopg.connect(url) as conn:
                write_hyper_extracts(conn, out / "history" / EXTRACT_FOLDER)
            results["history_extracts_s"] = time.perf_counter() - started
            print(f"ccm run with history … (load {_load()})", flush=True)
            results["run_history"] = run_month(run_dir, url, drop, out, "history", reserve)
            results["history_to_empty"] = (
                results["run_history"]["seconds"] / results["run_empty"]["seconds"]
            )
    finally:
        _stop(ingest_dir)
        _stop(run_dir)

    print(f"xlsx read rate … (load {_load()})", flush=True)
    results["load"]["xlsx"] = _load()
    workbook = next(path for path in files if path.suffix == ".xlsx")
    results["xlsx"] = xlsx_rates(workbook)
    results["xlsx_to_openpyxl"] = (
        results["xlsx"]["ours_rows_per_s"] / results["xlsx"]["openpyxl_rows_per_s"]
    )
    results["load"]["end"] = _load()

    machine = results["machine"]
    print()
    print(
        f"{results['date']}, scale {scale}: {machine['cores']} cores, {machine['memory_gib']} "
        f"GiB, Python {machine['python']}, PostgreSQL {machine['postgresql']}"
    )
    print(report(results))
    print(
        "\nload average (1, 5, 15 min): "
        + ", ".join(f"{step} {load}" for step, load in results["load"].items())
    )
    (out / "results.json").write_text(json.dumps(results, indent=2) + "\n")
    print(f"wrote {out / 'results.json'}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
