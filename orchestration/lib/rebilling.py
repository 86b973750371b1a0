"""Published months that a neighbouring month's report has changed since they were billed.

An entry counts in the month of its own date, whichever report carried it (R9.7), so loading
January's reports can add December minutes, and a corrected January report can take them away.
December's published billing is then out of date although none of December's own files
changed. Each load records the months its entries are dated in (`raw.file_loads.entry_months`);
a month is stale when a load of the month before or after holding its entries was made current,
or was replaced, after the month's last publication. `ccm run` bills such months of its drop
again, `ccm watch` and the sensor request them, and every run names the rest.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

import psycopg

from orchestration.lib.ingest import ENTRY_DATE_COLUMNS


@dataclass(frozen=True)
class StaleMonth:
    service_month: date
    changed_at: str  # the latest change to its entries, a timestamp as text: names the change
    by_report_months: tuple[date, ...]  # the months whose reports changed it


# A load touches a month when it became current holding entries dated in it, and again when a
# newer load replaced it. Only the months next to the report's own are read by a month's build
# (window_file_months), so an entry further away, which the month's checks refuse, touches none.
_STALE_MONTHS_SQL = """
with

entry_loads as (
    select
        loads.service_month as report_month,
        loads.status,
        loads.loaded_at,
        loads.superseded_at,
        entry_month
    from raw.file_loads as loads
    cross join lateral unnest(loads.entry_months) as entry_month
    where
        loads.status in ('current', 'superseded')
        and entry_month <> loads.service_month
        and entry_month between (loads.service_month - interval '1 month')::date
        and (loads.service_month + interval '1 month')::date
),

touches as (
    select report_month, entry_month, loaded_at as touched_at from entry_loads
    union all
    select report_month, entry_month, superseded_at from entry_loads
    where status = 'superseded'
)

select
    publications.service_month,
    max(touches.touched_at)::text,
    array_agg(distinct touches.report_month order by touches.report_month)
from audit.mart_publications as publications
inner join touches
    on
        touches.entry_month = publications.service_month
        and touches.touched_at > publications.published_at
group by publications.service_month
order by publications.service_month
"""


def stale_months(conn: psycopg.Connection) -> list[StaleMonth]:
    """Published months whose entries a neighbouring month's load changed after publishing."""
    (ready,) = conn.execute(
        "select to_regclass('audit.mart_publications') is not null "
        "and to_regclass('raw.file_loads') is not null"
    ).fetchone()
    if not ready:
        return []
    return [
        StaleMonth(month, changed_at, tuple(by_months))
        for month, changed_at, by_months in conn.execute(_STALE_MONTHS_SQL).fetchall()
    ]


def stale_reason(stale: StaleMonth) -> str:
    """Why a month needs billing again, as a billing clerk reads it."""
    reports = ", ".join(f"{month:%Y-%m}" for month in stale.by_report_months)
    month = f"{stale.service_month:%Y-%m}"
    return (
        f"{month} needs billing again: reports of {reports} changed entries dated in {month} "
        "after it was published"
    )


def stale_line(stale: StaleMonth) -> str:
    """The warning for a stale month no run bills again: the reason, and what to run."""
    return f"{stale_reason(stale)} (run `ccm run --month {stale.service_month:%Y-%m}`)"


@dataclass(frozen=True)
class RefusedNeighbour:
    report_month: date
    report_kind: str

    @property
    def label(self) -> str:
        """As a clerk reads it: "2021-01 practice minutes"."""
        return f"{self.report_month:%Y-%m} {self.report_kind.replace('_', ' ')}"


def refused_neighbours(conn: psycopg.Connection, month: date) -> list[RefusedNeighbour]:
    """Reports of the months next to `month` refused after the load the month's build read
    (and not settled by that load's file being dropped again since).

    A refused file's entries are unknown, so some of them may be dated in `month`: the month was
    billed from the earlier report of that kind, which the clerk should know.
    """
    rows = conn.execute(
        """
        select refused.service_month, refused.report_kind
        from raw.file_loads as refused
        where
            refused.status = 'failed'
            and refused.report_kind = any(%(kinds)s)
            and refused.service_month in (
                (%(month)s::date - interval '1 month')::date,
                (%(month)s::date + interval '1 month')::date
            )
            and not exists (
                select 1
                from raw.file_loads as later
                where
                    later.report_kind = refused.report_kind
                    and later.service_month = refused.service_month
                    and later.status in ('current', 'superseded')
                    and greatest(later.loaded_at, later.confirmed_at) > refused.loaded_at
            )
        group by refused.service_month, refused.report_kind
        order by refused.service_month, refused.report_kind
        """,
        {"kinds": list(ENTRY_DATE_COLUMNS), "month": month},
    ).fetchall()
    return [RefusedNeighbour(report_month, kind) for report_month, kind in rows]
