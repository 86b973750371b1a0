"""The monthly job: every asset of one service month (or a range, for backfills)."""

from dagster import AssetSelection, define_asset_job

MONTHLY_JOB_NAME = "monthly_billing"

# Every month shares the staging views and the marts_build schema, so the instance's run queue
# lets one run with this tag go at a time (deploy/dagster.yaml, the dagster_home `ccm` writes).
# `ccm run` and friends, which run in-process, take the warehouse's advisory lock instead.
PIPELINE_TAG = {"ccm/pipeline": "monthly"}

monthly_billing = define_asset_job(
    MONTHLY_JOB_NAME,
    selection=AssetSelection.all(),
    tags=PIPELINE_TAG,
    description="Ingest a service month's reports, build and test the marts, publish, export.",
)
