"""Drop-folder files into the `raw` schema: classify, read, COPY, supersede, set aside.

One file is one transaction. A corrected file for a kind and month replaces the earlier one:
the earlier load is kept in `raw.file_loads` as superseded and its rows leave `raw.<kind>`,
so a re-drop never doubles rows. A file that cannot be loaded is copied to
`quarantine/<YYYY-MM>/<kind>/` (`unknown` for what the file does not tell) with a
`.reason.txt` a billing clerk can act on; the drop folder is never changed.

Logs name files, kinds, months and counts only: never a patient's name, birth date or
account number.
"""

from __future__ import annotations

import hashlib
import io
import logging
import multiprocessing
import os
import shutil
from collections.abc import Iterator
from concurrent.futures import ProcessPoolExecutor, ThreadPoolExecutor
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass
from datetime import date
from functools import partial
from itertools import repeat
from pathlib import Path

import psycopg
from psycopg.copy import QueuedLibpqWriter

from orchestration.lib import warehouse
from orchestration.lib.raw_tables import (
    KIND_COLUMNS,
    LINEAGE_COLUMNS,
    month_index,
    raw_schema_ddl,
)
from orchestration.lib.readers import (
    Identity,
    KindSpec,
    NotPlainTable,
    ParsedReport,
    Rejection,
    RowSink,
    TableSink,
    UnreadableFile,
    identify,
    kind_specs,
    read_report,
)
from orchestration.settings import project_paths, reports_config

log = logging.getLogger(__name__)

# The load log's next id: what its identity column would give, named so a reserved id can
# stand in its place (`overriding system value`).
_NEXT_LOAD_ID = "nextval(pg_get_serial_sequence('raw.file_loads', 'load_id'))"
_REJECTED_COLUMNS = (
    "load_id",
    "report_kind",
    "service_month",
    "file_name",
    "sheet_name",
    "source_row",
    "column_name",
    "raw_value",
    "reason",
    "patient_acct_no",
)
# The drop watcher sets taken files aside in these folders under the drop root.
_SET_ASIDE_FOLDERS = {"archive", "quarantine"}
# Names that sync clients and browsers give files still being written.
_PARTIAL_SUFFIXES = (".tmp", ".part", ".partial", ".crdownload", ".download")
# A reason file lists this many rejected rows; the rest are counted.
_REASON_ROWS_SHOWN = 200
# The longest file name most file systems take, in bytes (ext4, APFS, NTFS in UTF-16 units).
_NAME_BYTES = 255
_REASON_SUFFIX = ".reason.txt"
# Worker processes loading a month's report kinds side by side: one per core of the machine
# the benchmark targets. Reading is Python, so it takes processes, not threads.
INGEST_WORKERS = 2
# Threads classifying and hashing the drop folder's files (see `scan_drop`).
SCAN_THREADS = 2
# What a byte of a workbook costs to load against a byte of text: its zipped XML holds about
# thirty times the rows (bench: 200,000 TE rows in 9 MB of xlsx, 1,000,000 in 284 MB of CSV,
# loaded in about the same time).
_WORKBOOK_BYTE_COST = 30
# The date that places a time entry in its month (R9.7): a row of this month's file dated in
# another month is not billed in this one, so the load and the month's summary count it.
ENTRY_DATE_COLUMNS = {
    "practice_minutes": "activity_date",
    "telephone_encounters": "encounter_date",
    "vendor_billing": "reported_month",
}


@dataclass(frozen=True)
class DroppedFile:
    path: Path
    name: str
    sha256: str
    size: int
    kind: str | None  # one of raw_tables.REPORT_KINDS, None if unrecognised
    service_month: date | None  # first day of month
    problem: str | None  # clerk-readable reason it can't be loaded


@dataclass(frozen=True)
class LoadResult:
    load_id: int | None
    kind: str | None
    service_month: date | None
    file_name: str
    rows_loaded: int
    rows_rejected: int
    rows_skipped: int
    status: str  # 'current' | 'unchanged' | 'quarantined'
    reason: str | None
    rows_outside_month: int = 0  # rows loaded whose entry date is in another month


def _scanned(path: Path, *, specs: dict[str, KindSpec], drop: Path) -> DroppedFile:
    try:
        identity = identify(path, specs, drop)
    except Exception as exc:  # one odd file must not stop the scan of the others
        log.exception("%s: could not be classified (%s)", path.name, type(exc).__name__)
        identity = Identity(None, None, _internal_problem(exc))
    return DroppedFile(
        path=path,
        name=path.name,
        sha256=file_sha256(path),
        size=path.stat().st_size,
        kind=identity.kind,
        service_month=identity.service_month,
        problem=identity.problem,
    )


def file_sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def _is_report_candidate(path: Path, drop: Path) -> bool:
    relative = path.relative_to(drop)
    if any(part.startswith(".") for part in relative.parts):
        return False
    if len(relative.parts) > 1 and relative.parts[0].lower() in _SET_ASIDE_FOLDERS:
        return False
    name = path.name.lower()
    # `~$name.xlsx` is Excel's lock file for an open workbook, not a report.
    return not (
        name.endswith(".reason.txt") or name.endswith(_PARTIAL_SUFFIXES) or name.startswith("~$")
    )


def scan_drop(drop: Path, *, config: dict | None = None) -> list[DroppedFile]:
    """Every file under the drop folder, with its kind and service month or its problem.

    Files are classified and hashed two at a time: a workbook's classification is mostly
    calamine parsing its sheet and hashing is mostly OpenSSL, both outside the GIL, so a large
    workbook no longer holds up the text reports beside it.
    """
    specs = kind_specs(config if config is not None else reports_config())
    drop = Path(drop)
    paths = [
        path
        for path in sorted(p for p in drop.rglob("*") if p.is_file())
        if _is_report_candidate(path, drop)
    ]
    with ThreadPoolExecutor(max_workers=SCAN_THREADS) as pool:
        found = list(pool.map(partial(_scanned, specs=specs, drop=drop), paths))
    recognised = sum(1 for f in found if f.problem is None)
    log.info(
        "drop scan: %d files, %d recognised, %d with problems",
        len(found),
        recognised,
        len(found) - recognised,
    )
    return found


def load_file(
    conn: psycopg.Connection,
    dropped: DroppedFile,
    *,
    config: dict | None = None,
    var_dir: Path | None = None,
    load_id: int | None = None,
) -> LoadResult:
    """Load one dropped file into `raw.<kind>` for its month, or quarantine it.

    `load_id`, when given, is an id reserved from `raw.file_loads` for this file (see
    `reserve_load_ids`); otherwise the load log numbers it.
    """
    config = config if config is not None else reports_config()
    var_dir = Path(var_dir) if var_dir is not None else project_paths().var
    if dropped.problem or dropped.kind is None or dropped.service_month is None:
        reason = dropped.problem or "unrecognised report"
        return _quarantine(conn, dropped, var_dir, reason, load_id=load_id)

    _ensure_raw_tables(conn)
    if unchanged := _current_with_same_content(conn, dropped):
        log.info(
            "%s: unchanged, already current for %s %s",
            dropped.name,
            dropped.kind,
            f"{dropped.service_month:%Y-%m}",
        )
        return unchanged

    spec = kind_specs(config)[dropped.kind]
    share = float(config.get("max_rejected_share", 0.2))
    try:
        load_id, parsed, outside = _write_load(conn, dropped, spec, share, load_id)
    except _Refused as refused:
        return _quarantine(conn, dropped, var_dir, refused.reason, refused.parsed, load_id=load_id)
    _archive(dropped, var_dir)
    log.info(
        "%s: %s %s loaded as load %d: %d rows, %d rejected, %d skipped, %d dated in another month",
        dropped.name,
        dropped.kind,
        f"{dropped.service_month:%Y-%m}",
        load_id,
        parsed.rows_loaded,
        parsed.rows_rejected,
        parsed.rows_skipped,
        outside,
    )
    return LoadResult(
        load_id=load_id,
        kind=dropped.kind,
        service_month=dropped.service_month,
        file_name=dropped.name,
        rows_loaded=parsed.rows_loaded,
        rows_rejected=parsed.rows_rejected,
        rows_skipped=parsed.rows_skipped,
        status="current",
        reason=None,
        rows_outside_month=outside,
    )


def reserve_load_ids(conn: psycopg.Connection, count: int) -> list[int]:
    """`count` ids of the load log, taken now in one statement, in ascending order."""
    if count == 0:
        return []
    rows = conn.execute(
        f"select {_NEXT_LOAD_ID} from generate_series(1, %s) order by 1", (count,)
    ).fetchall()
    conn.commit()
    return [row[0] for row in rows]


def load_kind_files(
    files: list[DroppedFile], load_ids: list[int], config: dict, var_dir: Path
) -> list[LoadResult]:
    """One kind's files, in order, on a connection of their own (a worker process's task)."""
    with warehouse.connect() as conn:
        return [
            load_file(conn, dropped, config=config, var_dir=var_dir, load_id=load_id)
            for dropped, load_id in zip(files, load_ids, strict=True)
        ]


@contextmanager
def ingest_pool(workers: int = INGEST_WORKERS) -> Iterator[ProcessPoolExecutor | None]:
    """Worker processes for `load_by_kind`, for a whole run of months.

    They start at once and import the readers while the caller scans the drop folder, and a
    backfill's months share them instead of starting two processes per month. None where
    processes cannot be started: one worker, or a daemonic process (some executors' step
    workers) that may not start processes of its own.
    """
    if workers < 2 or multiprocessing.current_process().daemon:
        yield None
        return
    spawn = multiprocessing.get_context("spawn")  # no copy of the caller's threads and sockets
    with ProcessPoolExecutor(max_workers=workers, mp_context=spawn) as pool:
        for _ in range(workers):
            pool.submit(_warm_up)
        yield pool


def _warm_up() -> None:
    """A worker's imports, done before its first file arrives."""
    # pyarrow imports pandas the first time it builds an array from a list (0.2 s).
    import pandas  # noqa: F401
    import pyarrow.compute  # noqa: F401
    import pyarrow.csv  # noqa: F401


def load_by_kind(
    by_kind: dict[str, list[DroppedFile]],
    *,
    config: dict,
    var_dir: Path,
    pool: ProcessPoolExecutor | None = None,
) -> dict[str, list[LoadResult]]:
    """Each kind's files loaded by the `pool`'s processes at once, the costliest first.

    Kinds share no raw table and no lock, nor do two months of one kind, and each file is
    still one transaction: the files of one kind and month load in order, each such group on
    one worker. Groups start largest first (a workbook's bytes weighed as its rows), so the
    month's telephone encounters load on one core while the other reports load on the other.
    Every file's load id is reserved before any worker starts, in kind order and then file
    order, so which file gets which id never depends on which worker finishes first: the load
    log reads the same as if the files had loaded one after another. Without a pool the
    files load here, one after another.
    """
    in_order = [kind for kind in by_kind if by_kind[kind]]
    results: dict[str, list[LoadResult]] = {kind: [] for kind in by_kind}
    with warehouse.connect() as conn:
        _ensure_raw_tables(conn)
        reserved = iter(reserve_load_ids(conn, sum(len(by_kind[kind]) for kind in in_order)))
    groups: dict[tuple[str, date | None], list[tuple[DroppedFile, int]]] = {}
    for kind in in_order:
        for dropped in by_kind[kind]:
            groups.setdefault((kind, dropped.service_month), []).append((dropped, next(reserved)))
    todo = sorted(groups, key=lambda key: -sum(_load_cost(d) for d, _ in groups[key]))
    if pool is None or len(todo) < 2:
        loaded = {key: load_kind_files(*_unzipped(groups[key]), config, var_dir) for key in todo}
    else:
        futures = {
            key: pool.submit(load_kind_files, *_unzipped(groups[key]), config, var_dir)
            for key in todo
        }
        loaded = {key: future.result() for key, future in futures.items()}
    # Each kind's results in the order its files were given, whatever their months.
    by_file = {
        id(dropped): result
        for key, members in groups.items()
        for (dropped, _), result in zip(members, loaded[key], strict=True)
    }
    for kind in in_order:
        results[kind] = [by_file[id(dropped)] for dropped in by_kind[kind]]
    return results


def _unzipped(members: list[tuple[DroppedFile, int]]) -> tuple[list[DroppedFile], list[int]]:
    return [dropped for dropped, _ in members], [load_id for _, load_id in members]


def _load_cost(dropped: DroppedFile) -> int:
    workbook = dropped.name.lower().endswith((".xlsx", ".xlsm", ".xlsb", ".xls", ".ods"))
    return dropped.size * (_WORKBOOK_BYTE_COST if workbook else 1)


def rows_outside_month(parsed: ParsedReport, month: date) -> int:
    """Time entries of the file dated in a month other than the file's own."""
    if parsed.kind not in ENTRY_DATE_COLUMNS:
        return 0
    return sum(n for row_month, n in parsed.row_months.items() if row_month != month)


class _Refused(Exception):
    """The file was read but is not loaded: its rows are rolled back and it is set aside."""

    def __init__(self, reason: str, parsed: ParsedReport | None = None):
        super().__init__(reason)
        self.reason, self.parsed = reason, parsed


def _read(
    dropped: DroppedFile, spec: KindSpec, sink: RowSink, table_sink: TableSink | None
) -> ParsedReport:
    """The file read into the sinks; a file the reader cannot read raises `_Refused`.

    A failure of the warehouse (the sink's COPY) is not the file's fault and goes up as it is,
    as does a text file to read again row by row (`NotPlainTable`).
    """
    try:
        return read_report(dropped.path, spec, sink=sink, table_sink=table_sink)
    except (psycopg.Error, NotPlainTable):
        raise
    except UnreadableFile as exc:
        raise _Refused(f"cannot read the file: {exc}") from exc
    except Exception as exc:  # a reader fault: set the file aside, keep loading the others
        log.exception("%s: reader failed (%s)", dropped.name, type(exc).__name__)
        raise _Refused(_internal_problem(exc)) from exc


def _refusal(parsed: ParsedReport, share: float) -> str | None:
    """Why a file read to its end is refused as a whole, or None."""
    if parsed.problem:
        return parsed.problem
    data_rows = parsed.rows_loaded + parsed.rows_rejected
    if data_rows and parsed.rows_rejected / data_rows > share:
        return (
            f"{parsed.rows_rejected} of {data_rows} rows could not be read "
            f"(more than {share:.0%} allowed)"
        )
    return None


def _internal_problem(exc: Exception) -> str:
    return (
        f"the loader could not read this file ({type(exc).__name__}); "
        "send it to the data team, who will fix the reader"
    )


# ---- database ------------------------------------------------------------------------------


def _ensure_raw_tables(conn: psycopg.Connection) -> None:
    """Create the raw schema when a caller skipped `warehouse.ensure_schemas()`."""
    # Every statement here runs inside `conn.transaction()`: on an idle connection that is a
    # transaction of its own, committed on exit, so each file is one transaction whether or
    # not the caller's connection is in autocommit mode.
    with conn.transaction():
        exists = conn.execute("select to_regclass('raw.file_loads') is not null").fetchone()[0]
    if exists:
        return
    with conn.transaction():
        conn.execute("select pg_advisory_xact_lock(hashtext('ccm_billing.ensure_schemas'))")
        for statement in raw_schema_ddl():
            conn.execute(statement)


def _current_with_same_content(conn: psycopg.Connection, dropped: DroppedFile) -> LoadResult | None:
    with conn.transaction():
        row = conn.execute(
            """
        select load_id, rows_loaded, rows_rejected, rows_skipped
        from raw.file_loads
        where report_kind = %s and service_month = %s and file_sha256 = %s and status = 'current'
        order by load_id desc
        limit 1
        """,
            (dropped.kind, dropped.service_month, dropped.sha256),
        ).fetchone()
        if row is None:
            return None
        load_id, loaded, rejected, skipped = row
        # Dropped again after a refused file of its kind, it is the report that stands
        # (rebilling.refused_neighbours reads the stamp).
        conn.execute(
            "update raw.file_loads set confirmed_at = now() where load_id = %s", (load_id,)
        )
    return LoadResult(
        load_id=load_id,
        kind=dropped.kind,
        service_month=dropped.service_month,
        file_name=dropped.name,
        rows_loaded=loaded,
        rows_rejected=rejected,
        rows_skipped=skipped,
        status="unchanged",
        reason=None,
    )


def _load_notes(parsed: ParsedReport, width: int, month: date, outside: int) -> str | None:
    notes = list(parsed.notes)
    if parsed.accounts_padded:
        notes.append(
            f"{parsed.accounts_padded} account numbers left-padded with zeros to {width} digits"
        )
    if outside:
        notes.append(f"{outside} rows dated outside {month:%Y-%m}, not billed in it (R9.7)")
    return "; ".join(notes) or None


def _write_load(
    conn: psycopg.Connection,
    dropped: DroppedFile,
    spec: KindSpec,
    share: float,
    load_id: int | None = None,
) -> tuple[int, ParsedReport, int]:
    """Read the file straight into `raw.<kind>` and make it the month's current load.

    Rows are copied as the reader produces them, so a large file is never held in memory and
    the server stores one block while the next is read. A file refused once read (a missing
    column, too many unreadable rows) raises `_Refused` and its rows roll back with the rest.
    A text file is read column by column where its body is one plain table; one that is not
    is rolled back and read again row by row. Returns the load id, what was read and the rows
    dated outside the month.
    """
    try:
        return _write_load_once(conn, dropped, spec, share, load_id, columns=True)
    except NotPlainTable as exc:
        log.info("%s: not one plain table (%s); read row by row", dropped.name, exc)
        return _write_load_once(conn, dropped, spec, share, load_id, columns=False)


def _write_load_once(
    conn: psycopg.Connection,
    dropped: DroppedFile,
    spec: KindSpec,
    share: float,
    load_id: int | None,
    *,
    columns: bool,
) -> tuple[int, ParsedReport, int]:
    kind, month = dropped.kind, dropped.service_month
    with conn.transaction():
        # Two loads of one kind and month at once would each supersede the other.
        conn.execute(
            "select pg_advisory_xact_lock(hashtext(%s))", (f"ccm_billing.load.{kind}.{month}",)
        )
        (load_id,) = conn.execute(
            f"""
            insert into raw.file_loads
                (load_id, report_kind, service_month, source_file, file_name, file_sha256,
                 file_bytes, status)
            overriding system value
            values (coalesce(%s, {_NEXT_LOAD_ID}), %s, %s, %s, %s, %s, %s, 'loading')
            returning load_id
            """,
            (load_id, kind, month, str(dropped.path), dropped.name, dropped.sha256, dropped.size),
        ).fetchone()
        with conn.cursor() as cursor:
            with _RawCopy(cursor, kind, load_id, month) as copy:
                table_sink = copy.table if columns else None
                parsed = _read(dropped, spec, copy.rows, table_sink)
                if reason := _refusal(parsed, share):
                    raise _Refused(reason, parsed)
            if parsed.rejections:
                with cursor.copy(
                    f"copy raw.rejected_rows ({', '.join(_REJECTED_COLUMNS)}) from stdin"
                ) as copy:
                    for rejection in parsed.rejections:
                        copy.write_row(_rejected_row(load_id, dropped, rejection))
            outside = rows_outside_month(parsed, month)
            cursor.execute(
                """
                update raw.file_loads
                set rows_loaded = %s, rows_rejected = %s, rows_skipped = %s, notes = %s,
                    entry_months = %s
                where load_id = %s
                """,
                (
                    parsed.rows_loaded,
                    parsed.rows_rejected,
                    parsed.rows_skipped,
                    _load_notes(parsed, spec.account_width, month, outside),
                    sorted(parsed.row_months) if kind in ENTRY_DATE_COLUMNS else None,
                    load_id,
                ),
            )
            cursor.execute(
                """
                update raw.file_loads
                set status = 'superseded', superseded_at = now()
                where report_kind = %s and service_month = %s and load_id <> %s
                    and status in ('current', 'loading')
                returning load_id
                """,
                (kind, month, load_id),
            )
            older = [row[0] for row in cursor.fetchall()]
            if older:
                # The month narrows the delete to its rows' index range, not every month's rows.
                cursor.execute(
                    f"delete from raw.{kind} where service_month = %s and load_id = any(%s)",
                    (month, older),
                )
                cursor.execute("delete from raw.rejected_rows where load_id = any(%s)", (older,))
                log.info("%s %s: superseded %d earlier load(s)", kind, f"{month:%Y-%m}", len(older))
            cursor.execute(
                "update raw.file_loads set status = 'current' where load_id = %s", (load_id,)
            )
    # The month's build follows at once, before autovacuum would notice a million new rows;
    # fresh statistics keep the planner from sizing the month's joins for an empty table, and
    # the new block ranges summarised keep every other month's reads from scanning them.
    with conn.transaction():
        conn.execute(f"analyze raw.file_loads, raw.{kind}")
        conn.execute(
            "select brin_summarize_new_values(%s::regclass)", (f"raw.{month_index(kind)}",)
        )
    return load_id, parsed, outside


class _RawCopy:
    """The COPY into `raw.<kind>` a load's rows go through, in the form of the block at hand.

    The row reader's blocks go as COPY text; the columnar reader's Arrow tables as CSV, which
    Arrow writes in C. One COPY is open at a time: the columnar reader hands over all its
    tables before the row reader's first block, so a file opens at most two. A worker thread
    sends each block while the next is read, so the server stores rows on the second core
    instead of the reader waiting for it.
    """

    def __init__(self, cursor: psycopg.Cursor, kind: str, load_id: int, month: date):
        self.cursor, self.load_id, self.month = cursor, load_id, month
        self.target = f"raw.{kind} ({', '.join((*LINEAGE_COLUMNS, *KIND_COLUMNS[kind]))})"
        self.form: str | None = None
        self.open = ExitStack()
        self.copy: psycopg.Copy | None = None

    def __enter__(self) -> _RawCopy:
        return self

    def __exit__(self, *exc_info: object) -> bool | None:
        return self.open.__exit__(*exc_info)

    def _in(self, form: str) -> psycopg.Copy:
        if form != self.form:
            self.open.close()
            options = " with (format csv)" if form == "csv" else ""
            statement = f"copy {self.target} from stdin{options}"
            writer = QueuedLibpqWriter(self.cursor)
            self.copy = self.open.enter_context(self.cursor.copy(statement, writer=writer))
            self.form = form
        return self.copy

    def rows(self, sheet: str | None, numbers: list[int], values: list[list]) -> None:
        lineage = f"{self.load_id}\t{self.month.isoformat()}\t{_copy_text(sheet)}"
        self._in("text").write(_copy_lines(lineage, numbers, values))

    def table(self, table: object) -> None:
        import pyarrow as pa  # with the columnar reader, which only a text file brings in
        import pyarrow.csv as pa_csv

        count = table.num_rows
        lineage = [
            pa.repeat(pa.scalar(str(self.load_id)), count),
            pa.repeat(pa.scalar(self.month.isoformat()), count),
            pa.nulls(count, pa.string()),
        ]
        for position, (name, column) in enumerate(zip(LINEAGE_COLUMNS, lineage, strict=False)):
            table = table.add_column(position, name, column)
        buffer = io.BytesIO()
        pa_csv.write_csv(table, buffer, pa_csv.WriteOptions(include_header=False))
        self._in("csv").write(buffer.getvalue())


# COPY's text format writes these characters of a value escaped, and NULL as \N.
_COPY_ESCAPES = str.maketrans({"\\": "\\\\", "\t": "\\t", "\n": "\\n", "\r": "\\r"})


def _copy_text(value: object) -> str:
    if value is None:
        return "\\N"
    return str(value).translate(_COPY_ESCAPES)


def _copy_lines(lineage: str, numbers: list[int], columns: list[list]) -> str:
    """A block of rows as COPY text: the lineage, the row number, then the columns.

    Built column by column and joined in C: writing a million rows one `write_row` at a time
    cost more than the server took to store them.
    """
    texts = [_copy_column(column) for column in columns]
    lines = map("\t".join, zip(repeat(lineage), map(str, numbers), *texts))
    return "\n".join(lines) + "\n" if numbers else ""


def _copy_column(column: list) -> Iterator[str]:
    """A column's values as COPY text; escaped one distinct value at a time where any need it."""
    distinct = set(column)
    distinct.discard(None)
    try:
        text = "".join(distinct)
    except TypeError:  # not all text: each value goes through str()
        text = "\\"
    if any(character in text for character in "\\\t\n\r"):
        escaped = {value: _copy_text(value) for value in distinct}
        escaped[None] = "\\N"
        return map(escaped.__getitem__, column)
    nulls = {None: "\\N"}
    return map(nulls.get, column, column)  # a value is its own text, None is \N


def _rejected_row(load_id: int, dropped: DroppedFile, rejection: Rejection) -> tuple:
    return (
        load_id,
        dropped.kind,
        dropped.service_month,
        dropped.name,
        rejection.sheet,
        rejection.row,
        rejection.column,
        rejection.value,
        rejection.reason,
        rejection.patient_acct_no,
    )


def _record_failed(
    conn: psycopg.Connection,
    dropped: DroppedFile,
    reason: str,
    parsed: ParsedReport | None,
    load_id: int | None = None,
) -> int | None:
    """A refused file of a known kind and month stays on the load log as 'failed'."""
    if dropped.kind is None or dropped.service_month is None:
        return None
    _ensure_raw_tables(conn)
    with conn.transaction():
        row = conn.execute(
            """
            select load_id from raw.file_loads
            where report_kind = %s and service_month = %s and file_sha256 = %s
                and status = 'failed'
            """,
            (dropped.kind, dropped.service_month, dropped.sha256),
        ).fetchone()
        if row:
            return row[0]
        (load_id,) = conn.execute(
            f"""
            insert into raw.file_loads
                (load_id, report_kind, service_month, source_file, file_name, file_sha256,
                 file_bytes, rows_loaded, rows_rejected, rows_skipped, status, notes)
            overriding system value
            values (coalesce(%s, {_NEXT_LOAD_ID}), %s, %s, %s, %s, %s, %s, 0, %s, %s, 'failed', %s)
            returning load_id
            """,
            (
                load_id,
                dropped.kind,
                dropped.service_month,
                str(dropped.path),
                dropped.name,
                dropped.sha256,
                dropped.size,
                parsed.rows_rejected if parsed else 0,
                parsed.rows_skipped if parsed else 0,
                reason,
            ),
        ).fetchone()
    return load_id


# ---- files ---------------------------------------------------------------------------------


def fit_file_name(name: str, max_bytes: int = _NAME_BYTES) -> str:
    """The name cut to `max_bytes` of UTF-8 by shortening its stem; the extension stays.

    Set-aside copies add a hash (and a `.reason.txt`) to a name the practice chose, which can
    push a long one past what the file system takes; the hash keeps cut names apart.
    """
    if len(os.fsencode(name)) <= max_bytes:
        return name
    suffix = _extension(name)
    stem = name[: len(name) - len(suffix)]
    room = max_bytes - len(os.fsencode(suffix))
    while stem and len(os.fsencode(stem)) > room:  # by characters: never half a UTF-8 one
        stem = stem[:-1]
    return stem.rstrip() + suffix


def _extension(name: str) -> str:
    suffix = Path(name).suffix
    return suffix if len(suffix) <= 16 else ""  # a dot deep in a long name is no extension


def _archive(dropped: DroppedFile, var_dir: Path) -> Path:
    folder = var_dir / "archive" / dropped.kind / f"{dropped.service_month:%Y-%m}"
    folder.mkdir(parents=True, exist_ok=True)
    target = folder / fit_file_name(f"{dropped.sha256[:12]}_{dropped.name}")
    if not target.exists():
        shutil.copy2(dropped.path, target)
    return target


def _quarantine_folder(var_dir: Path, dropped: DroppedFile) -> Path:
    month = f"{dropped.service_month:%Y-%m}" if dropped.service_month else "unknown"
    return var_dir / "quarantine" / month / (dropped.kind or "unknown")


def _quarantine_name(dropped: DroppedFile) -> str:
    """`<name>.<hash><ext>`: a second refused file of the same name never overwrites the first.

    The hash is of the content, so the same file refused again lands on its own earlier copy.
    """
    tag = f".{dropped.sha256[:12]}"
    fitted = fit_file_name(dropped.name, _NAME_BYTES - len(_REASON_SUFFIX) - len(tag))
    suffix = _extension(fitted)
    return f"{fitted[: len(fitted) - len(suffix)]}{tag}{suffix}"


def _reason_text(dropped: DroppedFile, reason: str, parsed: ParsedReport | None) -> str:
    lines = [
        f"File: {dropped.name}",
        f"Report: {dropped.kind.replace('_', ' ') if dropped.kind else 'not recognised'}",
        f"Month: {dropped.service_month:%B %Y}" if dropped.service_month else "Month: not known",
        "",
        f"Why it was not loaded: {reason}",
    ]
    if parsed and parsed.rejections:
        lines += ["", "Rows that could not be read (sheet, row, column, value, reason):"]
        for rejection in parsed.rejections[:_REASON_ROWS_SHOWN]:
            sheet = f"sheet “{rejection.sheet}”, " if rejection.sheet else ""
            lines.append(
                f"- {sheet}row {rejection.row}, column “{rejection.column}”, "
                f"value “{rejection.value}”: {rejection.reason}"
            )
        if len(parsed.rejections) > _REASON_ROWS_SHOWN:
            lines.append(f"- … and {len(parsed.rejections) - _REASON_ROWS_SHOWN} more")
    lines += [
        "",
        "Fix the report (or run it again from eClinicalWorks / the vendor portal) and drop the "
        "corrected file into the drop folder; the corrected file replaces this one.",
    ]
    return "\n".join(lines) + "\n"


def _quarantine(
    conn: psycopg.Connection,
    dropped: DroppedFile,
    var_dir: Path,
    reason: str,
    parsed: ParsedReport | None = None,
    *,
    load_id: int | None = None,
) -> LoadResult:
    folder = _quarantine_folder(var_dir, dropped)
    folder.mkdir(parents=True, exist_ok=True)
    name = _quarantine_name(dropped)
    shutil.copy2(dropped.path, folder / name)
    (folder / f"{name}{_REASON_SUFFIX}").write_text(
        _reason_text(dropped, reason, parsed), encoding="utf-8"
    )
    load_id = _record_failed(conn, dropped, reason, parsed, load_id)
    month = f"{dropped.service_month:%Y-%m}" if dropped.service_month else "unknown month"
    log.warning("%s quarantined (%s, %s)", dropped.name, dropped.kind or "unknown kind", month)
    return LoadResult(
        load_id=load_id,
        kind=dropped.kind,
        service_month=dropped.service_month,
        file_name=dropped.name,
        rows_loaded=0,
        rows_rejected=parsed.rows_rejected if parsed else 0,
        rows_skipped=parsed.rows_skipped if parsed else 0,
        status="quarantined",
        reason=reason,
    )
