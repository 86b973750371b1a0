"""Great Expectations suites of each layer, run over per-month views, with Data Docs.

The file context lives in expectations/gx. The data source points at the warehouse through an
environment variable, and the assets are fixed views in schema `quality` that are re-pointed at
the run's month before validating, so the committed configuration never changes from run to
run. GX 1.24's `add_postgres` rejects the embedded server's Unix-socket URL; `add_sql` with the
same SQLAlchemy URL works.

GX pitfalls handled here: blank account numbers are turned into NULL in the views (DE-27);
an empty batch passes every column expectation vacuously, so each suite starts with a row
count (DE-28); an expectation that raises is reported as failed with its reason instead of
being dropped; unexpected lists are truncated by GX, so the SQL rules (rules.py) carry the
complete list of offenders.
"""

from __future__ import annotations

import logging
import os
import shutil
import warnings
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path

from orchestration.lib.quality.rules import (
    MINUTE_COLUMNS,
    ROLE_COLUMNS,
    account_pattern,
    quality_config,
    staff_role_values,
)
from orchestration.lib.raw_tables import KIND_COLUMNS, REPORT_KINDS
from orchestration.settings import project_paths

log = logging.getLogger(__name__)

DATA_SOURCE = "ccm_warehouse"
URL_VARIABLE = "CCM_GX_WAREHOUSE_URL"
VIEW_SCHEMA = "quality"
BILLED_CODES = ["99490", "G2058", "99439", "99491", "99437", "99487", "99489", "G0511"]


@dataclass
class GxOutcome:
    failures: list[str] = field(default_factory=list)
    evaluated: int = 0
    docs: str | None = None


def gx_root() -> Path:
    """The folder holding `gx/`: the project's, or a private copy (CCM_GX_ROOT) for tests
    and parallel runs, so that two warehouses never write one file context at once."""
    override = os.environ.get("CCM_GX_ROOT")
    if not override:
        return project_paths().expectations
    root = Path(override)
    if not (root / "gx" / "great_expectations.yml").exists():
        shutil.copytree(
            project_paths().expectations / "gx",
            root / "gx",
            ignore=shutil.ignore_patterns("uncommitted"),
            dirs_exist_ok=True,
        )
    return root


def _raw_view_sql(kind: str) -> str:
    role_column = ROLE_COLUMNS.get(kind)

    def shown(column: str) -> str:
        if column == "patient_acct_no":
            return "nullif(btrim(patient_acct_no), '') as patient_acct_no"
        if column == role_column:
            # Roles are matched as staging matches them: trimmed and case-blind ("Front Desk").
            return f"upper(nullif(btrim({column}), '')) as {column}"
        return column

    columns = ", ".join(shown(column) for column in KIND_COLUMNS[kind])
    return (
        f"select r.source_row, {columns} from raw.{kind} as r "
        "join raw.file_loads as l on l.load_id = r.load_id "
        "where l.status = 'current' and r.service_month = '{month}'"
    )


def view_definitions(layer: str, month: date) -> dict[str, str]:
    """View name → select over the month's rows, for the layer's suites."""
    if layer == "raw":
        views = {f"raw_{kind}": _raw_view_sql(kind) for kind in REPORT_KINDS}
    else:
        views = {
            "stg_ecw__ccm_enabled": "select * from staging.stg_ecw__ccm_enabled "
            "where service_month = '{month}'",
            "fct_ccm_billing": "select * from marts_build.fct_ccm_billing "
            "where service_month = '{month}'",
        }
    return {name: sql.format(month=month.isoformat()) for name, sql in views.items()}


def _suites(layer: str, month: date) -> dict[str, list]:
    import great_expectations.expectations as gxe

    top = int(quality_config()["max_minutes_per_entry"])
    suites: dict[str, list] = {}
    if layer == "raw":
        for kind in REPORT_KINDS:
            expectations = [
                gxe.ExpectTableRowCountToBeBetween(min_value=1),
                gxe.ExpectColumnValuesToNotBeNull(column="patient_acct_no"),
            ]
            if kind in MINUTE_COLUMNS:
                expectations.append(
                    gxe.ExpectColumnValuesToMatchRegex(
                        column=MINUTE_COLUMNS[kind], regex=rf"^\s*(\d{{1,3}}|1[0-3]\d\d|{top})\s*$"
                    )
                )
            if kind in ROLE_COLUMNS:
                expectations.append(
                    gxe.ExpectColumnValuesToBeInSet(
                        column=ROLE_COLUMNS[kind], value_set=staff_role_values()
                    )
                )
            suites[f"raw_{kind}"] = expectations
        return suites
    start = month.isoformat()
    end = (date(month.year + month.month // 12, month.month % 12 + 1, 1)).isoformat()
    suites["stg_ecw__ccm_enabled"] = [
        gxe.ExpectCompoundColumnsToBeUnique(column_list=["service_month", "patient_acct_no"]),
        gxe.ExpectColumnValuesToMatchRegex(column="patient_acct_no", regex=account_pattern()),
    ]
    suites["fct_ccm_billing"] = [
        # Codes look like numbers, not dates; distinct-values-in-set compares them as text on
        # Postgres in GX 1.24 (DE-23, tests/quality/test_gx_pitfalls.py).
        gxe.ExpectColumnDistinctValuesToBeInSet(column="cpt_code", value_set=BILLED_CODES),
        gxe.ExpectColumnValuesToBeBetween(
            column="date_of_service", min_value=start, max_value=end, strict_max=True
        ),
        gxe.ExpectColumnValuesToNotBeNull(column="consent_date"),
        gxe.ExpectColumnValuesToBeBetween(column="units", min_value=1, max_value=2),
    ]
    return suites


def _describe(result) -> str:
    config = result.expectation_config
    kwargs = {k: v for k, v in config.kwargs.items() if k not in ("batch_id", "value_set")}
    where = f" on {kwargs.pop('column')}" if "column" in kwargs else ""
    text = f"GX {config.type}{where} {kwargs}".rstrip(" {}")
    # Top level, or one entry per metric that raised (a missing column fails a metric).
    info = result.exception_info or {}
    raised = [info] + [v for v in info.values() if isinstance(v, dict)]
    for entry in raised:
        if entry.get("raised_exception"):
            message = str(entry.get("exception_message") or "raised an error").splitlines()[0]
            return f"{text}: could not run: {message}"
    details = result.result or {}
    if "unexpected_count" in details:
        return f"{text}: {details['unexpected_count']} unexpected value(s)"
    if "observed_value" in details:
        return f"{text}: observed {details['observed_value']}"
    return f"{text}: failed"


def run_layer(conn, layer: str, month: date, sqlalchemy_url: str, run_id: str) -> GxOutcome:
    """Validate the layer's suites for the month; build Data Docs; never raise."""
    outcome = GxOutcome()
    views = view_definitions(layer, month)
    with conn.transaction():
        conn.execute(f"create schema if not exists {VIEW_SCHEMA}")
        for name, sql in views.items():
            conn.execute(f"drop view if exists {VIEW_SCHEMA}.{name}")
            conn.execute(f"create view {VIEW_SCHEMA}.{name} as {sql}")
    try:
        outcome.evaluated, outcome.failures, outcome.docs = _validate(
            layer, month, sqlalchemy_url, run_id, list(views)
        )
    except Exception as exc:  # noqa: BLE001 - GX itself failing must fail the check, readably
        outcome.failures.append(f"GX could not run the {layer} suites: {exc}".splitlines()[0])
    return outcome


def _validate(layer, month, sqlalchemy_url, run_id, names) -> tuple[int, list[str], str | None]:
    # GX draws a progress bar per validation on stderr; `ccm` output is for the billing team.
    os.environ.setdefault("TQDM_DISABLE", "1")
    warnings.filterwarnings("ignore", module=r"great_expectations\b")
    import great_expectations as gx
    from great_expectations.checkpoint import UpdateDataDocsAction

    os.environ[URL_VARIABLE] = sqlalchemy_url
    context = gx.get_context(mode="file", project_root_dir=str(gx_root()))
    try:
        source = context.data_sources.get(DATA_SOURCE)
    except Exception:  # noqa: BLE001 - first run on a fresh context
        source = context.data_sources.add_sql(
            name=DATA_SOURCE, connection_string="${" + URL_VARIABLE + "}"
        )
    suites = _suites(layer, month)
    definitions = []
    for name in names:
        try:
            asset = source.get_asset(name)
        except LookupError:
            asset = source.add_table_asset(name, table_name=name, schema_name=VIEW_SCHEMA)
        try:
            batch = asset.get_batch_definition("month")
        except KeyError:
            batch = asset.add_batch_definition_whole_table("month")
        suite = gx.ExpectationSuite(name=f"{layer}.{name}", expectations=suites[name])
        suite = context.suites.add_or_update(suite)
        definitions.append(
            context.validation_definitions.add_or_update(
                gx.ValidationDefinition(name=f"{layer}.{name}", data=batch, suite=suite)
            )
        )
    checkpoint = context.checkpoints.add_or_update(
        gx.Checkpoint(
            name=f"{layer}_month",
            validation_definitions=definitions,
            actions=[UpdateDataDocsAction(name="data_docs")],
            result_format={"result_format": "SUMMARY"},
        )
    )
    result = checkpoint.run(run_id=gx.RunIdentifier(run_name=f"{run_id}:{month:%Y-%m}"))
    evaluated, failures = 0, []
    for validation in result.run_results.values():
        for item in validation.results:
            evaluated += 1
            if not item.success:
                failures.append(f"{validation.suite_name}: {_describe(item)}")
    docs = gx_root() / "gx" / "uncommitted" / "data_docs" / "local_site" / "index.html"
    return evaluated, failures, str(docs) if docs.exists() else None


def validate_table(sqlalchemy_url: str, schema: str, table: str, expectations: list) -> list[str]:
    """Validate one table with an ephemeral context: failures in plain words (tests, ad hoc)."""
    os.environ.setdefault("TQDM_DISABLE", "1")
    import great_expectations as gx

    context = gx.get_context(mode="ephemeral")
    source = context.data_sources.add_sql(name="adhoc", connection_string=sqlalchemy_url)
    asset = source.add_table_asset(table, table_name=table, schema_name=schema)
    batch = asset.add_batch_definition_whole_table("all").get_batch()
    suite = gx.ExpectationSuite(name=f"adhoc.{table}", expectations=expectations)
    result = batch.validate(suite, result_format="SUMMARY")
    return [_describe(item) for item in result.results if not item.success]
