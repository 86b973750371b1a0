"""The practice's report contract (config/reports.yml) in the shape the readers use."""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from functools import partial

from orchestration.lib.raw_tables import KIND_COLUMNS
from orchestration.lib.readers import values

# Columns that feed a canonical column but are not stored as themselves.
NAME_PARTS = ("last_name", "first_name")
CALL_TIMES = ("start_time", "end_time")
CODE_LIST_COLUMNS = ("icd_codes", "chronic_conditions")

# `ICD1`..`ICD12`, `Dx 3`, `Diagnosis Code 2`: one code list spread over numbered columns.
NUMBERED_CODE_HEADER = re.compile(r"(?:icd|dx|diag|diagnosis)(?: ?code)? ?(?:#)? ?\d{1,2}")

# The dates that place a row in a month, when nothing else names the file's month.
ROW_DATE_COLUMNS = ("activity_date", "encounter_date", "service_date", "reported_month")

_DATE_COLUMNS = {
    "dob",
    "consent_date",
    "ccm_end_date",
    "date_of_death",
    "service_date",
    "service_end_date",
    "activity_date",
    "encounter_date",
}
_NAME_COLUMNS = {
    "patient_name",
    "staff_name",
    "provider_name",
    "care_manager",
    "billing_provider",
    "last_name",
    "first_name",
}
_PARSERS: dict[str, Callable[[object], str | None]] = {
    **{column: values.parse_date for column in _DATE_COLUMNS},
    **{column: values.parse_name for column in _NAME_COLUMNS},
    **{column: values.parse_icd_codes for column in CODE_LIST_COLUMNS},
    "reported_month": values.parse_month,
    "minutes": values.parse_minutes,
    "total_minutes": values.parse_minutes,
    "start_time": values.parse_time,
    "end_time": values.parse_time,
    "complex_ccm": values.parse_flag,
    "encounter_id": values.parse_identifier,
    "provider_npi": values.parse_identifier,
    "vendor_patient_id": values.parse_identifier,
    "cpt_code": values.parse_code,
}


# Parsers that give back a cell of ASCII digits as it is: such a column needs no parse at all.
DIGITS_AS_THEY_ARE = frozenset({values.parse_identifier, values.parse_code})


def header_key(text: object) -> str:
    """Headers and keywords compare case-insensitively with `_`, `-`, `.` and spaces alike."""
    folded = str(text or "").replace("\ufeff", "").strip().strip("\"'").lower()
    folded = re.sub(r"[_\-.\s\u00a0]+", " ", folded)
    return folded.strip(" :*")


@dataclass(frozen=True)
class KindSpec:
    kind: str
    keywords: tuple[str, ...]
    required: tuple[str, ...]
    aliases: dict[str, str]  # header_key(alias) -> canonical column
    account_width: int

    @property
    def columns(self) -> tuple[str, ...]:
        return KIND_COLUMNS[self.kind]

    def column_for(self, header: object) -> str | None:
        key = header_key(header)
        if not key:
            return None
        column = self.aliases.get(key)
        if column is None and NUMBERED_CODE_HEADER.fullmatch(key):
            column = next((c for c in CODE_LIST_COLUMNS if c in self.columns), None)
        return column

    def parser(self, column: str) -> Callable[[object], str | None]:
        if column == "patient_acct_no":
            return partial(values.parse_account, width=self.account_width)
        return _PARSERS.get(column, values.clean_text)


def kind_specs(config: dict) -> dict[str, KindSpec]:
    width = int(config.get("account_number_width", 8) or 0)
    common = config.get("common_columns", {}) or {}
    specs = {}
    for kind, body in (config.get("kinds") or {}).items():
        if kind not in KIND_COLUMNS:
            continue
        own = body.get("columns", {}) or {}
        stored = set(KIND_COLUMNS[kind]) | set(own)
        if "patient_name" in stored:
            stored |= set(NAME_PARTS)
        aliases: dict[str, str] = {}
        # The kind's own aliases win over the shared ones ("Service Date" is the activity date
        # in the minutes log but the service date in the exclusion list).
        for column, names in list(own.items()) + list(common.items()):
            if column not in stored:
                continue
            for name in names or []:
                aliases.setdefault(header_key(name), column)
        specs[kind] = KindSpec(
            kind=kind,
            keywords=tuple(header_key(k) for k in body.get("keywords", []) or []),
            required=tuple(body.get("required", []) or []),
            aliases=aliases,
            account_width=width,
        )
    return specs


def kind_from_text(text: str, specs: dict[str, KindSpec]) -> str | None:
    """The kind whose keyword the text holds; the longest keyword wins, a tie decides nothing."""
    folded = header_key(text)
    best: dict[str, int] = {}
    for spec in specs.values():
        for keyword in spec.keywords:
            if keyword and re.search(
                rf"(?<![a-z0-9]){re.escape(keyword)}(?:e?s)?(?![a-z0-9])", folded
            ):
                best[spec.kind] = max(best.get(spec.kind, 0), len(keyword))
    if not best:
        return None
    longest = max(best.values())
    winners = [kind for kind, length in best.items() if length == longest]
    return winners[0] if len(winners) == 1 else None


def column_letter(index: int) -> str:
    """0 → A, 26 → AA: columns named as Excel shows them."""
    letters = ""
    index += 1
    while index:
        index, remainder = divmod(index - 1, 26)
        letters = chr(65 + remainder) + letters
    return letters
