"""dbt models as Dagster assets: each service month is built with the month as a dbt var."""

import json
import os
from collections.abc import Mapping
from typing import Any

from dagster import AssetExecutionContext, AssetKey, BackfillPolicy
from dagster_dbt import (
    DagsterDbtTranslator,
    DagsterDbtTranslatorSettings,
    DbtCliResource,
    dbt_assets,
)

from orchestration.defs.ingest.partitions import month_of_partition, service_months
from orchestration.defs.resources import Warehouse
from orchestration.defs.transform.project import (
    dbt_project,
    ensure_manifest,
    prune_invocation_folders,
)
from orchestration.lib.dbt_vars import dbt_vars_for_month
from orchestration.settings import policy_config


class CcmDbtTranslator(DagsterDbtTranslator):
    """Sources over `raw` map onto the ingest assets (`raw/<kind>`); models keep their layer."""

    def get_asset_key(self, dbt_resource_props: Mapping[str, Any]) -> AssetKey:
        if dbt_resource_props["resource_type"] == "source":
            return AssetKey([dbt_resource_props["source_name"], dbt_resource_props["name"]])
        schema = dbt_resource_props.get("config", {}).get("schema") or "reference"
        return AssetKey([schema, dbt_resource_props["name"]])

    def get_group_name(self, dbt_resource_props: Mapping[str, Any]) -> str | None:
        return "transform"


translator = CcmDbtTranslator(settings=DagsterDbtTranslatorSettings(enable_asset_checks=True))


@dbt_assets(
    manifest=ensure_manifest(),
    project=dbt_project,
    partitions_def=service_months,
    dagster_dbt_translator=translator,
    name="ccm_dbt_models",
    backfill_policy=BackfillPolicy.single_run(),
)
def ccm_dbt_models(context: AssetExecutionContext, dbt: DbtCliResource, warehouse: Warehouse):
    """Seed the code tables, then build and test each month's staging, intermediate and marts.

    A backfill is one run over a range of months (single-run policy); the models work one
    month at a time, so each month gets its own dbt build, in order. Only the last build's
    events are streamed as materializations: Dagster records one per asset per run.
    """
    months = [month_of_partition(key) for key in context.partition_keys]
    policy = policy_config()
    # dbt reads its connection from the environment (dbt_ccm/profiles.yml); the warehouse
    # resource knows it, including the socket folder of the embedded server.
    os.environ.update(warehouse.info().dbt_env())
    for index, month in enumerate(months, start=1):
        args = ["build", "--vars", json.dumps(dbt_vars_for_month(month, policy))]
        context.log.info(f"dbt build {index}/{len(months)}: {month:%Y-%m}")
        invocation = dbt.cli(args, context=context)
        if index < len(months):
            invocation.wait()
        else:
            yield from invocation.stream()
        context.log.info(f"progress: {month:%Y-%m} built and tested")
    # Dagster names each invocation's folder after the op; one run at a time holds the
    # pipeline lock, so no folder removed here is in use.
    removed = prune_invocation_folders(dbt_project.target_path, context.op_def.name)
    if removed:
        context.log.info(f"removed {removed} old dbt invocation folder(s)")
