"""The month's quality rules as SQL that lists every offending row.

Great Expectations truncates its lists of unexpected values and cannot name the source file
and row of a raw value, so each rule here is one query returning ALL offenders as
(file, row, column, value). Values of identifying columns (account number, name, birth date)
are never returned: the file and row find them.
"""

from __future__ import annotations

import csv
from collections.abc import Callable
from concurrent.futures import Future, ThreadPoolExecutor
from contextlib import AbstractContextManager
from dataclasses import dataclass
from datetime import date
from functools import cache

from orchestration.lib.raw_tables import KIND_COLUMNS, PATIENT_LIST_COLUMNS, REPORT_KINDS
from orchestration.settings import load_yaml, project_paths, reports_config

IDENTIFYING_COLUMNS = frozenset({"patient_acct_no", "patient_name", "dob"})
WITHHELD = "(withheld)"

# ISO date as the readers write it; anything else is a reader fault or a hand-edited table.
# Month and day are bounded here, the day against the month's length in `valid_date_sql`.
ISO_DATE = r"^[1-9]\d{3}-(0[1-9]|1[0-2])-(0[1-9]|[12]\d|3[01])$"
WHOLE_NUMBER = r"^\d+$"
# ICD-10-CM: letter, digit, digit-or-letter, then an optional dot and up to four more.
ICD10 = r"^[A-Z][0-9][0-9A-Z](\.[0-9A-Z]{1,4})?$"

# The time-entry date of each kind that must fall in the service month (or a neighbour, R9.7).
ENTRY_DATE = {"practice_minutes": "activity_date", "telephone_encounters": "encounter_date"}
OTHER_DATES = {
    "ccm_enabled": ("consent_date", "ccm_end_date", "date_of_death", "dob"),
    "ccm_not_enabled": ("dob",),
    "ccm_not_eligible": ("dob",),
    "exclusions": ("service_date", "service_end_date", "dob"),
    "vendor_billing": ("consent_date", "reported_month"),
}
MINUTE_COLUMNS = {
    "practice_minutes": "minutes",
    "telephone_encounters": "minutes",
    "vendor_billing": "total_minutes",
}
ROLE_COLUMNS = {
    "practice_minutes": "staff_role",
    "telephone_encounters": "staff_role",
    "vendor_billing": "care_manager_role",
}


@dataclass(frozen=True)
class Offender:
    file: str
    row: int | None
    column: str
    value: str | None


@dataclass(frozen=True)
class Rule:
    """One expectation in plain words and the query listing the rows that break it."""

    name: str
    expectation: str
    sql: str
    params: dict
    severity: str = "fail"  # "note": reported, never blocks (the R9.7 neighbour rule)


@dataclass(frozen=True)
class RuleResult:
    rule: Rule
    offenders: tuple[Offender, ...]
    error: str | None = None

    @property
    def passed(self) -> bool:
        return self.error is None and (not self.offenders or self.rule.severity == "note")


# A month may pass without an exclusion or a newly not-eligible patient; every other report
# is broken when it holds no row (DE-28). config/quality.yml `min_rows` overrides per kind.
DEFAULT_MIN_ROWS = {kind: 1 for kind in REPORT_KINDS} | {"exclusions": 0, "ccm_not_eligible": 0}


def quality_config() -> dict:
    defaults = {
        "min_row_share_of_previous_month": 0.5,
        "require_every_kind": False,
        "max_minutes_per_entry": 1440,
        "run_great_expectations": True,
        "min_rows": {},
        "empty_suspect_after_rows": 5,
    }
    path = project_paths().config / "quality.yml"
    return defaults | (load_yaml("quality.yml") if path.exists() else {})


def min_rows(kind: str, config: dict | None = None) -> int:
    """The fewest rows a loaded report of the kind must hold (0: it may be empty)."""
    configured = (config or quality_config()).get("min_rows") or {}
    unknown = sorted(set(configured) - set(REPORT_KINDS))
    if unknown:
        raise ValueError(f"config/quality.yml min_rows names unknown report kinds: {unknown}")
    value = configured.get(kind, DEFAULT_MIN_ROWS[kind])
    if isinstance(value, bool) or not isinstance(value, int) or value < 0:
        raise ValueError(f"config/quality.yml min_rows.{kind} must be a whole number >= 0")
    return value


@cache
def _seed(name: str) -> tuple[dict, ...]:
    path = project_paths().dbt_project / "seeds" / f"{name}.csv"
    with path.open(newline="", encoding="utf-8") as handle:
        return tuple(csv.DictReader(handle))


def staff_role_values() -> list[str]:
    return sorted({row["role_alias"].upper() for row in _seed("staff_roles")})


def exclusion_type_values() -> list[str]:
    return sorted({row["match_value"].upper() for row in _seed("exclusion_types")})


def exclusion_code_values() -> list[str]:
    return sorted(
        {
            row["match_value"].upper()
            for row in _seed("exclusion_types")
            if row["match_kind"] == "CODE"
        }
    )


def required_columns(kind: str) -> list[str]:
    """Canonical required columns of a kind; first/last name count as `patient_name`."""
    names = reports_config()["kinds"][kind].get("required", [])
    mapped = ["patient_name" if n in ("first_name", "last_name") else n for n in names]
    return [n for n in dict.fromkeys(mapped) if n in KIND_COLUMNS[kind]]


def account_pattern() -> str:
    width = int(reports_config().get("account_number_width", 8) or 0)
    return rf"^\d{{{width}}}$" if width else r"^\d+$"


def _raw_source(kind: str) -> str:
    return (
        f"with src as (select l.file_name, r.* from raw.{kind} as r "
        "join raw.file_loads as l on l.load_id = r.load_id "
        "where l.status = 'current' and r.service_month = %(month)s)"
    )


def valid_date_sql(column: str) -> str:
    """True when the trimmed column is a real calendar date in ISO form, else false (not null).

    pg_input_is_valid would do this in one call but needs PostgreSQL 16, and the product runs
    on 14+. CASE, unlike AND, guarantees the casts only ever see text that matched the pattern.
    """
    value = f"btrim({column})"
    month_start = f"make_date(substr({value}, 1, 4)::integer, substr({value}, 6, 2)::integer, 1)"
    return (
        f"(case when {value} ~ '{ISO_DATE}' then substr({value}, 9, 2)::integer "
        f"<= extract(day from {month_start} + interval '1 month - 1 day') else false end)"
    )


def _value(column: str) -> str:
    return f"'{WITHHELD}'" if column in IDENTIFYING_COLUMNS else column


def _offenders_sql(kind: str, column: str, condition: str) -> str:
    return (
        f"{_raw_source(kind)} select file_name, source_row, '{column}', {_value(column)} "
        f"from src where {condition} order by file_name, source_row"
    )


def raw_rules(kind: str, month: date) -> list[Rule]:
    """Rules over the month's rows of the current load(s) of one report kind."""
    config = quality_config()
    params: dict = {"month": month}
    rules: list[Rule] = []
    rules.append(
        Rule(
            "account_number_present",
            "account number present (a blank or spaces count as missing, DE-27)",
            _offenders_sql(kind, "patient_acct_no", "nullif(btrim(patient_acct_no), '') is null"),
            params,
        )
    )
    for column in required_columns(kind):
        # A required column blank on every row was not in the file (or not recognised): a
        # blank cell in a filled column is the review list's business, not the load's.
        rules.append(
            Rule(
                f"{column}_column_present",
                f"required column {column} present with values",
                f"{_raw_source(kind)} select string_agg(distinct file_name, ', '), null::integer,"
                f" '{column}', '(every row blank)' from src having count(*) > 0 "
                f"and count(nullif(btrim({column}), '')) = 0",
                params,
            )
        )
    dates = [c for c in (ENTRY_DATE.get(kind), *OTHER_DATES.get(kind, ())) if c]
    for column in dates:
        rules.append(
            Rule(
                f"{column}_is_a_date",
                f"{column} is a date (YYYY-MM-DD)",
                _offenders_sql(
                    kind,
                    column,
                    f"nullif(btrim({column}), '') is not null and not {valid_date_sql(column)}",
                ),
                params,
            )
        )
    if kind in ENTRY_DATE:
        column = ENTRY_DATE[kind]
        # A date that does not parse is the rule above's offender, not this one's.
        valid = (
            f"(case when {valid_date_sql(column)} "
            f"then date_trunc('month', btrim({column})::date)::date end)"
        )
        rules.append(
            Rule(
                f"{column}_in_service_month",
                f"{column} within the service month or a neighbouring month (R9.7)",
                _offenders_sql(
                    kind,
                    column,
                    f"{valid} not between (%(month)s::date - interval '1 month')::date "
                    "and (%(month)s::date + interval '1 month')::date",
                ),
                params,
            )
        )
        rules.append(
            Rule(
                f"{column}_in_neighbour_month",
                f"{column} in a neighbouring month: counts in its own month (R9.7), noted",
                _offenders_sql(
                    kind,
                    column,
                    f"{valid} <> %(month)s::date and {valid} between "
                    "(%(month)s::date - interval '1 month')::date "
                    "and (%(month)s::date + interval '1 month')::date",
                ),
                params,
                severity="note",
            )
        )
    if kind in MINUTE_COLUMNS:
        column = MINUTE_COLUMNS[kind]
        top = int(config["max_minutes_per_entry"])
        rules.append(
            Rule(
                f"{column}_whole_0_to_{top}",
                f"{column} a whole number from 0 to {top}",
                _offenders_sql(
                    kind,
                    column,
                    f"nullif(btrim({column}), '') is not null and case when btrim({column}) "
                    f"~ '{WHOLE_NUMBER}' and length(btrim({column})) <= 6 "
                    f"then btrim({column})::integer > {top} else true end",
                ),
                params,
            )
        )
    if kind in ROLE_COLUMNS:
        column = ROLE_COLUMNS[kind]
        rules.append(
            Rule(
                f"{column}_in_staff_roles",
                f"{column} one of the staff roles in seeds/staff_roles.csv",
                _offenders_sql(
                    kind,
                    column,
                    f"nullif(btrim({column}), '') is not null "
                    f"and upper(btrim({column})) <> all(%(roles)s)",
                ),
                params | {"roles": staff_role_values()},
            )
        )
    if kind == "exclusions":
        rules.append(
            Rule(
                "exclusion_type_in_set",
                "exclusion_type one of the types or codes in seeds/exclusion_types.csv",
                _offenders_sql(
                    kind,
                    "exclusion_type",
                    "nullif(btrim(exclusion_type), '') is not null "
                    "and upper(btrim(exclusion_type)) <> all(%(types)s)",
                ),
                params | {"types": exclusion_type_values()},
            )
        )
        rules.append(
            Rule(
                "cpt_code_in_set",
                "cpt_code one of the exclusion codes in seeds/exclusion_types.csv",
                _offenders_sql(
                    kind,
                    "cpt_code",
                    "nullif(btrim(cpt_code), '') is not null "
                    "and upper(btrim(cpt_code)) <> all(%(codes)s)",
                ),
                params | {"codes": exclusion_code_values()},
            )
        )
    rules.append(_row_count_rule(kind, month, config))
    if not config["require_every_kind"]:
        rules.append(
            Rule(
                "report_present",
                f"the month's {kind} report (the month runs without it: require_every_kind is off)",
                f"select '(no {kind} report)', null::integer, '(file)', '(none)' "
                "where not exists (select 1 from raw.file_loads "
                f"where report_kind = '{kind}' and status = 'current' "
                "and service_month = %(month)s)",
                params,
                severity="note",
            )
        )
    return rules


def _row_count_rule(kind: str, month: date, config: dict) -> Rule:
    """The kind's minimum rows, and not far below last month: a header-only file fails (DE-28).

    A kind allowed to be empty may be empty after a quiet month, but not after a month with at
    least `empty_suspect_after_rows` rows: an exclusion list that drops from a dozen rows to none
    is far likelier a broken export than a month without hospice or TCM, and billing from it
    would bill excluded patients.
    """
    share = float(config["min_row_share_of_previous_month"] or 0)
    suspect = int(config["empty_suspect_after_rows"])
    require = bool(config["require_every_kind"])
    fewest = min_rows(kind, config)
    sql = f"""
        with loads as (
            select file_name, service_month, rows_loaded from raw.file_loads
            where report_kind = '{kind}' and status = 'current'
                and service_month in (%(month)s, (%(month)s::date - interval '1 month')::date)
        ),
        this_month as (
            select string_agg(file_name, ', ' order by file_name) as files,
                count(*) as loads,
                (select count(*) from raw.{kind}
                    where service_month = %(month)s
                        and load_id in (select load_id from raw.file_loads
                            where report_kind = '{kind}' and status = 'current')) as n
            from loads where service_month = %(month)s
        ),
        previous as (
            select coalesce(sum(rows_loaded), 0) as n from loads
            where service_month <> %(month)s
        )
        select coalesce(this_month.files, '(no {kind} report)'), null::integer,
            '(row count)', this_month.n || ' rows; previous month ' || previous.n
        from this_month cross join previous
        where (this_month.loads > 0 or %(require)s)
            and (this_month.loads = 0 or this_month.n < %(fewest)s
                or (this_month.n < %(share)s * previous.n
                    and (this_month.n > 0 or previous.n >= %(suspect)s)))
    """
    if fewest == 0:
        words = "any number of rows (min_rows 0 in config/quality.yml)"
        words += (
            f"; at least {share:.0%} of last month's rows when not empty, and not empty after "
            f"a month of {suspect} or more rows"
            if share
            else ""
        )
    else:
        words = "at least one row" if fewest == 1 else f"at least {fewest} rows"
        words += f" and at least {share:.0%} of the previous month's rows" if share else ""
    words += "; a report every month (require_every_kind)" if require else ""
    params = {
        "month": month,
        "share": share,
        "require": require,
        "fewest": fewest,
        "suspect": suspect,
    }
    return Rule("row_count", words, sql, params)


STAGING_KEYS = {
    "stg_ecw__ccm_enabled": ("service_month", "patient_acct_no"),
    "stg_ecw__patients": ("service_month", "list_status", "patient_acct_no"),
    "stg_ecw__telephone_encounters": ("service_month", "encounter_id"),
    "stg_vendor__monthly_report": ("load_id", "sheet_name", "source_row"),
    "stg_ecw__practice_minutes": ("load_id", "sheet_name", "source_row"),
    "stg_ecw__exclusions": ("load_id", "sheet_name", "source_row"),
}
STAGING_ICD_COLUMNS = {
    "stg_ecw__telephone_encounters": "icd_codes",
    "stg_ecw__patients": "chronic_conditions",
}


def _staging_source(model: str) -> str:
    return (
        f"with src as (select l.file_name, s.* from staging.{model} as s "
        "left join raw.file_loads as l on l.load_id = s.load_id "
        "where s.service_month = %(month)s)"
    )


def staging_rules(month: date) -> list[Rule]:
    params = {"month": month, "pattern": account_pattern()}
    rules: list[Rule] = []
    for model, key in STAGING_KEYS.items():
        cols = ", ".join(key)
        shown = "key" if "patient_acct_no" in key else cols
        rules.append(
            Rule(
                f"{model}__key_unique",
                f"{model}: one row per {cols}",
                f"{_staging_source(model)}, dup as (select {cols} from src "
                f"where {' and '.join(f'{c} is not null' for c in key)} "
                f"group by {cols} having count(*) > 1) "
                f"select src.file_name, src.source_row, '{shown}', "
                f"{WITHHELD!r} from src join dup using ({cols}) "
                "order by src.file_name, src.source_row",
                params,
            )
        )
        rules.append(
            Rule(
                f"{model}__account_format",
                f"{model}: account number matches {params['pattern']} "
                "(account_number_width in config/reports.yml)",
                f"{_staging_source(model)} select file_name, source_row, 'patient_acct_no', "
                f"{WITHHELD!r} from src where patient_acct_no is not null "
                "and patient_acct_no !~ %(pattern)s order by file_name, source_row",
                params,
            )
        )
    for model, column in STAGING_ICD_COLUMNS.items():
        rules.append(
            Rule(
                f"{model}__icd10_well_formed",
                f"{model}: every code in {column} is a well-formed ICD-10-CM code",
                f"{_staging_source(model)} select file_name, source_row, '{column}', code "
                f"from src cross join lateral unnest(string_to_array({column}, ';')) as code "
                f"where btrim(code) <> '' and btrim(code) !~ '{ICD10}' "
                "order by file_name, source_row",
                params,
            )
        )
    return rules


def _billing_source() -> str:
    # Rows are numbered as the export sorts them (account, code), so "row N" is line N + 1 of
    # ccm_billing_YYYY-MM.csv: a biller finds the line without an account number in the log.
    # What a rule needs of a line's patient-month (its codes, how many families) comes from
    # window functions here: a subquery reading `bill` again per line ran in time quadratic in
    # the month's lines, an hour for a health system's hundred thousand.
    return (
        "with bill as (select b.*, row_number() over (order by b.patient_acct_no, b.cpt_code) "
        "as line, array_agg(b.cpt_code) over patient as patient_codes, "
        "coalesce(min(b.family) over patient <> max(b.family) over patient, false) "
        "as several_families "
        "from marts_build.fct_ccm_billing as b where b.service_month = %(month)s "
        "window patient as (partition by b.patient_acct_no)), "
        "codes as (select distinct cpt_code, code_role, base_code, max_units, threshold_minutes, "
        "increment_minutes, effective_from, effective_to from reference.ccm_codes)"
    )


def _billing_rule(name: str, words: str, column: str, value: str, condition: str) -> Rule:
    return Rule(
        name,
        words,
        f"{_billing_source()} select 'marts_build.fct_ccm_billing', line::integer, "
        f"'{column}', ({value})::text from bill where {condition} order by line",
        {"month": None},
    )


def marts_rules(month: date) -> list[Rule]:
    rules = [
        _billing_rule(
            "add_on_has_base",
            "every add-on code is billed with its base code for the same patient-month",
            "cpt_code",
            "cpt_code",
            "exists (select 1 from codes where codes.cpt_code = bill.cpt_code "
            "and codes.code_role = 'add_on') and not exists (select 1 from codes "
            "where codes.cpt_code = bill.cpt_code and codes.base_code = any(bill.patient_codes))",
        ),
        _billing_rule(
            "one_family_per_patient_month",
            "one code family per patient-month",
            "family",
            "family",
            "several_families",
        ),
        _billing_rule(
            "units_within_cap",
            "units between 1 and the code's cap (seeds/ccm_codes.csv max_units)",
            "units",
            "units",
            "units < 1 or units > (select max(max_units) from codes "
            "where codes.cpt_code = bill.cpt_code)",
        ),
        _billing_rule(
            "no_excluded_patient_billed",
            "no patient billed in a month an applied exclusion covers",
            "patient_acct_no",
            f"{WITHHELD!r}",
            "exists (select 1 from marts_build.ccm_exclusion_list as x "
            "where x.service_month = %(month)s and x.service_month = bill.service_month "
            "and x.patient_acct_no = bill.patient_acct_no and x.applied)",
        ),
        _billing_rule(
            "billed_patient_enabled",
            "every billed patient is on the month's CCM-enabled list",
            "patient_acct_no",
            f"{WITHHELD!r}",
            "not exists (select 1 from staging.stg_ecw__ccm_enabled as e "
            "where e.service_month = %(month)s and e.service_month = bill.service_month "
            "and e.patient_acct_no = bill.patient_acct_no)",
        ),
        _billing_rule(
            "consent_before_service",
            "consent on file on or before the date of service",
            "consent_date",
            "consent_date",
            "consent_date is null or consent_date > date_of_service",
        ),
        _billing_rule(
            "date_of_service_in_month",
            "date of service inside the service month",
            "date_of_service",
            "date_of_service",
            "date_trunc('month', date_of_service)::date <> service_month",
        ),
        _billing_rule(
            "minutes_meet_threshold",
            "qualifying minutes reach the code's threshold (base, plus each add-on unit)",
            "qualifying_minutes",
            "qualifying_minutes",
            "qualifying_minutes < (select max(case when c.code_role = 'add_on' "
            "then coalesce(b.threshold_minutes, 0) + bill.units * c.increment_minutes "
            "else c.threshold_minutes end) from codes as c "
            "left join codes as b on b.cpt_code = c.base_code "
            "and bill.date_of_service between b.effective_from "
            "and coalesce(b.effective_to, '9999-12-31') "
            "where c.cpt_code = bill.cpt_code and bill.date_of_service between "
            "c.effective_from and coalesce(c.effective_to, '9999-12-31'))",
        ),
    ]
    return [Rule(r.name, r.expectation, r.sql, {"month": month}) for r in rules]


def start_rules(
    pool: ThreadPoolExecutor, connect: Callable[[], AbstractContextManager], rules: list[Rule]
) -> list[Future]:
    """Each rule started on a connection of its own, as many at once as the pool has workers;
    each future gives the rule's one RuleResult.

    A month's checks read its million-row tables once per rule; run one after another they
    left the second core idle while the server scanned on the first.
    """

    def run(rule: Rule) -> RuleResult:
        with connect() as conn:
            return run_rules(conn, [rule])[0]

    return [pool.submit(run, rule) for rule in rules]


def run_rules(conn, rules: list[Rule]) -> list[RuleResult]:
    """Run each rule alone: one broken rule (a missing column) is reported, not fatal."""
    results = []
    for rule in rules:
        try:
            with conn.transaction():
                rows = conn.execute(rule.sql, rule.params).fetchall()
        except Exception as exc:  # noqa: BLE001 - any failure of a rule is a failed check
            reason = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
            results.append(RuleResult(rule, (), error=reason))
            continue
        offenders = tuple(Offender(r[0], r[1], r[2], r[3]) for r in rows)
        results.append(RuleResult(rule, offenders))
    return results


__all__ = [
    "PATIENT_LIST_COLUMNS",
    "REPORT_KINDS",
    "Offender",
    "Rule",
    "RuleResult",
    "marts_rules",
    "min_rows",
    "quality_config",
    "raw_rules",
    "run_rules",
    "staging_rules",
    "start_rules",
]
