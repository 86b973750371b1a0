"""Great Expectations suites of each layer, run over per-month tables, with Data Docs.

The file context lives in expectations/gx and is committed: the data source reaches the
warehouse through an environment variable, the assets are fixed tables in schema `quality`
refilled with the run's month before validating, and no suite mentions a month (the billing
table computes `dos_in_service_month` instead of the suite holding the month's dates). A suite,
validation definition or checkpoint is written only when its content differs from the stored
one, ids aside, so a run leaves the committed files byte for byte as they were; results and
Data Docs go to the ignored `uncommitted/`. GX 1.24's `add_postgres` rejects the embedded
server's Unix-socket URL; `add_sql` with the same SQLAlchemy URL works.

The month is copied out rather than shown through a view: GX runs a query per expectation,
and over a view each one filtered years of history for the month again (with 24 months
loaded, the raw suites took twice as long as on an empty warehouse).

GX pitfalls handled here: blank account numbers are turned into NULL in the tables (DE-27);
an empty batch passes every column expectation vacuously, so each suite of a kind that must
have rows starts with a row count (DE-28, `min_rows` in config/quality.yml); an expectation
that raises is reported as failed with its reason instead of being dropped; unexpected lists
are truncated by GX, so the SQL rules (rules.py) carry the complete list of offenders.
"""

from __future__ import annotations

import json
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
    min_rows,
    quality_config,
    staff_role_values,
)
from orchestration.lib.raw_tables import KIND_COLUMNS, REPORT_KINDS
from orchestration.settings import project_paths

log = logging.getLogger(__name__)

DATA_SOURCE = "ccm_warehouse"
URL_VARIABLE = "CCM_GX_WAREHOUSE_URL"
MONTH_SCHEMA = "quality"
BILLED_CODES = ["99490", "G2058", "99439", "99491", "99437", "99487", "99489", "G0511"]
ROW_COUNT = "expect_table_row_count_to_be_between"


@dataclass
class GxOutcome:
    failures: list[str] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
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
        if column == MINUTE_COLUMNS.get(kind):
            return f"nullif(btrim({column}), '') as {column}"
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


def month_selects(layer: str, month: date) -> dict[str, str]:
    """Table name → select of the month's rows, for the layer's suites."""
    if layer == "raw":
        views = {f"raw_{kind}": _raw_view_sql(kind) for kind in REPORT_KINDS}
    else:
        views = {
            "stg_ecw__ccm_enabled": "select * from staging.stg_ecw__ccm_enabled "
            "where service_month = '{month}'",
            # The month's bounds live here, not in the suite, so the suite never changes.
            "fct_ccm_billing": "select *, coalesce(date_trunc('month', date_of_service)::date "
            "= service_month, false) as dos_in_service_month from marts_build.fct_ccm_billing "
            "where service_month = '{month}'",
        }
    return {name: sql.format(month=month.isoformat()) for name, sql in views.items()}


def whole_number_up_to(top: int) -> str:
    """A regex for the whole numbers 0..top (leading zeros allowed, as the SQL rule casts
    them): any shorter number, then top's digits fixed one place at a time."""
    digits = str(top)

    def any_digits(count: int) -> str:
        return "" if count == 0 else r"\d" if count == 1 else rf"\d{{{count}}}"

    ranges = [r"\d" if len(digits) == 2 else rf"\d{{1,{len(digits) - 1}}}"] if top >= 10 else []
    for place, digit in enumerate(digits):
        lowest = 1 if place == 0 and top >= 10 else 0
        if int(digit) > lowest:
            below = str(lowest) if int(digit) - 1 == lowest else f"[{lowest}-{int(digit) - 1}]"
            ranges.append(digits[:place] + below + any_digits(len(digits) - place - 1))
    ranges.append(digits)
    return f"^0*({'|'.join(ranges)})$"


def suites(layer: str) -> dict[str, list]:
    """View name → expectations of the layer; the same for every month."""
    import great_expectations.expectations as gxe

    config = quality_config()
    top = int(config["max_minutes_per_entry"])
    suites: dict[str, list] = {}
    if layer == "raw":
        for kind in REPORT_KINDS:
            expectations = []
            if fewest := min_rows(kind, config):
                expectations.append(gxe.ExpectTableRowCountToBeBetween(min_value=fewest))
            expectations.append(gxe.ExpectColumnValuesToNotBeNull(column="patient_acct_no"))
            if kind in MINUTE_COLUMNS:
                expectations.append(
                    gxe.ExpectColumnValuesToMatchRegex(
                        column=MINUTE_COLUMNS[kind], regex=whole_number_up_to(top)
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
    suites["stg_ecw__ccm_enabled"] = [
        gxe.ExpectCompoundColumnsToBeUnique(column_list=["service_month", "patient_acct_no"]),
        gxe.ExpectColumnValuesToMatchRegex(column="patient_acct_no", regex=account_pattern()),
    ]
    suites["fct_ccm_billing"] = [
        # Codes look like numbers, not dates; distinct-values-in-set compares them as text on
        # Postgres in GX 1.24 (DE-23, tests/quality/test_suites.py).
        gxe.ExpectColumnDistinctValuesToBeInSet(column="cpt_code", value_set=BILLED_CODES),
        gxe.ExpectColumnValuesToBeInSet(column="dos_in_service_month", value_set=[True]),
        gxe.ExpectColumnValuesToNotBeNull(column="consent_date"),
        gxe.ExpectColumnValuesToBeBetween(column="units", min_value=1, max_value=2),
    ]
    return suites


def _describe(result) -> str:
    config = result.expectation_config
    kwargs = {k: v for k, v in config.kwargs.items() if k not in ("batch_id", "value_set")}
    where = f" on {kwargs.pop('column')}" if "column" in kwargs else ""
    text = f"GX {config.type}{where}" + (f" {kwargs}" if kwargs else "")
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
    views = month_selects(layer, month)
    with conn.transaction():
        conn.execute(f"create schema if not exists {MONTH_SCHEMA}")
        for name, sql in views.items():
            _refill(conn, name, sql)
        absent = _suites_without_a_report(conn, month) if layer == "raw" else set()
    try:
        result = _validate(layer, month, sqlalchemy_url, run_id, list(views))
    except Exception as exc:  # noqa: BLE001 - GX itself failing must fail the check, readably
        outcome.failures.append(f"GX could not run the {layer} suites: {exc}".splitlines()[0])
        return outcome
    for validation in result.run_results.values():
        for item in validation.results:
            outcome.evaluated += 1
            if item.success:
                continue
            line = f"{validation.suite_name}: {_describe(item)}"
            # The SQL row-count rule lets a month run without a report of a kind (unless
            # require_every_kind); GX sees only an empty table, so its count is a note there.
            if validation.suite_name in absent and item.expectation_config.type == ROW_COUNT:
                outcome.notes.append(f"{line} (no report this month)")
            else:
                outcome.failures.append(line)
    docs = gx_root() / "gx" / "uncommitted" / "data_docs" / "local_site" / "index.html"
    outcome.docs = str(docs) if docs.exists() else None
    return outcome


def _refill(conn, name: str, sql: str) -> None:
    """`quality.<name>` made a fresh table of the month's rows, with statistics."""
    (kind,) = conn.execute(
        "select coalesce((select c.relkind from pg_class c join pg_namespace n "
        "on n.oid = c.relnamespace where n.nspname = %s and c.relname = %s), '')",
        (MONTH_SCHEMA, name),
    ).fetchone()
    # A warehouse checked before the tables were introduced holds views of these names.
    if kind == "v":
        conn.execute(f"drop view {MONTH_SCHEMA}.{name}")
    elif kind:
        conn.execute(f"drop table {MONTH_SCHEMA}.{name}")
    # Unlogged: a copy for one validation, rebuilt by the next; a crash may empty it.
    conn.execute(f"create unlogged table {MONTH_SCHEMA}.{name} as {sql}")
    conn.execute(f"analyze {MONTH_SCHEMA}.{name}")


def _suites_without_a_report(conn, month: date) -> set[str]:
    if quality_config()["require_every_kind"]:
        return set()
    loaded = {
        kind
        for (kind,) in conn.execute(
            "select distinct report_kind from raw.file_loads "
            "where status = 'current' and service_month = %s",
            (month,),
        ).fetchall()
    }
    return {f"raw.raw_{kind}" for kind in REPORT_KINDS if kind not in loaded}


def _validate(layer: str, month: date, sqlalchemy_url: str, run_id: str, names: list[str]):
    warnings.filterwarnings("ignore", module=r"great_expectations\b")
    import great_expectations as gx
    from great_expectations.checkpoint import UpdateDataDocsAction

    os.environ[URL_VARIABLE] = sqlalchemy_url
    context = gx.get_context(mode="file", project_root_dir=str(gx_root()))
    source = _data_source(context)
    expectations = suites(layer)
    definitions = []
    for name in names:
        suite = _stored_suite(
            context, gx.ExpectationSuite(name=f"{layer}.{name}", expectations=expectations[name])
        )
        definitions.append(
            _stored_validation(
                context,
                gx.ValidationDefinition(
                    name=f"{layer}.{name}", data=_batch(source, name), suite=suite
                ),
            )
        )
    checkpoint = _stored_checkpoint(
        context,
        gx.Checkpoint(
            name=f"{layer}_month",
            validation_definitions=definitions,
            actions=[UpdateDataDocsAction(name="data_docs")],
            result_format={"result_format": "SUMMARY"},
        ),
    )
    return checkpoint.run(run_id=gx.RunIdentifier(run_name=f"{run_id}:{month:%Y-%m}"))


def _data_source(context):
    try:
        return context.data_sources.get(DATA_SOURCE)
    except KeyError:  # a fresh context: the committed one already holds it
        return context.data_sources.add_sql(
            name=DATA_SOURCE, connection_string="${" + URL_VARIABLE + "}"
        )


def _batch(source, name: str):
    """The table's whole-table batch, added to great_expectations.yml only when missing."""
    try:
        asset = source.get_asset(name)
    except LookupError:
        asset = source.add_table_asset(name, table_name=name, schema_name=MONTH_SCHEMA)
    try:
        return asset.get_batch_definition("month")
    except KeyError:
        return asset.add_batch_definition_whole_table("month")


# GX's own add_or_update writes every object on every call, with fresh expectation ids: the
# committed files would change on each run. These write only when the content differs.


def _stored_suite(context, suite):
    from great_expectations.exceptions import DataContextError

    try:
        stored = context.suites.get(suite.name)
    except DataContextError:
        return context.suites.add(suite)
    if _suite_content(stored) == _suite_content(suite):
        return stored
    # An expectation that did not change keeps its id, so the file's diff shows the change.
    kept = {_expectation_content(e): e.id for e in stored.expectations}
    for expectation in suite.expectations:
        expectation.id = kept.get(_expectation_content(expectation))
    log.info("GX suite %s changed; stored anew", suite.name)
    return context.suites.add_or_update(suite)


def _expectation_content(expectation) -> str:
    body = {k: v for k, v in expectation.configuration.to_json_dict().items() if k != "id"}
    return json.dumps(body, sort_keys=True, default=str)


def _suite_content(suite) -> tuple:
    meta = {k: v for k, v in (suite.meta or {}).items() if k != "great_expectations_version"}
    return (
        json.dumps(meta, sort_keys=True, default=str),
        suite.notes,
        tuple(_expectation_content(e) for e in suite.expectations),
    )


def _stored_validation(context, definition):
    from great_expectations.exceptions import DataContextError

    try:
        stored = context.validation_definitions.get(definition.name)
    except DataContextError:
        return context.validation_definitions.add(definition)
    if _references(stored) == _references(definition):
        return stored
    log.info("GX validation definition %s changed; stored anew", definition.name)
    definition.id = stored.id
    definition.save()
    return definition


def _references(definition) -> tuple:
    """What a validation definition points at: ids here are the referenced objects' own."""
    batch = definition.batch_definition
    asset = batch.data_asset
    return (
        (asset.datasource.name, str(asset.datasource.id)),
        (asset.name, str(asset.id)),
        (batch.name, str(batch.id)),
        (definition.suite.name, str(definition.suite.id)),
    )


def _stored_checkpoint(context, checkpoint):
    from great_expectations.exceptions import DataContextError

    try:
        stored = context.checkpoints.get(checkpoint.name)
    except DataContextError:
        return context.checkpoints.add(checkpoint)
    if _checkpoint_content(stored) == _checkpoint_content(checkpoint):
        return stored
    log.info("GX checkpoint %s changed; stored anew", checkpoint.name)
    checkpoint.id = stored.id
    checkpoint.save()
    return checkpoint


def _checkpoint_content(checkpoint) -> str:
    body = json.loads(checkpoint.json())
    body.pop("id", None)
    return json.dumps(body, sort_keys=True)


def validate_table(sqlalchemy_url: str, schema: str, table: str, expectations: list) -> list[str]:
    """Validate one table with an ephemeral context: failures in plain words (tests, ad hoc)."""
    import great_expectations as gx

    context = gx.get_context(mode="ephemeral")
    source = context.data_sources.add_sql(name="adhoc", connection_string=sqlalchemy_url)
    asset = source.add_table_asset(table, table_name=table, schema_name=schema)
    batch = asset.add_batch_definition_whole_table("all").get_batch()
    suite = gx.ExpectationSuite(name=f"adhoc.{table}", expectations=expectations)
    result = batch.validate(suite, result_format="SUMMARY")
    return [_describe(item) for item in result.results if not item.success]
