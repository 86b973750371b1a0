"""`ccm`: run the monthly CCM billing pipeline from a terminal.

ccm run [--drop PATH] [--month YYYY-MM] [--out DIR]
ccm ui  [--port 3000]
ccm db  start | stop | url | tableau-role | tcp [--port 5433]
"""

from __future__ import annotations

import argparse
import contextlib
import logging
import os
import re
import subprocess
import sys
import tempfile
import warnings
from datetime import date
from pathlib import Path

from orchestration.settings import project_paths

log = logging.getLogger("ccm")

MONTH_PATTERN = re.compile(r"^(\d{4})-(0[1-9]|1[0-2])$")
INTERRUPTED = (
    "interrupted; marts are swapped in one transaction, so none is half-published, but a "
    "month published just before the stop may lack fresh billing files: re-run it"
)


def parse_month(text: str) -> date:
    match = MONTH_PATTERN.match(text.strip())
    if not match:
        raise argparse.ArgumentTypeError(f"expected a month as YYYY-MM, got {text!r}")
    return date(int(match.group(1)), int(match.group(2)), 1)


DAGSTER_INSTANCE_YAML = """\
# Written by `ccm` for the local Dagster instance (runs started here and by `ccm ui`).
run_coordinator:
  module: dagster.core.run_coordinator
  class: QueuedRunCoordinator
  config:
    # One monthly run at a time: months share the staging views and the build schema.
    tag_concurrency_limits:
      - key: ccm/pipeline
        limit: 1
telemetry:
  enabled: false
"""


def _dagster_home() -> Path:
    """Runs started here show up in `ccm ui`: both use the project's Dagster home."""
    home = Path(os.environ.get("DAGSTER_HOME", project_paths().var / "dagster_home"))
    home.mkdir(parents=True, exist_ok=True)
    config = home / "dagster.yaml"
    if not config.exists():
        config.write_text(DAGSTER_INSTANCE_YAML)
    os.environ["DAGSTER_HOME"] = str(home.resolve())
    return home


def _months_in_drop(drop: Path) -> tuple[list[date], list]:
    from orchestration.lib.ingest import scan_drop
    from orchestration.settings import reports_config

    files = scan_drop(drop, config=reports_config())
    months = sorted({f.service_month for f in files if f.service_month and f.kind})
    unplaced = [f for f in files if f.problem and (f.service_month is None or f.kind is None)]
    return months, unplaced


def output_folder_problem(out: Path) -> str | None:
    """Why the billing files could not be written to `out`, or None; creates the folder.

    Checked before any work, so a typo in --out costs a second, not a month's build.
    """
    if out.exists() and not out.is_dir():
        return "it is a file, not a folder"
    try:
        out.mkdir(parents=True, exist_ok=True)
        with tempfile.TemporaryFile(dir=out):
            pass
    except OSError as error:
        return error.strerror or type(error).__name__
    return None


def _check_output_folder(command: str, out: Path) -> bool:
    problem = output_folder_problem(out)
    if problem:
        print(f"ccm {command}: cannot write to --out {out}: {problem}", file=sys.stderr)
    return problem is None


def _quarantine_unplaced(unplaced) -> None:
    """Files that belong to no month or kind never reach a month's run: set them aside now."""
    from orchestration.lib import warehouse
    from orchestration.lib.ingest import load_file
    from orchestration.settings import reports_config

    with warehouse.connect() as conn:
        for dropped in unplaced:
            result = load_file(conn, dropped, config=reports_config())
            print(f"  quarantined {dropped.name}: {result.reason}")


def command_run(args: argparse.Namespace) -> int:
    from orchestration.definitions import build_definitions
    from orchestration.lib import warehouse
    from orchestration.lib.rebilling import refused_neighbours, stale_months, stale_reason
    from orchestration.lib.summary import month_summary

    drop = Path(args.drop).expanduser().resolve()
    out = Path(args.out).expanduser().resolve()
    if not drop.is_dir():
        print(f"ccm run: drop folder not found: {drop}", file=sys.stderr)
        return 2
    if not _check_output_folder("run", out):
        return 2
    found, unplaced = _months_in_drop(drop)
    if args.month and args.month not in found:
        present = ", ".join(f"{month:%Y-%m}" for month in found) or "none"
        print(
            f"ccm run: no report for {args.month:%Y-%m} in {drop} (months present: {present})",
            file=sys.stderr,
        )
        return 2

    _dagster_home()
    embedded = warehouse.connection_info().embedded
    print(f"Warehouse: {'embedded PostgreSQL' if embedded else 'CCM_DATABASE_URL'}")
    warehouse.ensure_schemas()
    if unplaced:
        print(f"{len(unplaced)} file(s) in the drop cannot be placed:")
        _quarantine_unplaced(unplaced)
    months = [args.month] if args.month else found
    if not months:
        print(f"ccm run: no recognisable reports in {drop}", file=sys.stderr)
        return 2

    defs = build_definitions(drop_path=str(drop), out_path=str(out))
    failed = []
    told_refused: dict[date, list[str]] = {}

    def run_one(month: date, step: str) -> None:
        print(f"{step} {month:%Y-%m}: ingest, build and test, publish, export …")
        if not run_months(defs, [month], verbose=args.verbose):
            failed.append(month)
            return
        with warehouse.connect() as conn:
            summary = month_summary(conn, month)
        told_refused[month] = summary.refused_neighbours
        for line in summary.lines():
            print(line)
        print(f"  wrote {out / f'ccm_billing_{month:%Y-%m}.csv'} and .xlsx")

    for index, month in enumerate(months, start=1):
        run_one(month, f"[{index}/{len(months)}]")
    # A later month's reports may carry entries dated in an earlier month of the drop (R9.7):
    # that month is billed again, so the drop gives one result whatever order it loads in.
    # Its own files are loaded already, so a second pass changes no other month.
    with warehouse.connect() as conn:
        again = [s for s in stale_months(conn) if s.service_month in months]
    for stale in again:
        if stale.service_month not in failed:
            print(f"{stale_reason(stale)}; billing it again")
            run_one(stale.service_month, "[again]")
    with warehouse.connect() as conn:
        # A later month of the drop refused after an earlier one was billed: say it now, as
        # the earlier month's summary would have had the drop loaded in the other order.
        for month, told in told_refused.items():
            for refused in (found.label for found in refused_neighbours(conn, month)):
                if refused not in told:
                    print(
                        f"warning: {month:%Y-%m} was billed without the refused {refused} "
                        "report's entries dated in it (its earlier report's count, if any)",
                        file=sys.stderr,
                    )
    _warn_stale_months()
    return 1 if failed else 0


def _warn_stale_months() -> None:
    from orchestration.lib import warehouse
    from orchestration.lib.rebilling import stale_line, stale_months

    with warehouse.connect() as conn:
        for stale in stale_months(conn):
            print(f"warning: {stale_line(stale)}", file=sys.stderr)


def run_months(defs, months: list[date], *, verbose: bool = False) -> bool:
    """Run the monthly job in-process over a range of months; True when it succeeded.

    dbt's and Dagster's own logs go to var/logs/ unless --verbose, so the terminal shows
    progress, the run's warnings and the summary; the failing step and the log's path are
    printed when a run fails. Ctrl-C stops the run and surfaces as KeyboardInterrupt.
    """
    from dagster import DagsterExecutionInterruptedError, DagsterInstance

    from orchestration.defs.ingest.partitions import partition_key_of
    from orchestration.defs.ingest.sensors import record_run_failure
    from orchestration.defs.jobs import MONTHLY_JOB_NAME
    from orchestration.lib import warehouse

    job = defs.resolve_job_def(MONTHLY_JOB_NAME)
    first, last = partition_key_of(months[0]), partition_key_of(months[-1])
    label = f"{months[0]:%Y-%m}" + (f"..{months[-1]:%Y-%m}" if len(months) > 1 else "")
    log_dir = project_paths().var / "logs"
    log_dir.mkdir(parents=True, exist_ok=True)
    log_path = log_dir / f"run_{label}.log"
    tags = {"dagster/asset_partition_range_start": first, "dagster/asset_partition_range_end": last}
    run_config = {
        "loggers": {
            "console": {"config": {"log_level": "INFO"}},
            # Listed loggers are the only ones a run starts: keep the progress lines.
            "ccm_progress": {},
        }
    }

    def waiting() -> None:
        print("  another run holds the warehouse; waiting for it to finish …", flush=True)

    instance = DagsterInstance.get()
    with (
        warehouse.pipeline_lock(on_wait=waiting),
        open(log_path, "w", encoding="utf-8") as log_file,
        contextlib.redirect_stdout(sys.stdout if verbose else log_file),
        contextlib.nullcontext() if verbose else _stderr_into(log_file),
    ):
        try:
            result = job.execute_in_process(
                partition_key=first if first == last else None,
                tags=None if first == last else tags,
                instance=instance,
                raise_on_error=False,
                run_config=run_config,
            )
        except DagsterExecutionInterruptedError as interrupted:
            raise KeyboardInterrupt from interrupted
    if _interrupted(result):
        # Dagster turns Ctrl-C into a failed step; it is the user's stop, not a failure to alert.
        raise KeyboardInterrupt
    if not verbose:
        for message in _run_warnings(instance, result.run_id):
            print(f"  warning: {message}", file=sys.stderr)
    if result.success:
        return True
    failures = []
    CHECK_EVALUATION = "ASSET_CHECK_EVALUATION"
    for event in result.all_events:
        check = event.event_specific_data if event.event_type_value == CHECK_EVALUATION else None
        if check is not None and not check.passed:
            found = check.metadata.get("failures")
            name = f"{check.asset_key.to_user_string()}:{check.check_name}"
            print(f"  check {name} failed:", file=sys.stderr)
            for line in (found.value if found else "").splitlines():
                print(f"    {line}", file=sys.stderr)
        if event.is_step_failure:
            lines = _failure_lines(event.step_failure_data)
            failures.append(f"step {event.step_key} failed: {' '.join(lines)}")
            print(f"  step {event.step_key} failed: {lines[0]}", file=sys.stderr)
            for line in lines[1:]:
                print(f"    {line}", file=sys.stderr)
    record_run_failure(result.run_id, MONTHLY_JOB_NAME, label, "; ".join(failures) or "failed")
    published = any(
        event.is_step_success and event.step_key == "published_marts" for event in result.all_events
    )
    outcome = (
        # The swap into `marts` committed before a later step (the billing files, the extracts)
        # failed: Tableau shows the new month, the files on disk are the old ones or missing.
        "the marts were published, but the billing files or extracts were not all written; "
        "re-run the month once the cause is fixed"
        if published
        else "nothing published"
    )
    print(f"  {label}: FAILED (run {result.run_id}); {outcome}. Log: {log_path}", file=sys.stderr)
    return False


@contextlib.contextmanager
def _stderr_into(log_file):
    """Standard error, this process's and its children's, written to the run's log.

    Dagster's console log (a failed step's stack trace included) and its helper processes,
    which print their own tracebacks on Ctrl-C, write to file descriptor 2; the terminal gets
    the failure in a line a clerk can read instead, printed once the run is over.
    """
    sys.stderr.flush()
    saved = os.dup(2)
    os.dup2(log_file.fileno(), 2)
    try:
        yield
    finally:
        sys.stderr.flush()
        os.dup2(saved, 2)
        os.close(saved)


def _interrupted(result) -> bool:
    interrupts = ("DagsterExecutionInterruptedError", "KeyboardInterrupt")
    for event in result.all_events:
        error = getattr(event.event_specific_data, "error", None)
        if error is not None and error.cls_name in interrupts:
            return True
    return False


def _run_warnings(instance, run_id: str) -> list[str]:
    """What the run's steps warned about (a missing report, a quarantined file), in order.

    Errors are left to the run's log: they are Dagster's notes on steps skipped after a
    failure, which the failure lines already explain.
    """
    return [
        entry.user_message
        for entry in instance.all_logs(run_id)
        if not entry.is_dagster_event and logging.WARNING <= entry.level < logging.ERROR
    ]


def _failure_lines(failure) -> list[str]:
    """A step's own account of its failure (a raised `Failure`), else its error's first line."""
    described = failure.user_failure_data.description if failure.user_failure_data else None
    if described and described.strip():
        return described.strip().splitlines()
    error = failure.error
    return [error.message.strip().splitlines()[0] if error else "failed"]


def command_backfill(args: argparse.Namespace) -> int:
    from orchestration.definitions import build_definitions
    from orchestration.lib import warehouse
    from orchestration.lib.summary import month_summary

    if args.to_month < args.from_month:
        print("ccm backfill: --to is before --from", file=sys.stderr)
        return 2
    drop = Path(args.drop).expanduser().resolve()
    out = Path(args.out).expanduser().resolve()
    if not drop.is_dir():
        print(f"ccm backfill: drop folder not found: {drop}", file=sys.stderr)
        return 2
    if not _check_output_folder("backfill", out):
        return 2
    _dagster_home()
    warehouse.ensure_schemas()
    months = month_range(args.from_month, args.to_month)
    print(f"Backfill {months[0]:%Y-%m}..{months[-1]:%Y-%m}: {len(months)} months in one run")
    defs = build_definitions(drop_path=str(drop), out_path=str(out))
    if not run_months(defs, months, verbose=args.verbose):
        return 1
    with warehouse.connect() as conn:
        for month in months:
            for line in month_summary(conn, month).lines():
                print(line)
    print(f"  wrote ccm_billing_YYYY-MM.csv and .xlsx for each month into {out}")
    _warn_stale_months()
    return 0


def month_range(first: date, last: date) -> list[date]:
    months, month = [], first
    while month <= last:
        months.append(month)
        month = date(month.year + (month.month == 12), month.month % 12 + 1, 1)
    return months


def _cursor_path(drop_url: str) -> Path:
    import hashlib

    digest = hashlib.sha256(drop_url.encode()).hexdigest()[:12]
    return project_paths().var / "watch" / f"cursor-{digest}.json"


def command_watch(args: argparse.Namespace) -> int:
    """The sensor's tick, for deployments without the Dagster daemon (cron, a service)."""
    import time

    from orchestration.defs.ingest.watching import (
        WatchRefused,
        evaluate,
        rebill_requests,
        refuse_project_folders,
    )

    drop_url = args.drop if "://" in args.drop else str(Path(args.drop).expanduser().resolve())
    if "://" not in drop_url and not Path(drop_url).is_dir():
        # A typo in a cron line must not look like a quiet month for ever.
        print(f"ccm watch: drop folder not found: {drop_url}", file=sys.stderr)
        return 2
    try:
        refuse_project_folders(drop_url)
    except WatchRefused as refused:
        print(f"ccm watch: {refused}", file=sys.stderr)
        return 2
    out = Path(args.out).expanduser().resolve()
    if not _check_output_folder("watch", out):
        return 2
    cursor_path = _cursor_path(drop_url)
    cursor_path.parent.mkdir(parents=True, exist_ok=True)
    _dagster_home()
    status = 0
    while True:
        cursor_text = cursor_path.read_text() if cursor_path.exists() else None
        evaluation = evaluate(drop_url, cursor_text)
        cursor_path.write_text(evaluation.cursor.dumps())
        if evaluation.taken_months:
            print(f"Taken files for {', '.join(evaluation.taken_months)}")
        if not evaluation.requests:
            print(
                "Nothing to run: no month has files it has not run with (a month runs once all "
                "seven reports are in, or on its close day)."
            )
        pending, failed = list(evaluation.requests), set()
        while pending:
            request = pending.pop(0)
            if not _watch_run(request, evaluation.cursor, cursor_path, out, args.verbose):
                status = 1
                failed.add(request.month)
            if not pending:
                # What this tick's runs changed in their neighbours is billed in the same tick
                # (each change once: the cursor keeps the requests it has made).
                pending = rebill_requests(evaluation.cursor, running=failed)
        _warn_stale_months()
        if args.once:
            return status
        time.sleep(args.interval)


def _watch_run(request, cursor, cursor_path: Path, out: Path, verbose: bool) -> bool:
    """Run one month the watch asked for and record it in the cursor; True when it succeeded."""
    from orchestration.definitions import build_definitions
    from orchestration.defs.ingest.watching import month_inbox_path
    from orchestration.lib import warehouse
    from orchestration.lib.drop_watch import FAILED_RUN_TRIES, record_failed_run
    from orchestration.lib.summary import month_summary

    month = parse_month(request.month)
    if request.missing_kinds:
        print(f"{request.month}: close day reached; missing {', '.join(request.missing_kinds)}")
    if request.rebill:
        print(
            f"{request.month}: billing again; a neighbouring month's report changed entries "
            "dated in it …",
            flush=True,
        )
    else:
        print(f"{request.month}: running …", flush=True)
    defs = build_definitions(drop_path=str(month_inbox_path(request.month)), out_path=str(out))
    succeeded = run_months(defs, [month], verbose=verbose)
    if request.rebill:
        # Asked for once per change, failed or not: a failure has raised its alert, and every
        # run names the month as needing billing again until a run of it succeeds.
        cursor.months[request.month]["rebilled"] = request.run_key
    elif succeeded:
        cursor.months[request.month]["requested"] = request.run_key
    # Retried on the next ticks (a failure may pass), then left until a file changes.
    elif record_failed_run(cursor, request.month, request.run_key):
        print(
            f"{request.month}: failed {FAILED_RUN_TRIES} times with the same files; "
            "not tried again until a corrected file is dropped "
            f"(or run `ccm run --month {request.month}`)"
        )
    cursor_path.write_text(cursor.dumps())
    if succeeded:
        with warehouse.connect() as conn:
            for line in month_summary(conn, month).lines():
                print(line)
    return succeeded


def command_ui(args: argparse.Namespace) -> int:
    from orchestration.lib import warehouse

    _dagster_home()
    warehouse.ensure_schemas()
    cmd = [
        sys.executable,
        "-m",
        "dagster",
        "dev",
        "-m",
        "orchestration.definitions",
        "-h",
        "127.0.0.1",
        "-p",
        str(args.port),
    ]
    print(f"Dagster UI on http://127.0.0.1:{args.port} (Ctrl-C to stop)")
    return subprocess.call(cmd, cwd=project_paths().root)


def command_db(args: argparse.Namespace) -> int:
    from orchestration.lib import warehouse

    if args.action == "stop":
        stopped = warehouse.stop_embedded()
        print("embedded PostgreSQL stopped" if stopped else "no embedded PostgreSQL running")
        return 0
    info = warehouse.connection_info()
    if args.action == "url":
        print(info.url)
    elif args.action == "tableau-role":
        return _db_tableau_role(info)
    elif args.action == "tcp":
        return _db_tcp(info, args.port)
    else:
        warehouse.ensure_schemas()
        print(f"warehouse ready: {'embedded' if info.embedded else 'external'} ({info.host})")
    return 0


def _db_tableau_role(info) -> int:
    from orchestration.lib import tableau, warehouse

    warehouse.ensure_schemas()
    with warehouse.connect(autocommit=True) as conn:
        role = tableau.ensure_tableau_role(conn)
        if info.embedded:
            (pgdata,) = conn.execute("show data_directory").fetchone()
            tableau.require_password_on_socket(Path(pgdata), conn)
    print(
        f"role {tableau.TABLEAU_ROLE} {'created' if role.created else 'updated'}: "
        "reads schema marts only"
    )
    if role.generated:
        print(f"password (shown once, not stored; keep it in Tableau): {role.password}")
    elif role.password:
        print(f"password set from {tableau.PASSWORD_ENV}")
    else:
        print(f"password unchanged (set {tableau.PASSWORD_ENV} and re-run to change it)")
    return 0


def _db_tcp(info, port: int) -> int:
    import signal
    import threading

    from orchestration.lib import tableau

    if not info.embedded:
        print(
            "ccm db tcp: CCM_DATABASE_URL names a server Tableau can reach directly "
            f"({info.host}:{info.port})",
            file=sys.stderr,
        )
        return 2
    stop = threading.Event()
    signal.signal(signal.SIGTERM, lambda *_: stop.set())
    print(
        f"Tableau Desktop: PostgreSQL, server {tableau.LOOPBACK}, port {port}, database "
        f"{info.dbname}, user {tableau.TABLEAU_ROLE} (only that role is let through). "
        "Ctrl-C to stop.",
        flush=True,
    )
    try:
        tableau.serve_loopback(port, tableau.socket_file(info.host, info.port), stop=stop)
    except KeyboardInterrupt:
        pass
    except OSError as error:
        print(f"ccm db tcp: cannot listen on {tableau.LOOPBACK}:{port}: {error}", file=sys.stderr)
        return 1
    return 0


def build_parser() -> argparse.ArgumentParser:
    paths = project_paths()
    parser = argparse.ArgumentParser(
        prog="ccm",
        description=(
            "Turn a month of eClinicalWorks and CCM-vendor reports into a Medicare CCM "
            "billing list. The warehouse is an embedded PostgreSQL under var/ unless "
            "CCM_DATABASE_URL names another server."
        ),
    )
    parser.add_argument("-v", "--verbose", action="store_true", help="show Dagster's run log")
    sub = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")

    run = sub.add_parser(
        "run",
        help="bill one or every month found in a drop folder",
        description=(
            "Ingest the drop folder's reports, build and test the month's marts through "
            "Dagster, and write ccm_billing_YYYY-MM.csv and .xlsx. Without --month, every "
            "month found in the drop is run, oldest first, and a month whose entries a later "
            "month's reports changed (R9.7: an entry counts in the month of its date) is "
            "billed again at the end. Exits non-zero if a month fails; "
            "a failed month publishes nothing. A month fails when the newest report of a kind "
            "was quarantined (named with its reason), rather than bill from an older load; "
            "a corrected file dropped later replaces it. Ctrl-C stops the run (exit 130)."
        ),
    )
    run.add_argument(
        "--drop",
        default=str(paths.sample_drop),
        help="folder holding the reports, any subfolders (default: the bundled sample months)",
    )
    run.add_argument(
        "--month",
        type=parse_month,
        help="service month to run, YYYY-MM; the drop must hold a report for it",
    )
    run.add_argument(
        "--out",
        default=str(paths.default_out),
        help="folder for ccm_billing_YYYY-MM.csv/.xlsx, created if missing and checked "
        "writable before any work (default: out/)",
    )
    run.set_defaults(handler=command_run)

    backfill = sub.add_parser(
        "backfill",
        help="re-bill a range of past months in one run",
        description=(
            "Run every month from --from to --to as one Dagster run (single-run backfill), "
            "with a progress line per month. Each month is billed by the rules in force in "
            "that month. Months already published are replaced only if their run succeeds."
        ),
    )
    backfill.add_argument(
        "--from", dest="from_month", type=parse_month, required=True, help="first month, YYYY-MM"
    )
    backfill.add_argument(
        "--to", dest="to_month", type=parse_month, required=True, help="last month, YYYY-MM"
    )
    backfill.add_argument(
        "--drop",
        default=str(paths.sample_drop),
        help="folder holding the months' reports (default: the bundled sample months)",
    )
    backfill.add_argument(
        "--out", default=str(paths.default_out), help="folder for the exported files"
    )
    backfill.set_defaults(handler=command_backfill)

    watch = sub.add_parser(
        "watch",
        help="take new files from a drop folder and run the months that are ready",
        description=(
            "What the Dagster sensor does, without the daemon: take each file whose size has "
            "held still for CCM_STABLE_SECONDS (default 60), move it to the drop's archive/, "
            "and run a month once all seven reports are in, or on day CCM_CLOSE_DAY (default "
            "5) of the next month with the missing ones named. A corrected file re-runs its "
            "month; an identical re-drop does nothing. A month whose run fails is tried on "
            "the next two ticks too, then waits for a corrected file (each failure is an "
            "alert). Local folders and fsspec URLs (s3://, az://, gs://, sftp://) both work."
        ),
    )
    watch.add_argument("--drop", required=True, help="drop folder: a path or an fsspec URL")
    watch.add_argument(
        "--out", default=str(paths.default_out), help="folder for the exported files"
    )
    watch.add_argument("--once", action="store_true", help="tick once and exit (for cron)")
    watch.add_argument(
        "--interval", type=float, default=60.0, help="seconds between ticks (default 60)"
    )
    watch.set_defaults(handler=command_watch)

    ui = sub.add_parser(
        "ui",
        help="start the Dagster UI on 127.0.0.1",
        description="Start the Dagster UI (webserver and daemon) on 127.0.0.1.",
    )
    ui.add_argument("--port", type=int, default=3000, help="port (default 3000)")
    ui.set_defaults(handler=command_ui)

    db = sub.add_parser(
        "db",
        help="start or stop the embedded warehouse, or print its URL",
        description=(
            "Manage the warehouse: start (and create schemas), stop, or print the URL. "
            "tableau-role creates the read-only ccm_tableau login (password from "
            "CCM_TABLEAU_PASSWORD, or generated and printed once); tcp forwards "
            "127.0.0.1:PORT to the embedded server for Tableau Desktop, admitting only that role."
        ),
    )
    db.add_argument("action", choices=("start", "stop", "url", "tableau-role", "tcp"))
    db.add_argument("--port", type=int, default=5433, help="loopback port for `tcp` (default 5433)")
    db.set_defaults(handler=command_db)
    return parser


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    if not args.verbose:
        # Beta/preview notices about Dagster's own APIs say nothing to a billing clerk.
        warnings.filterwarnings("ignore", module=r"dagster(_dbt)?\b")
        warnings.filterwarnings("ignore", message=".*(beta|preview).*", category=Warning)
    handler = logging.StreamHandler()
    # The handler's level, not only the root's: Dagster's loggers set their own levels and
    # their records reach the root handler regardless of the root logger's level.
    handler.setLevel(logging.INFO if args.verbose else logging.WARNING)
    handler.setFormatter(logging.Formatter("%(levelname)s %(name)s: %(message)s"))
    logging.basicConfig(level=logging.INFO if args.verbose else logging.WARNING, handlers=[handler])
    try:
        return args.handler(args)
    except KeyboardInterrupt:
        # A month's marts swap in one transaction and its files are renamed into place, so a
        # run stopped anywhere leaves each month as it was or as it became: no traceback.
        print(INTERRUPTED, file=sys.stderr)
        return 130


if __name__ == "__main__":
    sys.exit(main())
