"""The floor and the product's ingest of the same files, side by side, in one process.

    CCM_VAR_DIR=var/bench/wh_ingest .venv/bin/python bench/floor_ingest.py FILE...

`bench/run_bench.py` runs this in a child process pointed at a warehouse of its own (the
product reads `CCM_VAR_DIR` once, at import) and reads the JSON it prints last.

The floor is the least any loader has to do with a file: parse it and COPY its data rows into
an empty table of text columns, nothing else. Two ways are timed and the faster counts:

- `rows`: the fastest reader at hand (the csv module, calamine for a workbook), then COPY of
  the parsed rows through psycopg;
- `server`: the CSV's data lines sent to `COPY … (format csv)` as they are, so PostgreSQL
  parses them (a CSV only; the bench's own files have a known layout, so finding the data
  lines costs nothing).

Each file is loaded first by the floor, then by the product, after a CHECKPOINT each, so
neither pays for the other's dirty pages and a busy machine's noise falls on both alike. The
floor and the month's ingest are each the best of `ROUNDS` timings.
"""

from __future__ import annotations

import codecs
import csv
import json
import sys
import time
from concurrent.futures import ThreadPoolExecutor
from functools import partial
from pathlib import Path

import psycopg

from orchestration.lib import warehouse
from orchestration.lib.ingest import (
    INGEST_WORKERS,
    ingest_pool,
    load_by_kind,
    load_file,
    scan_drop,
)
from orchestration.lib.raw_tables import KIND_COLUMNS
from orchestration.settings import project_paths, reports_config

# The floor of each file and the month's ingest are each timed this many times, and the best
# counts: on a shared two-core machine one timing moves by a quarter from run to run, the floor
# as much as the ingest, and a ratio of two single timings moved with it (1.28 to 1.55).
ROUNDS = 3
# The generator's title block and header sit within this many lines of the top.
_HEAD_LINES = 50


def _filled(row: list[object]) -> int:
    return sum(1 for value in row if value not in ("", None))


def _header(head: list[list[object]]) -> int:
    """The header is the first of the fullest rows near the top."""
    most = max(_filled(row) for row in head)
    return next(i for i, row in enumerate(head) if _filled(row) == most)


def _data_span(rows: list[list[object]]) -> tuple[int, int]:
    """Where the data rows start and end: after the header, before the trailing footer rows.

    A footer row (`Count: 1000`, a blank line) holds one cell or none. Only the ends of the
    file are looked at, so finding the span costs nothing beside the parse.
    """
    start = _header(rows[:_HEAD_LINES]) + 1
    end = len(rows)
    while end > start and _filled(rows[end - 1]) <= 1:
        end -= 1
    return start, end


def _table(conn: psycopg.Connection, name: str, width: int) -> None:
    columns = ", ".join(f"c{i} text" for i in range(width))
    # Autovacuum off: its ANALYZE of a fresh million-row table would run beside the next load.
    conn.execute(f"create table {name} ({columns}) with (autovacuum_enabled = off)")


def floor_rows(conn: psycopg.Connection, path: Path, name: str) -> tuple[float, int]:
    """The fastest reader at hand, then COPY of the rows it parsed."""
    started = time.perf_counter()
    if path.suffix == ".xlsx":
        import python_calamine

        with python_calamine.CalamineWorkbook.from_path(str(path)) as workbook:
            rows = workbook.get_sheet_by_index(0).to_python()
    else:
        with open(path, encoding="utf-8-sig", newline="") as handle:
            rows = list(csv.reader(handle))
    start, end = _data_span(rows)
    _table(conn, name, len(rows[start]))
    with conn.cursor().copy(f"copy {name} from stdin") as copy:
        for row in rows[start:end]:
            copy.write_row(row)
    conn.commit()
    return time.perf_counter() - started, end - start


def floor_server(conn: psycopg.Connection, path: Path, name: str) -> tuple[float, int]:
    """A CSV's data lines as they are, parsed by PostgreSQL's COPY."""
    started = time.perf_counter()
    data = path.read_bytes()
    bom = len(codecs.BOM_UTF8) if data.startswith(codecs.BOM_UTF8) else 0
    lines = data[bom : bom + (1 << 16)].splitlines(keepends=True)[:_HEAD_LINES]
    head = list(csv.reader(line.decode() for line in lines))
    header = _header(head)
    start = bom + sum(len(line) for line in lines[: header + 1])
    end = len(data)
    while end > start:
        line_start = data.rfind(b"\n", start, end - 1) + 1
        if _filled(next(csv.reader([data[line_start:end].decode()]), [])) > 1:
            break
        end = line_start
    _table(conn, name, len(head[header]))
    with conn.cursor().copy(f"copy {name} from stdin with (format csv)") as copy:
        copy.write(memoryview(data)[start:end])
    conn.commit()
    elapsed = time.perf_counter() - started
    (rows,) = conn.execute(f"select count(*) from {name}").fetchone()
    conn.rollback()
    return elapsed, rows


def main(paths: list[Path]) -> dict:
    config = reports_config()
    url = warehouse.connection_info().url
    started = time.perf_counter()
    folders = sorted({path.parent for path in paths})
    scanned = {f.path: f for folder in folders for f in scan_drop(folder, config=config)}
    results: dict = {"scan_s": time.perf_counter() - started, "files": {}}
    with psycopg.connect(url, autocommit=True) as admin, psycopg.connect(url) as conn:
        for index, path in enumerate(paths):
            dropped = scanned[path]
            floors: dict[str, float] = {}
            for round_ in range(ROUNDS):
                admin.execute("checkpoint")
                seconds, rows = floor_rows(conn, path, f"floor_rows_{index}_{round_}")
                floors["rows"] = min(seconds, floors.get("rows", seconds))
                if path.suffix == ".csv":
                    admin.execute("checkpoint")
                    seconds, server_rows = floor_server(
                        conn, path, f"floor_server_{index}_{round_}"
                    )
                    floors["server"] = min(seconds, floors.get("server", seconds))
                    assert server_rows == rows, (path.name, rows, server_rows)
            admin.execute("checkpoint")
            started = time.perf_counter()
            with warehouse.connect() as product:
                loaded = load_file(product, dropped, config=config)
            ingest = time.perf_counter() - started
            # The floor must carry the same rows the product loaded, or the ratio means nothing.
            assert loaded.status == "current", (path.name, loaded.status, loaded.reason)
            assert loaded.rows_loaded + loaded.rows_rejected == rows, (path.name, rows, loaded)
            results["files"][path.name] = {
                "bytes": path.stat().st_size,
                "rows": rows,
                "floor_by_method_s": floors,
                "floor_method": min(floors, key=floors.get),
                "floor_s": min(floors.values()),
                "ingest_s": ingest,
            }
        rounds = [month_ingest(admin, folders, config) for _ in range(ROUNDS)]
        results["month"] = {
            "ingest_s": min(r["ingest_s"] for r in rounds),
            "ingest_rounds_s": [r["ingest_s"] for r in rounds],
            "workers": INGEST_WORKERS,
        }
    return results


def month_ingest(admin: psycopg.Connection, folders: list[Path], config: dict) -> dict:
    """The files loaded again the way `ccm run` loads a month: the workers started, the scan,
    then the report kinds side by side (ingest.load_by_kind), into raw tables emptied first."""
    kinds = ", ".join(f"raw.{kind}" for kind in KIND_COLUMNS)
    admin.execute(f"truncate raw.rejected_rows, {kinds}, raw.file_loads")
    admin.execute("checkpoint")
    started = time.perf_counter()
    by_kind: dict[str, list] = {kind: [] for kind in KIND_COLUMNS}
    with ingest_pool() as workers:
        # The folders side by side, as `scan_drop` takes one drop folder's files two at a time.
        with ThreadPoolExecutor(max_workers=len(folders)) as threads:
            for found in threads.map(partial(scan_drop, config=config), folders):
                for dropped in found:
                    by_kind[dropped.kind].append(dropped)
        loaded = load_by_kind(by_kind, config=config, var_dir=project_paths().var, pool=workers)
    elapsed = time.perf_counter() - started
    statuses = {result.status for results in loaded.values() for result in results}
    assert statuses == {"current"}, statuses
    return {"ingest_s": elapsed, "workers": INGEST_WORKERS}


if __name__ == "__main__":
    print(json.dumps(main([Path(arg).resolve() for arg in sys.argv[1:]])))
