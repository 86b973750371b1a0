"""The month's exported billing list, written after the marts are built and tested."""

from __future__ import annotations

from dagster import AssetExecutionContext, AssetKey, MaterializeResult, MetadataValue, asset

from orchestration.defs.ingest.partitions import month_of_partition, service_months
from orchestration.defs.resources import ExportFolder, Warehouse
from orchestration.lib.exports import export_month

MART_KEYS = [
    AssetKey(["marts", name])
    for name in (
        "fct_ccm_billing",
        "ccm_review_list",
        "ccm_exclusion_list",
        "te_enabled_patients",
        "te_not_enabled_patients",
    )
]


@asset(
    key=AssetKey(["exports", "ccm_billing_files"]),
    deps=MART_KEYS,
    partitions_def=service_months,
    group_name="publish",
    kinds={"csv", "excel"},
)
def ccm_billing_files(
    context: AssetExecutionContext, warehouse: Warehouse, export_folder: ExportFolder
) -> MaterializeResult:
    """`ccm_billing_YYYY-MM.csv` and `.xlsx` for the billing team."""
    month = month_of_partition(context.partition_key)
    with warehouse.connect() as conn:
        exported = export_month(conn, month, export_folder.root())
    context.log.info(f"{month:%Y-%m}: {exported.billed_lines} billed lines exported")
    return MaterializeResult(
        metadata={
            "billed_lines": exported.billed_lines,
            "csv": MetadataValue.path(str(exported.csv_path)),
            "xlsx": MetadataValue.path(str(exported.xlsx_path)),
        }
    )
