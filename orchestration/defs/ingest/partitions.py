"""Service months: the unit of work for every asset, from ingest to the exported list."""

from __future__ import annotations

import os
from datetime import date

from dagster import MonthlyPartitionsDefinition

# Backfills reach back to the first month the practice wants billed; CCM_RULES covers 2019 on.
FIRST_SERVICE_MONTH = os.environ.get("CCM_FIRST_MONTH", "2019-01")

# end_offset=1 makes the current, still-open month a partition too, so month-to-date runs
# are possible before the month closes.
service_months = MonthlyPartitionsDefinition(
    start_date=f"{FIRST_SERVICE_MONTH}-01", end_offset=1, fmt="%Y-%m-%d"
)


def month_of_partition(partition_key: str) -> date:
    """The first day of the service month a partition key names ('2025-03-01')."""
    return date.fromisoformat(partition_key)


def partition_key_of(month: date) -> str:
    return month.replace(day=1).isoformat()
