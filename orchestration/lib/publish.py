"""Publishing a month: copy its rows from `marts_build` into `marts` in one transaction.

dbt builds and tests the marts in `marts_build`. Only when every model and check of the month
passed are the month's rows swapped into `marts`, the schema Tableau and the exports read.
Readers see either the previous month or the new one, never a mix: the delete and insert of
every table commit together, and a run killed before the commit changes nothing.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import date

import psycopg
from psycopg import sql

log = logging.getLogger(__name__)

BUILD_SCHEMA = "marts_build"
PUBLISHED_SCHEMA = "marts"

# Every mart holds all months side by side, keyed by service_month.
PUBLISHED_MARTS = (
    "fct_ccm_billing",
    "ccm_review_list",
    "ccm_exclusion_list",
    "te_enabled_patients",
    "te_not_enabled_patients",
    "ccm_month_summary",
    "ccm_provider_code_month",
    "ccm_provider_month_analytics",
    "ccm_worklist_month_to_date",
    "ccm_enrolment_opportunities",
)


# When each month was last published: the Tableau extracts refresh the months whose stamp
# differs from the one they were written from, instead of re-reading every month each run.
PUBLICATIONS_DDL = (
    "create schema if not exists audit",
    """
    create table if not exists audit.mart_publications (
        service_month date primary key,
        published_at timestamptz not null
    )
    """,
)


def publication_stamps(conn: psycopg.Connection) -> dict[date, str]:
    """Each published month and the stamp of its latest publication."""
    if conn.execute("select to_regclass('audit.mart_publications') is null").fetchone()[0]:
        return {}
    rows = conn.execute(
        "select service_month, published_at::text from audit.mart_publications"
    ).fetchall()
    return dict(rows)


@dataclass(frozen=True)
class PublishedTable:
    table: str
    rows: int
    rebuilt: bool  # the published table's columns changed, so it was replaced whole


def _columns(conn: psycopg.Connection, schema: str, table: str) -> list[tuple[str, str]]:
    return conn.execute(
        "select column_name, data_type from information_schema.columns "
        "where table_schema = %s and table_name = %s order by ordinal_position",
        (schema, table),
    ).fetchall()


def publish_month(
    conn: psycopg.Connection, month: date, tables: tuple[str, ...] = PUBLISHED_MARTS
) -> list[PublishedTable]:
    """Swap the month's rows of every mart into `marts`; all tables or none."""
    published: list[PublishedTable] = []
    with conn.transaction():
        conn.execute(f"create schema if not exists {PUBLISHED_SCHEMA}")
        for statement in PUBLICATIONS_DDL:
            conn.execute(statement)
        conn.execute(
            """
            insert into audit.mart_publications (service_month, published_at)
            values (%s, clock_timestamp())
            on conflict (service_month) do update set published_at = excluded.published_at
            """,
            (month,),
        )
        for table in tables:
            build = sql.Identifier(BUILD_SCHEMA, table)
            target = sql.Identifier(PUBLISHED_SCHEMA, table)
            build_columns = _columns(conn, BUILD_SCHEMA, table)
            if not build_columns:
                raise RuntimeError(f"{BUILD_SCHEMA}.{table} does not exist: nothing to publish")
            rebuilt = _columns(conn, PUBLISHED_SCHEMA, table) != build_columns
            if rebuilt:
                # A new release changed the mart's columns: the build schema holds every month
                # built since, so the published table is replaced by it whole.
                conn.execute(sql.SQL("drop table if exists {}").format(target))
                conn.execute(
                    sql.SQL("create table {} (like {} including all)").format(target, build)
                )
                conn.execute(sql.SQL("insert into {} select * from {}").format(target, build))
            else:
                # With months of history the delete would read the whole table without it;
                # a table published before the index existed gains it here.
                conn.execute(
                    sql.SQL("create index if not exists {} on {} (service_month)").format(
                        sql.Identifier(f"{table}_service_month_idx"), target
                    )
                )
                conn.execute(
                    sql.SQL("delete from {} where service_month = %s").format(target), (month,)
                )
                conn.execute(
                    sql.SQL("insert into {} select * from {} where service_month = %s").format(
                        target, build
                    ),
                    (month,),
                )
            (rows,) = conn.execute(
                sql.SQL("select count(*) from {} where service_month = %s").format(target),
                (month,),
            ).fetchone()
            published.append(PublishedTable(table, int(rows), rebuilt))
    log.info(
        "published %s: %s", f"{month:%Y-%m}", ", ".join(f"{p.table}={p.rows}" for p in published)
    )
    return published
