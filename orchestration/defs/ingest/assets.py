"""Raw report assets: one per report kind, partitioned by service month.

One op scans the drop folder once and loads every kind the run selected, because reading the
title rows of each file is what tells its kind and month; seven ops would read them seven times.

A month whose newest report of a kind was quarantined fails here: its current load of that
kind is an older file's, and billing from it would publish stale data as if it were new.
"""

from collections import defaultdict
from datetime import date
from pathlib import Path

from dagster import (
    AssetExecutionContext,
    AssetKey,
    AssetSpec,
    BackfillPolicy,
    Failure,
    MaterializeResult,
    MetadataValue,
    multi_asset,
)

from orchestration.defs.ingest.partitions import month_of_partition, service_months
from orchestration.defs.resources import DropFolder, Warehouse
from orchestration.lib.ingest import (
    DroppedFile,
    LoadResult,
    ingest_pool,
    load_by_kind,
    scan_drop,
)
from orchestration.lib.raw_tables import REPORT_KINDS
from orchestration.settings import project_paths, reports_config

KIND_DESCRIPTIONS = {
    "ccm_enabled": "eCW list of patients enabled (consented) for CCM.",
    "ccm_not_enabled": "eCW list of patients not enabled for CCM.",
    "ccm_not_eligible": "eCW list of patients not eligible for CCM.",
    "exclusions": "Home health, TCM, SNF and hospice services that exclude a patient-month.",
    "practice_minutes": "CCM minutes logged by practice staff in eCW (PHM).",
    "telephone_encounters": "All telephone encounters of the month, with diagnoses.",
    "vendor_billing": "The CCM vendor's monthly minutes report.",
}


def raw_asset_key(kind: str) -> AssetKey:
    return AssetKey(["raw", kind])


def files_for_month(files: list[DroppedFile], month) -> dict[str, list[DroppedFile]]:
    """The month's files by kind, oldest first, so the newest load ends up current."""
    by_kind: dict[str, list[DroppedFile]] = defaultdict(list)
    for dropped in files:
        if dropped.kind and dropped.service_month == month:
            by_kind[dropped.kind].append(dropped)
    for kind_files in by_kind.values():
        kind_files.sort(key=lambda f: (f.path.stat().st_mtime, f.name))
    return by_kind


def newest_refused(by_kind: dict[str, list[LoadResult]]) -> list[LoadResult]:
    """Each kind's newest file of the month, where that file was quarantined.

    Results come oldest file first. A refused file followed by one that loaded is a corrected
    re-drop and leaves nothing stale; a refused file that is the newest leaves the month on an
    earlier load (or none) of its kind.
    """
    return [
        results[-1]
        for results in by_kind.values()
        if results and results[-1].status == "quarantined"
    ]


def refusal_message(refused: list[tuple[date, LoadResult]], var_dir: Path) -> str:
    """Why the months did not run: each refused file with its reason, then what to do."""
    lines = []
    for month, result in refused:
        kind = (result.kind or "unknown").replace("_", " ")
        lines.append(
            f"{month:%Y-%m} not billed: its newest {kind} report {result.file_name} was "
            f"quarantined: {result.reason}"
        )
    lines.append(
        "A month is never billed from an earlier load of a refused report. Drop a corrected "
        "file: it replaces the refused one. The reason files are in "
        f"{var_dir / 'quarantine'}/<YYYY-MM>/<kind>/."
    )
    return "\n".join(lines)


def _metadata(results: list[LoadResult]) -> dict:
    current = [r for r in results if r.status in ("current", "unchanged")]
    quarantined = [r for r in results if r.status == "quarantined"]
    return {
        "files_seen": len(results),
        "files_quarantined": len(quarantined),
        "rows_loaded": sum(r.rows_loaded for r in current),
        "rows_rejected": sum(r.rows_rejected for r in current),
        "rows_skipped": sum(r.rows_skipped for r in current),
        "rows_outside_month": sum(r.rows_outside_month for r in current),
        "file_names": MetadataValue.text(", ".join(r.file_name for r in results) or "none"),
        "arrived": bool(current),
    }


@multi_asset(
    specs=[
        AssetSpec(
            raw_asset_key(kind),
            description=KIND_DESCRIPTIONS[kind],
            group_name="ingest",
            kinds={"python", "postgres"},
            skippable=True,
        )
        for kind in REPORT_KINDS
    ],
    partitions_def=service_months,
    can_subset=True,
    name="raw_reports",
    backfill_policy=BackfillPolicy.single_run(),
)
def raw_reports(context: AssetExecutionContext, drop_folder: DropFolder, warehouse: Warehouse):
    """Read each month's reports from the drop folder and load them into `raw` with COPY."""
    config = reports_config()
    warehouse.ensure_schemas()
    selected = [kind for kind in REPORT_KINDS if raw_asset_key(kind) in context.selected_asset_keys]
    var_dir = project_paths().var
    results: dict[str, list[LoadResult]] = {kind: [] for kind in selected}
    refused: list[tuple[date, LoadResult]] = []
    # The workers start while the drop folder is scanned, and serve every month of a backfill.
    with ingest_pool() as pool:
        scanned = scan_drop(drop_folder.root(), config=config)
        for partition_key in context.partition_keys:
            month = month_of_partition(partition_key)
            by_kind = files_for_month(scanned, month)
            month_results = load_by_kind(
                {kind: by_kind.get(kind, []) for kind in selected},
                config=config,
                var_dir=var_dir,
                pool=pool,
            )
            for kind in selected:
                _log_month(context, kind, month, month_results[kind])
                results[kind].extend(month_results[kind])
            refused += [(month, result) for result in newest_refused(month_results)]
            context.log.info(f"progress: {month:%Y-%m} reports loaded")
    stale_kinds = {result.kind for _, result in refused}
    for kind in selected:
        if kind not in stale_kinds:
            yield MaterializeResult(
                asset_key=raw_asset_key(kind), metadata=_metadata(results[kind])
            )
    if refused:
        raise Failure(
            description=refusal_message(refused, var_dir),
            metadata={
                "files_quarantined": len(refused),
                "months": MetadataValue.text(
                    ", ".join(sorted({f"{month:%Y-%m}" for month, _ in refused}))
                ),
            },
        )


def _log_month(context: AssetExecutionContext, kind: str, month, results: list[LoadResult]):
    for result in results:
        if result.status == "quarantined":
            context.log.warning(
                f"{kind} {month:%Y-%m}: {result.file_name} quarantined: {result.reason}"
            )
    if not results:
        context.log.warning(f"{kind} {month:%Y-%m}: no report in the drop folder")
        return
    meta = _metadata(results)
    context.log.info(
        f"{kind} {month:%Y-%m}: {meta['rows_loaded']} rows loaded, "
        f"{meta['rows_rejected']} rejected, {meta['rows_skipped']} non-data rows skipped"
    )
    if meta["rows_outside_month"]:
        context.log.warning(
            f"{kind} {month:%Y-%m}: {meta['rows_outside_month']} rows dated in another month, "
            "not billed in this one (R9.7)"
        )
