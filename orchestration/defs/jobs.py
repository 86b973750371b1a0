"""The monthly job: every asset of one service month (or a range, for backfills)."""

from dagster import AssetSelection, define_asset_job

MONTHLY_JOB_NAME = "monthly_billing"

monthly_billing = define_asset_job(
    MONTHLY_JOB_NAME,
    selection=AssetSelection.all(),
    description="Ingest a service month's reports, build and test the marts, publish, export.",
)
