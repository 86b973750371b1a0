"""The month's headline numbers, from the marts and the load log: counts, never patients."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date

import psycopg

from orchestration.lib.ingest import ENTRY_DATE_COLUMNS
from orchestration.lib.raw_tables import REPORT_KINDS
from orchestration.lib.rebilling import refused_neighbours


@dataclass
class MonthSummary:
    service_month: date
    patients_billed: int = 0
    patients_by_code: dict[str, int] = field(default_factory=dict)
    units_by_code: dict[str, int] = field(default_factory=dict)
    not_billed_by_reason: dict[str, int] = field(default_factory=dict)
    rejected_rows: int = 0
    quarantined_files: int = 0
    rows_outside_month: dict[str, int] = field(default_factory=dict)  # by report kind
    missing_kinds: list[str] = field(default_factory=list)  # no current report this month
    # Entries dated in the month that the month before's or after's reports carried (R9.7).
    rows_from_neighbours: dict[str, int] = field(default_factory=dict)  # by report kind
    refused_neighbours: list[str] = field(default_factory=list)  # "YYYY-MM kind" refused

    @property
    def excluded(self) -> int:
        return sum(n for r, n in self.not_billed_by_reason.items() if r.startswith("EXCLUDED"))

    @property
    def under_threshold(self) -> int:
        return self.not_billed_by_reason.get("UNDER_THRESHOLD", 0)

    def lines(self) -> list[str]:
        codes = ", ".join(
            f"{code} {self.patients_by_code[code]}"
            + (
                f" ({self.units_by_code[code]} units)"
                if self.units_by_code[code] != self.patients_by_code[code]
                else ""
            )
            for code in sorted(self.patients_by_code)
        )
        other = {
            reason: n
            for reason, n in self.not_billed_by_reason.items()
            if not reason.startswith("EXCLUDED") and reason != "UNDER_THRESHOLD"
        }
        others = ", ".join(f"{reason.lower()} {n}" for reason, n in sorted(other.items()))
        outside = sum(self.rows_outside_month.values())
        by_kind = _by_kind(self.rows_outside_month)
        carried = sum(self.rows_from_neighbours.values())
        return (
            [
                f"{self.service_month:%Y-%m}: {self.patients_billed} patients billed"
                + (f" — {codes}" if codes else ""),
                f"  excluded {self.excluded}, under threshold {self.under_threshold}"
                + (f", other not billed: {others}" if others else ""),
                f"  rejected rows {self.rejected_rows}, quarantined files {self.quarantined_files}",
                f"  rows dated outside the month {outside}"
                + (f" ({by_kind}), not billed in {self.service_month:%Y-%m}" if outside else ""),
            ]
            + (
                [
                    f"  rows dated in {self.service_month:%Y-%m} from the neighbouring months' "
                    f"reports {carried} ({_by_kind(self.rows_from_neighbours)}), counted here"
                ]
                if carried
                else []
            )
            + [
                f"  warning: the {refused} report was refused; entries it may date in "
                f"{self.service_month:%Y-%m} are not counted (its earlier report is, if any)"
                for refused in self.refused_neighbours
            ]
            + (
                # Allowed (require_every_kind off, or the close day passed) but never quiet: a
                # month billed without the vendor report bills fewer patients than it should.
                [
                    "  INCOMPLETE: billed without this month's "
                    + ", ".join(kind.replace("_", " ") for kind in self.missing_kinds)
                    + " report(s); re-run the month when they arrive"
                ]
                if self.missing_kinds
                else []
            )
        )


def _by_kind(counts: dict[str, int]) -> str:
    return ", ".join(f"{kind.replace('_', ' ')} {n}" for kind, n in sorted(counts.items()))


def month_summary(conn: psycopg.Connection, month: date) -> MonthSummary:
    summary = MonthSummary(service_month=month)
    rows = conn.execute(
        "select cpt_code, count(distinct patient_acct_no), sum(units) "
        "from marts.fct_ccm_billing where service_month = %s group by cpt_code",
        (month,),
    ).fetchall()
    summary.patients_by_code = {code: int(n) for code, n, _ in rows}
    summary.units_by_code = {code: int(units or 0) for code, _, units in rows}
    (summary.patients_billed,) = conn.execute(
        "select count(distinct patient_acct_no) from marts.fct_ccm_billing "
        "where service_month = %s",
        (month,),
    ).fetchone()
    reasons = conn.execute(
        # Only the reasons that kept a patient off the bill: a data-quality flag on a billed
        # patient-month (a probable duplicate, copies that disagree) is not "not billed".
        "select reason_code, count(distinct patient_acct_no) from marts.ccm_review_list "
        "where service_month = %s and blocks_billing group by reason_code",
        (month,),
    ).fetchall()
    summary.not_billed_by_reason = {reason: int(n) for reason, n in reasons}
    (summary.rejected_rows,) = conn.execute(
        "select count(*) from raw.rejected_rows r join raw.file_loads l using (load_id) "
        "where l.status = 'current' and l.service_month = %s",
        (month,),
    ).fetchone()
    # Files of the month refused whole, once per content. A corrected re-drop does not uncount
    # the refused file (its reason file stays in quarantine); the same bytes loading later,
    # after the allowed share of bad rows was raised, does.
    (summary.quarantined_files,) = conn.execute(
        "select count(distinct (report_kind, file_sha256)) from raw.file_loads f "
        "where f.service_month = %s and f.status = 'failed' and not exists ("
        "select 1 from raw.file_loads l where l.service_month = f.service_month "
        "and l.report_kind = f.report_kind and l.file_sha256 = f.file_sha256 "
        "and l.status <> 'failed')",
        (month,),
    ).fetchone()
    for kind, column in ENTRY_DATE_COLUMNS.items():
        # A load's rows carry its month: filtered on it, the month's rows are read through the
        # (service_month, load_id) index, where a filter on the load log alone read every
        # month's rows (8 s for the telephone encounters beside 24 months of history).
        (outside,) = conn.execute(
            f"select count(*) from raw.{kind} r join raw.file_loads l using (load_id) "
            f"where l.status = 'current' and l.service_month = %s and r.service_month = %s "
            f"and r.{column} is not null and left(r.{column}, 7) <> to_char(%s::date, 'YYYY-MM')",
            (month, month, month),
        ).fetchone()
        if outside:
            summary.rows_outside_month[kind] = int(outside)
        # Neighbouring reports hold such rows rarely; their loads say so, and only those are
        # read, through the month index (the months named on the rows as well as the loads).
        (carried,) = conn.execute(
            f"select count(*) from raw.{kind} r join raw.file_loads l using (load_id) "
            f"where l.status = 'current' and l.report_kind = %(kind)s "
            f"and %(month)s::date = any(l.entry_months) and r.service_month = l.service_month "
            f"and r.service_month in ((%(month)s::date - interval '1 month')::date, "
            f"(%(month)s::date + interval '1 month')::date) "
            f"and left(r.{column}, 7) = to_char(%(month)s::date, 'YYYY-MM')",
            {"kind": kind, "month": month},
        ).fetchone()
        if carried:
            summary.rows_from_neighbours[kind] = int(carried)
    summary.refused_neighbours = [refused.label for refused in refused_neighbours(conn, month)]
    present = {
        kind
        for (kind,) in conn.execute(
            "select distinct report_kind from raw.file_loads "
            "where service_month = %s and status = 'current'",
            (month,),
        ).fetchall()
    }
    summary.missing_kinds = [kind for kind in REPORT_KINDS if kind not in present]
    return summary
