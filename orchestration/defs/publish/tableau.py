"""What Tableau and the practice read after each run: extracts, data sources, summary pages."""

from dagster import (
    AssetExecutionContext,
    AssetKey,
    BackfillPolicy,
    MaterializeResult,
    MetadataValue,
    asset,
)

from orchestration.defs.ingest.partitions import month_of_partition, service_months
from orchestration.defs.publish.assets import published_key
from orchestration.defs.resources import ExportFolder, Warehouse
from orchestration.defs.transform.project import dbt_project
from orchestration.lib import tableau
from orchestration.lib.publish import PUBLISHED_MARTS
from orchestration.lib.summary_page import write_summary_page

PUBLISHED_DEPS = [published_key(table) for table in PUBLISHED_MARTS]


@asset(
    key=AssetKey(["exports", "tableau_extracts"]),
    deps=PUBLISHED_DEPS,
    partitions_def=service_months,
    backfill_policy=BackfillPolicy.single_run(),
    group_name="publish",
    kinds={"tableau"},
)
def tableau_extracts(
    context: AssetExecutionContext, warehouse: Warehouse, export_folder: ExportFolder
) -> MaterializeResult:
    """Document the published marts, keep the Tableau role's grants, write extracts and .tds.

    The extracts hold every published month, so one write per run covers a whole backfill.
    """
    folder = export_folder.root() / tableau.EXTRACT_FOLDER
    docs = tableau.mart_docs(dbt_project.manifest_path)
    with warehouse.connect() as conn:
        comments = tableau.comment_published_marts(conn, docs)
        granted = tableau.grant_marts_read(conn)
        conn.commit()
        rows = tableau.write_hyper_extracts(conn, folder)
        sources = tableau.write_tds_files(conn, folder)
    context.log.info(
        f"tableau: {len(rows)} extracts, {len(sources)} data sources, {comments} comments; "
        f"role {'granted' if granted else 'not created yet (ccm db tableau-role)'}"
    )
    return MaterializeResult(
        metadata={
            "extracts": len(rows),
            "rows_extracted": sum(rows.values()),
            "folder": MetadataValue.path(str(folder)),
            "tableau_role_granted": granted,
        }
    )


@asset(
    key=AssetKey(["exports", "ccm_summary_pages"]),
    deps=PUBLISHED_DEPS,
    partitions_def=service_months,
    backfill_policy=BackfillPolicy.single_run(),
    group_name="publish",
    kinds={"html"},
)
def ccm_summary_pages(
    context: AssetExecutionContext, warehouse: Warehouse, export_folder: ExportFolder
) -> MaterializeResult:
    """`ccm_summary_YYYY-MM.html` per month: headline numbers and charts, counts only."""
    names = []
    for partition_key in context.partition_keys:
        month = month_of_partition(partition_key)
        with warehouse.connect() as conn:
            path = write_summary_page(conn, month, export_folder.root())
        names.append(path.name)
        context.log.info(f"progress: {month:%Y-%m} summary page written")
    return MaterializeResult(
        metadata={
            "files": MetadataValue.text(", ".join(names)),
            "folder": MetadataValue.path(str(export_folder.root())),
        }
    )
