"""Publishing: the tested marts swapped into `marts`, then the billing team's files."""

from dagster import (
    AssetExecutionContext,
    AssetKey,
    AssetSpec,
    BackfillPolicy,
    MaterializeResult,
    MetadataValue,
    asset,
    multi_asset,
)

from orchestration.defs.ingest.partitions import month_of_partition, service_months
from orchestration.defs.resources import ExportFolder, Warehouse
from orchestration.lib.exports import export_month
from orchestration.lib.publish import BUILD_SCHEMA, PUBLISHED_MARTS, PUBLISHED_SCHEMA, publish_month

MART_DESCRIPTIONS = {
    "fct_ccm_billing": "One row per billed CPT/HCPCS line per patient per service month.",
    "ccm_review_list": "One row per enrolled patient-month not billed, with the reason.",
    "ccm_exclusion_list": "One row per exclusion found per patient-month.",
    "te_enabled_patients": "One row per telephone encounter of a CCM-enabled patient.",
    "te_not_enabled_patients": "One row per telephone encounter of a patient not enabled.",
    "ccm_month_summary": "One row per service month: the headline counts.",
    "ccm_provider_code_month": "One row per provider per billed code per month, with revenue.",
    "ccm_provider_month_analytics": "One row per provider per month: patients, codes, trends.",
    "ccm_worklist_month_to_date": "One row per enrolled patient: minutes so far and still needed.",
    "ccm_enrolment_opportunities": "One row per not-enabled CCM candidate, ranked for outreach.",
}


def published_key(table: str) -> AssetKey:
    return AssetKey([PUBLISHED_SCHEMA, table])


@multi_asset(
    specs=[
        AssetSpec(
            published_key(table),
            deps=[AssetKey([BUILD_SCHEMA, table])],
            description=MART_DESCRIPTIONS[table],
            group_name="publish",
            kinds={"postgres"},
        )
        for table in PUBLISHED_MARTS
    ],
    partitions_def=service_months,
    backfill_policy=BackfillPolicy.single_run(),
    name="published_marts",
)
def published_marts(context: AssetExecutionContext, warehouse: Warehouse):
    """Swap each month's tested rows into `marts` in one transaction per month."""
    rows_by_table: dict[str, int] = {table: 0 for table in PUBLISHED_MARTS}
    for partition_key in context.partition_keys:
        month = month_of_partition(partition_key)
        with warehouse.connect() as conn:
            published = publish_month(conn, month)
        for item in published:
            rows_by_table[item.table] += item.rows
        context.log.info(
            f"{month:%Y-%m} published: " + ", ".join(f"{p.table} {p.rows} rows" for p in published)
        )
        context.log.info(f"progress: {month:%Y-%m} published")
    for table in PUBLISHED_MARTS:
        yield MaterializeResult(
            asset_key=published_key(table), metadata={"rows_published": rows_by_table[table]}
        )


@asset(
    key=AssetKey(["exports", "ccm_billing_files"]),
    deps=[published_key(table) for table in PUBLISHED_MARTS],
    partitions_def=service_months,
    backfill_policy=BackfillPolicy.single_run(),
    group_name="publish",
    kinds={"csv", "excel"},
)
def ccm_billing_files(
    context: AssetExecutionContext, warehouse: Warehouse, export_folder: ExportFolder
) -> MaterializeResult:
    """`ccm_billing_YYYY-MM.csv` and `.xlsx` for the billing team, one pair per month."""
    lines = 0
    paths = []
    for partition_key in context.partition_keys:
        month = month_of_partition(partition_key)
        with warehouse.connect() as conn:
            exported = export_month(conn, month, export_folder.root())
        lines += exported.billed_lines
        paths.append(exported.csv_path.name)
        context.log.info(f"progress: {month:%Y-%m} exported, {exported.billed_lines} billed lines")
    return MaterializeResult(
        metadata={
            "billed_lines": lines,
            "folder": MetadataValue.path(str(export_folder.root())),
            "files": MetadataValue.text(", ".join(paths)),
        }
    )
