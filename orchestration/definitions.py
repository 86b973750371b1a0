"""Everything Dagster loads: the assets, jobs and resources of each area under defs/."""

from __future__ import annotations

import sys
from pathlib import Path

from dagster import Definitions
from dagster_dbt import DbtCliResource

from orchestration.defs.ingest.assets import raw_reports
from orchestration.defs.ingest.sensors import drop_folder_sensor, monthly_run_failure_alert
from orchestration.defs.jobs import monthly_billing
from orchestration.defs.loggers import LOGGERS
from orchestration.defs.publish.assets import ccm_billing_files, published_marts
from orchestration.defs.publish.tableau import ccm_summary_pages, tableau_extracts
from orchestration.defs.quality.checks import quality_checks
from orchestration.defs.reference.assets import icd10cm_codes
from orchestration.defs.resources import DropFolder, ExportFolder, Warehouse
from orchestration.defs.transform.assets import ccm_dbt_models
from orchestration.defs.transform.project import dbt_project


def build_definitions(*, drop_path: str | None = None, out_path: str | None = None) -> Definitions:
    drop = DropFolder(path=drop_path) if drop_path else DropFolder()
    out = ExportFolder(path=out_path) if out_path else ExportFolder()
    return Definitions(
        assets=[
            icd10cm_codes,
            raw_reports,
            ccm_dbt_models,
            published_marts,
            ccm_billing_files,
            tableau_extracts,
            ccm_summary_pages,
        ],
        asset_checks=quality_checks,
        jobs=[monthly_billing],
        sensors=[drop_folder_sensor, monthly_run_failure_alert],
        loggers=LOGGERS,
        resources={
            "drop_folder": drop,
            "export_folder": out,
            "warehouse": Warehouse(),
            # The dbt beside this interpreter: `ccm` may run without the venv on PATH.
            "dbt": DbtCliResource(
                project_dir=dbt_project, dbt_executable=str(Path(sys.executable).parent / "dbt")
            ),
        },
    )


defs = build_definitions()
