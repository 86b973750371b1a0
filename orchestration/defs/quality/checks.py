"""Blocking quality checks: the month stops here when its data breaks a rule.

Raw checks sit on `raw/<kind>`, so the dbt build waits for them and is skipped when one fails.
The staging and billing checks sit on `marts_build/fct_ccm_billing`, which `published_marts`
depends on: a failure leaves `marts` and the exported files exactly as they were.
"""

from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from datetime import date

from dagster import (
    AssetCheckExecutionContext,
    AssetCheckResult,
    AssetCheckSeverity,
    AssetCheckSpec,
    AssetKey,
    MetadataValue,
    PartitionKeyRange,
    multi_asset_check,
)

from orchestration.defs.ingest.assets import raw_asset_key
from orchestration.defs.ingest.partitions import month_of_partition, service_months
from orchestration.defs.resources import Warehouse
from orchestration.lib.quality import gx_suites
from orchestration.lib.quality.report import CheckReport
from orchestration.lib.quality.rules import (
    marts_rules,
    quality_config,
    raw_rules,
    staging_rules,
    start_rules,
)
from orchestration.lib.raw_tables import REPORT_KINDS

RAW_CHECK = "raw_report_contract"
STAGING_CHECK = "staging_contract"
BILLING_CHECK = "billing_rules"
BILLING_KEY = AssetKey(["marts_build", "fct_ccm_billing"])
# Connections the SQL rules run on at once, beside Great Expectations' own.
RULE_WORKERS = 2
STAGING_MODELS = (
    "stg_ecw__ccm_enabled",
    "stg_ecw__patients",
    "stg_ecw__exclusions",
    "stg_ecw__practice_minutes",
    "stg_ecw__telephone_encounters",
    "stg_vendor__monthly_report",
)


def run_months(context: AssetCheckExecutionContext) -> list[date]:
    """The run's service months from its partition tags (checks are not partitioned)."""
    tags = context.op_execution_context.run.tags
    if "dagster/partition" in tags:
        return [month_of_partition(tags["dagster/partition"])]
    first = tags.get("dagster/asset_partition_range_start")
    last = tags.get("dagster/asset_partition_range_end")
    if not first or not last:
        return []
    keys = service_months.get_partition_keys_in_range(PartitionKeyRange(first, last))
    return [month_of_partition(key) for key in keys]


def _metadata(report: CheckReport, docs: str | None, months: list[date]) -> dict:
    metadata = {
        "months": ", ".join(f"{m:%Y-%m}" for m in months) or "none",
        "rules_run": report.rules_run,
        "failures_count": len(report.failures),
        "failures": MetadataValue.md(_as_list(report.failures) or "none"),
        "notes": MetadataValue.md(_as_list(report.notes) or "none"),
    }
    if docs:
        metadata["data_docs"] = MetadataValue.path(docs)
    return metadata


def _as_list(lines: list[str]) -> str:
    return "\n".join(f"- {line}" for line in lines)


def _gx(context, warehouse: Warehouse, layer: str, month: date):
    if not quality_config()["run_great_expectations"]:
        return None
    with warehouse.connect() as conn:
        outcome = gx_suites.run_layer(
            conn, layer, month, warehouse.info().sqlalchemy_url, context.op_execution_context.run_id
        )
    context.log.info(
        f"GX {layer} {month:%Y-%m}: {outcome.evaluated} expectations, "
        f"{len(outcome.failures)} failed"
    )
    return outcome


def _log(context, name: str, report: CheckReport) -> None:
    for line in report.notes:
        context.log.info(f"{name} note: {line}")
    for line in report.failures:
        context.log.error(f"{name}: {line}")


def _suite_report(reports: dict[str, CheckReport], line: str) -> CheckReport:
    """The report of the kind whose suite ("raw.raw_<kind>: …") the GX line names."""
    kind = line.split(":", 1)[0].removeprefix("raw.raw_")
    return reports.get(kind) or reports[REPORT_KINDS[0]]


@multi_asset_check(
    specs=[
        AssetCheckSpec(
            RAW_CHECK,
            asset=raw_asset_key(kind),
            blocking=True,
            description=(
                "Required columns filled, account numbers present, dates parse and fall in "
                "the month (neighbour months noted, R9.7), minutes whole 0..1440, roles and "
                "exclusion types in their seeds, and a row count of at least the kind's "
                "min_rows and the configured share of last month's (config/quality.yml)."
            ),
        )
        for kind in REPORT_KINDS
    ],
    name="raw_report_checks",
)
def raw_report_checks(
    context: AssetCheckExecutionContext, warehouse: Warehouse
) -> Iterator[AssetCheckResult]:
    months = run_months(context)
    reports = {kind: CheckReport() for kind in REPORT_KINDS}
    docs = None
    for month in months:
        # The rules run on two connections while Great Expectations runs its suites.
        with ThreadPoolExecutor(max_workers=RULE_WORKERS) as pool:
            running = {
                kind: start_rules(pool, warehouse.connect, raw_rules(kind, month))
                for kind in REPORT_KINDS
            }
            outcome = _gx(context, warehouse, "raw", month)
            for kind, results in running.items():
                reports[kind].add_rules(month, [result.result() for result in results])
        if outcome:
            docs = outcome.docs or docs
            for line in outcome.failures:
                _suite_report(reports, line).failures.append(f"{month:%Y-%m} {line}")
            for line in outcome.notes:
                _suite_report(reports, line).notes.append(f"{month:%Y-%m} {line}")
    for kind in REPORT_KINDS:
        _log(context, f"raw/{kind}", reports[kind])
        yield AssetCheckResult(
            asset_key=raw_asset_key(kind),
            check_name=RAW_CHECK,
            passed=reports[kind].passed,
            severity=AssetCheckSeverity.ERROR,
            metadata=_metadata(reports[kind], docs, months),
        )


@multi_asset_check(
    specs=[
        AssetCheckSpec(
            STAGING_CHECK,
            asset=BILLING_KEY,
            blocking=True,
            additional_deps=[AssetKey(["staging", model]) for model in STAGING_MODELS],
            description=(
                "Staging keys unique, account numbers in the practice's format "
                "(account_number_width), ICD-10 codes well formed. Sits on the billing mart so "
                "that a failure blocks publishing."
            ),
        ),
        AssetCheckSpec(
            BILLING_CHECK,
            asset=BILLING_KEY,
            blocking=True,
            additional_deps=[AssetKey(["marts_build", "ccm_exclusion_list"])],
            description=(
                "Before publish: no add-on without its base, one family per patient-month, "
                "units within caps, no excluded or not-enabled patient billed, consent on or "
                "before the date of service, date of service in the month, qualifying minutes "
                "reach each code's threshold."
            ),
        ),
    ],
    name="marts_build_checks",
)
def marts_build_checks(
    context: AssetCheckExecutionContext, warehouse: Warehouse
) -> Iterator[AssetCheckResult]:
    months = run_months(context)
    staging, billing = CheckReport(), CheckReport()
    docs = None
    for month in months:
        with ThreadPoolExecutor(max_workers=RULE_WORKERS) as pool:
            layers = ((staging, staging_rules(month)), (billing, marts_rules(month)))
            running = [
                (report, start_rules(pool, warehouse.connect, rules)) for report, rules in layers
            ]
            outcome = _gx(context, warehouse, "marts", month)
            for report, results in running:
                report.add_rules(month, [result.result() for result in results])
        if outcome:
            docs = outcome.docs or docs
            for line in outcome.failures:
                target = staging if line.startswith("marts.stg_") else billing
                target.failures.append(f"{month:%Y-%m} {line}")
    for name, report in ((STAGING_CHECK, staging), (BILLING_CHECK, billing)):
        _log(context, name, report)
        yield AssetCheckResult(
            asset_key=BILLING_KEY,
            check_name=name,
            passed=report.passed,
            severity=AssetCheckSeverity.ERROR,
            metadata=_metadata(report, docs, months),
        )


quality_checks = [raw_report_checks, marts_build_checks]
