"""Build the `--vars` payload for one dbt run: the service month plus the policy in force.

dbt_ccm/dbt_project.yml declares one var per key of config/policy.yml with the same default;
these helpers pass the practice's policy through unchanged, so a month's marts always reflect
the policy of the run that built them. An unknown key is an error rather than a silent no-op:
a misspelt switch (`exclude_tcms: false`) must not quietly bill with the default.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date
from typing import Any

# Every policy key dbt understands (config/policy.yml), mirrored in dbt_project.yml `vars:`.
POLICY_KEYS: frozenset[str] = frozenset(
    {
        "policy_family",
        "dos_policy",
        "exclude_home_health",
        "exclude_tcm",
        "exclude_snf",
        "exclude_hospice",
        "tcm_month_scope",
        "billable_payers",
        "facility_type",
        "g0511_last_dos",
        "place_of_service",
        "cap_99437",
        "complex_requires_flag",
        "program",
    }
)


class UnknownPolicyKeyError(ValueError):
    """A policy key that no dbt var reads."""


def month_var(service_month: date) -> str:
    """The `service_month` var: 'YYYY-MM' for the month holding `service_month`."""
    return f"{service_month:%Y-%m}"


def check_policy_keys(policy: Mapping[str, Any]) -> None:
    unknown = sorted(set(policy) - POLICY_KEYS)
    if unknown:
        known = ", ".join(sorted(POLICY_KEYS))
        raise UnknownPolicyKeyError(
            f"unknown policy key(s) {', '.join(unknown)} in config/policy.yml; known keys: {known}"
        )


def policy_value(value: Any) -> Any:
    """A policy value in a JSON-safe form (dates as ISO text, tuples as lists)."""
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, tuple | list | set | frozenset):
        return [policy_value(item) for item in value]
    return value


def dbt_vars_for_month(service_month: date, policy: Mapping[str, Any]) -> dict[str, Any]:
    """The dbt vars for building one service month under `policy` (config/policy.yml)."""
    check_policy_keys(policy)
    result: dict[str, Any] = {"service_month": month_var(service_month)}
    result.update({key: policy_value(value) for key, value in sorted(policy.items())})
    return result
