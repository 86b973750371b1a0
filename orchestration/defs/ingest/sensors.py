"""Sensors: reports that land are billed without anyone pressing a button."""

from __future__ import annotations

import json
import os
import shlex
import subprocess

from dagster import (
    DefaultSensorStatus,
    RunFailureSensorContext,
    RunRequest,
    SensorEvaluationContext,
    SensorResult,
    SkipReason,
    run_failure_sensor,
    sensor,
)

from orchestration.defs.ingest.watching import evaluate, month_inbox_path
from orchestration.defs.jobs import monthly_billing
from orchestration.defs.resources import DropFolder
from orchestration.lib import warehouse


@sensor(
    job=monthly_billing,
    minimum_interval_seconds=30,
    default_status=DefaultSensorStatus.RUNNING,
    description=(
        "Takes files from the drop folder once their size has held still, and runs a month "
        "when all seven reports are in (or at its close day, naming what is missing)."
    ),
)
def drop_folder_sensor(context: SensorEvaluationContext, drop_folder: DropFolder):
    if not drop_folder.watch:
        return SkipReason("No drop folder to watch: set CCM_DROP to the practice's drop folder.")
    evaluation = evaluate(drop_folder.watch, context.cursor)
    requests = []
    for request in evaluation.requests:
        if request.missing_kinds:
            context.log.warning(
                f"{request.month}: close day reached; running without "
                + ", ".join(request.missing_kinds)
            )
        if request.rebill:
            context.log.info(
                f"{request.month}: billing again; a neighbouring month's report changed entries "
                "dated in it"
            )
        requests.append(month_run_request(request.month, request.run_key, request.missing_kinds))
        entry = evaluation.cursor.months[request.month]
        entry["rebilled" if request.rebill else "requested"] = request.run_key
    if evaluation.taken_months:
        context.log.info(f"files taken for {', '.join(evaluation.taken_months)}")
    return SensorResult(run_requests=requests, cursor=evaluation.cursor.dumps())


def month_run_request(month: str, run_key: str, missing: tuple[str, ...] = ()) -> RunRequest:
    """A run of one month over that month's inbox: exactly the files the run key names."""
    return RunRequest(
        run_key=run_key,
        partition_key=f"{month}-01",
        run_config={
            "resources": {"drop_folder": {"config": {"path": str(month_inbox_path(month))}}}
        },
        tags={"ccm/missing_reports": ",".join(missing) or "none"},
    )


def record_run_failure(run_id: str, job_name: str, partition: str | None, message: str) -> None:
    """Write the alert record, then call the practice's hook (CCM_ALERT_COMMAND) if set.

    The hook gets the alert as JSON on standard input: counts and months only, never patients.
    """
    warehouse.ensure_schemas()
    with warehouse.connect() as conn:
        conn.execute(
            "create table if not exists audit.run_alerts ("
            " run_id text primary key, job_name text not null, partition_key text,"
            " message text not null, failed_at timestamptz not null default now())"
        )
        conn.execute(
            "insert into audit.run_alerts (run_id, job_name, partition_key, message) "
            "values (%s, %s, %s, %s) on conflict (run_id) do nothing",
            (run_id, job_name, partition, message[:2000]),
        )
    command = os.environ.get("CCM_ALERT_COMMAND", "").strip()
    if command:
        payload = json.dumps(
            {"run_id": run_id, "job": job_name, "partition": partition, "message": message}
        )
        subprocess.run(shlex.split(command), input=payload, text=True, timeout=60, check=False)


@run_failure_sensor(
    monitored_jobs=[monthly_billing],
    default_status=DefaultSensorStatus.RUNNING,
    description="Records every failed monthly run in audit.run_alerts and calls the alert hook.",
)
def monthly_run_failure_alert(context: RunFailureSensorContext):
    run = context.dagster_run
    message = context.failure_event.message or "run failed"
    record_run_failure(run.run_id, run.job_name, run.tags.get("dagster/partition"), message)
