"""The rule cases of CCM_RULES §13 and field_cases.md, as report inputs and expected outcomes.

Each case is one patient (its own account number) in one service month. `build_drop` turns a
set of cases into eCW-style report files (data/generate.py's write_report), one file per kind
and month, so the pipeline reads them exactly as it reads a practice's drop. Defaults follow
§13: enabled, Medicare Part B, consent 2019-01-15, I10 + E11.9, staff minutes, no exclusions.

Every month of a drop costs one full pipeline run (ingest, dbt build and tests, publish), so
the cases share a few months: one per code-table year that changes the outcome (2019 without
an add-on, 2020 G2058, 2021 on 99439), 2024-05 for the rules that do not depend on the year,
and 2025-03/04 for APCM and the field cases. A §13 case whose own month is not one of these
runs in a month of the same code table, its dates moved with it, and a case whose outcome no
switch of a configuration changes may run under that configuration (the note says so).

`review` is the exact set of review-list reasons the patient-month gets: the one that blocked
billing, if any, and every data-quality finding.
"""

from __future__ import annotations

import datetime as dt
import sys
from collections import defaultdict
from dataclasses import dataclass, field
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[2] / "data"))
from generate import write_report  # noqa: E402

ALPHA = "Alpha, Ann MD"
BETA = "Beta, Bob MD"
ALPHA_NPI = "1111111111"
BETA_NPI = "2222222222"


@dataclass(frozen=True)
class Entry:
    """One minutes entry: PHM (practice), TE or VENDOR (a monthly total, no date)."""

    minutes: int
    day: int = 10
    source: str = "PHM"
    role: str = "RN"
    staff: str = "Nurse, Rita"
    activity: str = "Care plan review"
    provider: str = ALPHA
    reason: str = "Medication question"
    start: dt.time | None = None  # a PHM entry's start time; most exports have none


@dataclass(frozen=True)
class Case:
    case_id: str
    month: str
    rules: tuple[str, ...]
    entries: tuple[Entry, ...] = ()
    expected: tuple[tuple[str, int], ...] = ()  # (code, units); empty = nothing billed
    review: tuple[str, ...] = ()  # the exact review reasons of the patient-month
    dos: str | None = None  # expected date of service when billed (default month end)
    consent: dt.date | None | str = dt.date(2019, 1, 15)
    dx: tuple[str, ...] = ("I10", "E11.9")
    insurance: str = "Medicare Part B"
    complex_flag: bool = False
    enabled: bool = True
    not_eligible: bool = False
    exclusions: tuple[dict, ...] = ()
    death: dt.date | None = None
    ccm_end: dt.date | None = None
    config: str = "default"
    note: str = ""
    follows: str | None = None  # the case whose patient this is, a month later
    account: str = field(default="", compare=False)


def S(minutes: int, day: int = 10, **kw) -> Entry:
    return Entry(minutes, day, **kw)


def P(minutes: int, day: int = 12, **kw) -> Entry:
    return Entry(minutes, day, role="MD", staff=ALPHA, **kw)


def V(minutes: int, **kw) -> Entry:
    return Entry(minutes, source="VENDOR", role="RN", staff="Vendor, Val", **kw)


def X(kind: str, cpt: str | None, start: str, end: str | None = None, npi: str = ALPHA_NPI):
    return {
        "exclusion_type": kind,
        "cpt_code": cpt,
        "service_date": dt.date.fromisoformat(start),
        "service_end_date": dt.date.fromisoformat(end) if end else None,
        "provider_name": ALPHA if npi == ALPHA_NPI else BETA,
        "provider_npi": npi,
    }


UNDER = "UNDER_THRESHOLD"

_CASES = [
    # §13: thresholds, units and caps on the 2021 code table (§13 runs TC-01..07 in 2021-03).
    Case("TC-01", "2021-01", ("R1.1",), (S(19),), review=(UNDER,)),
    Case("TC-02", "2021-01", ("R1.1", "R6.1"), (S(20),), (("99490", 1),), dos="2021-01-31"),
    Case("TC-03", "2021-01", ("R1.2",), (S(39),), (("99490", 1),)),
    Case("TC-04", "2021-01", ("R1.2",), (S(40),), (("99490", 1), ("99439", 1))),
    Case("TC-05", "2021-01", ("R1.2",), (S(59),), (("99490", 1), ("99439", 1))),
    Case("TC-06", "2021-01", ("R1.2", "R1.3"), (S(60),), (("99490", 1), ("99439", 2))),
    Case("TC-07", "2021-01", ("R1.3",), (S(61),), (("99490", 1), ("99439", 2))),
    # The add-on of the year: G2058 in 2020 only, 99439 from 2021-01-01 (none in 2019: TC-11).
    Case("TC-09", "2020-12", ("G2058",), (S(45),), (("99490", 1), ("G2058", 1))),
    Case("TC-10", "2021-01", ("99439",), (S(45),), (("99490", 1), ("99439", 1))),
    # Complex CCM needs the flag and 60 minutes (§13 runs TC-08 in 2022-08, TC-13..17 in
    # 2023-05; the 99439 and 99487/99489 rows are the same in 2024).
    Case("TC-08", "2024-05", ("R1.3", "E12"), (S(50), S(45, 20)), (("99490", 1), ("99439", 2))),
    Case("TC-13", "2024-05", ("R2.1",), (S(59),), (("99490", 1), ("99439", 1)), complex_flag=True),
    Case("TC-14", "2024-05", ("99487", "E12"), (S(60),), (("99487", 1),), complex_flag=True),
    Case("TC-15", "2024-05", ("R1.2",), (S(89),), (("99487", 1),), complex_flag=True),
    Case("TC-16", "2024-05", ("99489",), (S(90),), (("99487", 1), ("99489", 1)), complex_flag=True),
    Case(
        "TC-17",
        "2024-05",
        ("R1.2", "R1.4"),
        (S(60), S(65, 20)),
        (("99487", 1), ("99489", 2)),
        complex_flag=True,
    ),
    # D5: P=25 is under 99491's 30 and counts as staff time: 35 -> 99490 (§13: 2022-04).
    Case("TC-21", "2024-05", ("D5", "R2.2"), (P(25), S(10)), (("99490", 1),)),
    Case(
        "TC-23",
        "2024-05",
        ("E5",),
        (S(12, 3), S(15, 20)),
        review=(UNDER,),
        consent=dt.date(2024, 5, 15),
    ),
    Case(
        "TC-24",
        "2024-05",
        ("E4",),
        (S(30),),
        review=("CONSENT_AFTER_MONTH",),
        consent=dt.date(2024, 6, 2),
    ),
    Case("TC-25", "2024-05", ("E3",), (V(30),), review=("NO_CONSENT",), consent=None),
    Case(
        "TC-26",
        "2024-05",
        ("P1", "C14"),
        (S(25),),
        review=("EXCLUDED_HOSPICE",),
        exclusions=(X("Hospice", None, "2024-05-12"),),
        note="§13: election 2024-09-12 in 2024-09",
    ),
    # R9.2 (4): the practice re-entered the vendor's 15 minutes on the vendor total's date (the
    # month end, R9.6): kept once, 15 < 20. The same minutes on another day are other work.
    Case(
        "TC-30",
        "2025-03",
        ("R9.2(4)",),
        (S(15, 31), V(15)),
        review=("PROBABLE_DUPLICATE", UNDER),
        note="§13: 2025-02",
    ),
    # R9.2 (2): one call logged twice (same nurse, day and start time) with other minutes.
    # Both copies are in one report, so its first row counts (5 + 12 = 17 < 20; the other copy
    # would have made 30), and the month goes to review instead of the choice passing silently.
    # (Two TEs of one number in one report stop the month at the staging contract instead.)
    Case(
        "R9.2-CONFLICTING-COPIES",
        "2024-05",
        ("R9.2",),
        (S(5, 3), S(12, 11, start=dt.time(9, 30)), S(25, 11, start=dt.time(9, 30))),
        review=("CONFLICTING_COPIES", UNDER),
    ),
    Case(
        "R9.2(4)-OTHER-DAY",
        "2025-03",
        ("R9.2(4)", "R9.1"),
        (S(15, 14), V(15)),
        (("99490", 1),),
    ),
    Case(
        "TC-31",
        "2024-05",
        ("P1",),
        (S(30),),
        review=("EXCLUDED_TCM",),
        exclusions=(X("TCM", "99495", "2024-05-05"),),
        note="§13: TCM 2024-03-05 in 2024-03",
    ),
    Case(
        "TC-35",
        "2024-05",
        ("C5",),
        (S(25),),
        review=("EXCLUDED_CPO",),
        exclusions=(X("Home Health", "G0181", "2024-05-03"),),
        note="G0181 is care plan oversight (C5) whatever the category column says",
    ),
    Case(
        "TC-36",
        "2024-05",
        ("C13", "P1"),
        (S(30),),
        review=("EXCLUDED_SNF",),
        exclusions=(X("SNF", "99306", "2024-05-01", "2024-05-20"),),
        note="§13: stay 2024-07-01..20 in 2024-07",
    ),
    Case(
        "TC-37",
        "2025-03",
        ("C9", "R1.15"),
        (S(30),),
        review=("EXCLUDED_APCM",),
        exclusions=(X("APCM", "G0557", "2025-03-05"),),
    ),
    Case(
        "TC-47",
        "2024-05",
        ("E2",),
        (V(30),),
        review=("NOT_ELIGIBLE",),
        enabled=False,
        not_eligible=True,
    ),
    Case(
        "TC-48",
        "2024-05",
        ("E6", "R1.16"),
        (S(30),),
        review=("FEWER_THAN_TWO_CONDITIONS",),
        dx=("I50.22",),
    ),
    # E6 by category: E11.9 and E11.65 are one condition; J06.9 is acute per AHRQ CCIR.
    Case(
        "E6-CATEGORY",
        "2024-05",
        ("E6",),
        (S(30),),
        review=("FEWER_THAN_TWO_CONDITIONS",),
        dx=("E11.9", "E11.65", "J06.9"),
    ),
    Case(
        "E6-INVALID",
        "2024-05",
        ("E6", "E7"),
        (S(30),),
        (("99490", 1),),
        review=("INVALID_DX",),
        dx=("I10", "E11.9", "E11.99"),
    ),
    Case(
        "E13-MA",
        "2024-05",
        ("E13",),
        (S(30),),
        review=("NOT_MEDICARE",),
        insurance="Humana Medicare Advantage HMO",
    ),
    Case(
        "E13-MA-BRAND",
        "2024-05",
        ("E13",),
        (S(30),),
        review=("NOT_MEDICARE",),
        insurance="AARP Medicare Complete",
    ),
    # R6.2: the 20 minutes after death are dropped; 25 before it bill, dated at death.
    Case(
        "E10-DEATH",
        "2024-05",
        ("E10", "R6.2"),
        (S(15, 3), S(10, 8), S(20, 25)),
        (("99490", 1),),
        dos="2024-05-10",
        death=dt.date(2024, 5, 10),
    ),
    # R6.9: a revocation takes effect at the end of its month.
    Case(
        "R6.9-REVOKED",
        "2024-05",
        ("R6.9",),
        (S(25, 4),),
        (("99490", 1),),
        ccm_end=dt.date(2024, 5, 6),
    ),
    Case(
        "R6.9-ENDED",
        "2024-05",
        ("R6.9",),
        (S(25, 4),),
        review=("CCM_ENDED",),
        ccm_end=dt.date(2024, 4, 20),
    ),
    Case("E1-NOT-ENROLLED", "2024-05", ("E1",), (S(30),), review=("NOT_ENROLLED",), enabled=False),
    # E1: the patient is on the enabled list, but the reader rejected the row (a consent date
    # that does not exist), so the list's fault is named rather than "not enrolled".
    Case(
        "E1-ENABLED-ROW-REJECTED",
        "2024-05",
        ("E1",),
        (S(30),),
        review=("ENABLED_ROW_REJECTED",),
        consent="05/45/2024",
    ),
    Case(
        "C6-G0182",
        "2024-05",
        ("C6",),
        (S(25),),
        review=("EXCLUDED_CPO",),
        exclusions=(X("Hospice", "G0182", "2024-05-03"),),
    ),
    # Field cases (field_cases.md), 2025-03 unless stated.
    Case(
        "CCM-01",
        "2025-03",
        ("R9.1",),
        (S(8, 4, source="TE"), S(8, 11, source="TE"), S(8, 18, source="TE"), V(22)),
        (("99490", 1), ("99439", 1)),
    ),
    Case(
        "CCM-02",
        "2025-03",
        ("C1", "E11"),
        (S(22, 5, source="TE"), S(25, 9, source="TE", provider=BETA, staff="Other, Olga")),
        (("99490", 1),),
        review=("OTHER_PRACTITIONER_MINUTES",),
    ),
    Case(
        "CCM-03",
        "2025-03",
        ("C5",),
        (V(30),),
        review=("EXCLUDED_CPO",),
        exclusions=(X("CPO", "G0181", "2025-03-10"),),
    ),
    Case(
        "CCM-04",
        "2025-03",
        ("C14", "P1"),
        (V(45),),
        review=("EXCLUDED_HOSPICE",),
        exclusions=(X("Hospice", None, "2025-03-12"),),
    ),
    Case(
        "CCM-04-APRIL",
        "2025-04",
        ("C14",),
        (V(45),),
        review=("EXCLUDED_HOSPICE",),
        follows="CCM-04",
        note="hospice from CCM-04's March report, no end date: April stays excluded",
    ),
    # CCM-04's "until a hospice end date appears": TC-26's patient, whose 2024-05 election had
    # no end, is discharged from hospice on 2024-08-31 by a later report and bills again.
    Case(
        "CCM-04-ENDED",
        "2025-03",
        ("C14", "P1"),
        (S(25),),
        (("99490", 1),),
        exclusions=(X("Hospice", None, "2024-05-12", "2024-08-31"),),
        follows="TC-26",
    ),
    # P1 holds a month only when the service was billed or active in it: a February SNF stay
    # on the March report does not hold March.
    Case(
        "P1-OTHER-MONTH",
        "2025-03",
        ("P1",),
        (S(25),),
        (("99490", 1),),
        exclusions=(X("SNF", "99308", "2025-02-10", "2025-02-20"),),
    ),
    Case("CCM-05", "2025-03", ("R1.5", "C2", "E12"), (V(65),), (("99487", 1),), complex_flag=True),
    Case("CCM-06", "2025-03", ("R1.6", "C3", "R2.2"), (P(32), S(25)), (("99490", 1), ("99439", 1))),
    Case(
        "CCM-07",
        "2025-03",
        ("R1.4",),
        (V(47),),
        review=("EXCLUDED_HOSPICE",),
        exclusions=(X("Hospice", None, "2025-03-02"),),
    ),
    Case("CCM-08-19", "2025-03", ("R1.1",), (S(19),), review=(UNDER,)),
    Case("CCM-08-95", "2025-03", ("R1.3",), (S(50), S(45, 20)), (("99490", 1), ("99439", 2))),
    Case(
        "CCM-09",
        "2025-03",
        ("D1", "D2", "R9.7"),
        (S(12, -2), S(11, 3)),
        review=(UNDER,),
        note="12 min dated 2025-02-26 stay in February",
    ),
    Case("CCM-10", "2025-03", ("E3", "R4.6"), (V(23),), review=("NO_CONSENT",), consent=None),
    Case(
        "CCM-11",
        "2025-03",
        ("E5",),
        (S(15, 3), S(10, 25)),
        review=(UNDER,),
        consent=dt.date(2025, 3, 20),
    ),
    # An unmapped role stops the load instead (field case CCM-12; tests/quality), so only the
    # mapped non-clinical roles reach the rules.
    Case(
        "CCM-12",
        "2025-03",
        ("D3", "R9.5"),
        (S(15, 5, role="Health Coach"), S(10, 6), S(5, 7, role="Scheduler")),
        review=(UNDER, "NON_CLINICAL_MINUTES"),
    ),
    Case(
        "CCM-14",
        "2025-03",
        ("C8",),
        (V(25),),
        review=("EXCLUDED_PCM",),
        exclusions=(X("PCM", "99426", "2025-03-07"),),
    ),
    Case(
        "CCM-14-OTHER",
        "2025-03",
        ("C8",),
        (V(25),),
        (("99490", 1),),
        exclusions=(X("PCM", "99426", "2025-03-07", npi=BETA_NPI),),
        note="PCM by a different practitioner does not block CCM",
    ),
    Case(
        "CCM-15",
        "2025-04",
        ("C9",),
        (V(30),),
        review=("EXCLUDED_APCM",),
        exclusions=(X("APCM", "G0557", "2025-04-02"),),
    ),
    Case(
        "CCM-17",
        "2025-03",
        ("C13",),
        (V(30),),
        review=("EXCLUDED_SNF",),
        exclusions=(X("SNF Part A", None, "2025-03-01", "2025-03-31"),),
    ),
    Case(
        "TC-44",
        "2025-04",
        ("R5.2", "C16"),
        (
            S(8, 9, source="TE", role="MD", staff=ALPHA, reason="Phone visit billed 98016"),
            S(15, 10),
        ),
        review=(UNDER, "BILLED_SEPARATELY"),
    ),
    Case("TC-43", "2025-04", ("R5.1",), (S(12, 9, source="TE"), S(10, 10)), (("99490", 1),)),
    # Policy switches in both positions: each "switches" case has a default twin with the
    # same inputs. Under THRESHOLD_DATE the claim is dated the day the last billed increment
    # was reached (R6.1): the practitioner's own minutes for 99491/99437.
    Case(
        "TC-18",
        "2024-05",
        ("POLICY_FAMILY", "R1.6"),
        (P(30), S(25, 5)),
        (("99491", 1),),
        dos="2024-05-12",
        config="switches",
        note="PRACTITIONER_FIRST (§13: 2022-04)",
    ),
    Case(
        "TC-18-DEFAULT",
        "2024-05",
        ("POLICY_FAMILY", "R1.6"),
        (P(30), S(25, 5)),
        (("99490", 1), ("99439", 1)),
        note="STAFF_FIRST uses P as staff time (D5)",
    ),
    Case(
        "TC-19",
        "2024-05",
        ("99437",),
        (P(60),),
        (("99491", 1), ("99437", 1)),
        dos="2024-05-12",
        config="switches",
        note="§13: 2022-04",
    ),
    # R2.3: 130 practitioner minutes earn three 99437 units; the cap bills two, reached with
    # 90 minutes on the 20th.
    Case(
        "R2.3-CAP",
        "2024-05",
        ("99437", "R2.3"),
        (P(70), P(60, 20)),
        (("99491", 1), ("99437", 2)),
        dos="2024-05-20",
        config="switches",
    ),
    Case(
        "TC-32",
        "2024-05",
        ("C4", "EXCLUDE_TCM"),
        (S(30),),
        (("99490", 1),),
        dos="2024-05-10",
        exclusions=(X("TCM", "99495", "2024-05-05"),),
        config="switches",
        note="§13: 2024-03",
    ),
    # TC-11 shares TC-33's 2019 month: neither switch changes a staff-only month, and the date
    # of service is the day the base threshold was reached, no add-on code being in force.
    Case(
        "TC-11",
        "2019-03",
        ("99490",),
        (S(45),),
        (("99490", 1),),
        dos="2019-03-10",
        config="switches",
        note="§13: 2019-06 under the defaults",
    ),
    Case(
        "TC-33",
        "2019-03",
        ("C4",),
        (S(30),),
        review=("EXCLUDED_TCM",),
        exclusions=(X("TCM", "99495", "2019-03-05"),),
        config="switches",
    ),
    Case(
        "TC-34",
        "2024-05",
        ("C15", "EXCLUDE_HH"),
        (S(25),),
        (("99490", 1),),
        dos="2024-05-10",
        exclusions=(X("Home Health", None, "2024-05-01", "2024-05-31"),),
        config="switches",
        note="§13: 2024-06",
    ),
    Case(
        "TC-34-DEFAULT",
        "2024-05",
        ("EXCLUDE_HH", "P1"),
        (S(25),),
        review=("EXCLUDED_HOME_HEALTH",),
        exclusions=(X("Home Health", None, "2024-05-01", "2024-05-31"),),
    ),
    Case(
        "TC-45",
        "2024-05",
        ("R6.1", "DOS_POLICY"),
        (S(10, 5), S(15, 18), S(5, 25)),
        (("99490", 1),),
        dos="2024-05-18",
        config="switches",
        note="§13: 2024-11, threshold reached on the 18th",
    ),
    Case(
        "TC-45-DEFAULT",
        "2024-05",
        ("R6.1", "DOS_POLICY"),
        (S(10, 5), S(15, 18), S(5, 25)),
        (("99490", 1),),
        dos="2024-05-31",
    ),
    # MAX_ALLOWED compares the year's estimates: P=35, S=30 -> staff 65 min = 99490 + 99439x2
    # ($152.35) against 99491 ($82.16): the staff family pays more and wins.
    Case(
        "MAX-ALLOWED",
        "2025-03",
        ("POLICY_FAMILY", "§8"),
        (P(35), S(30)),
        (("99490", 1), ("99439", 2)),
        config="max_allowed",
    ),
    # P=30 alone: 99491 ($82.16) pays more than 99490 ($60.49), so MAX_ALLOWED bills 99491
    # where STAFF_FIRST bills 99490 on the same 30 minutes (D5).
    Case(
        "MAX-ALLOWED-P",
        "2025-03",
        ("POLICY_FAMILY", "§8"),
        (P(30),),
        (("99491", 1),),
        config="max_allowed",
    ),
    Case("MAX-ALLOWED-P-DEFAULT", "2025-03", ("POLICY_FAMILY", "D5"), (P(30),), (("99490", 1),)),
]

CONFIGS: dict[str, dict] = {
    "default": {},
    "switches": {
        "policy_family": "PRACTITIONER_FIRST",
        "exclude_tcm": False,
        "exclude_home_health": False,
        "dos_policy": "THRESHOLD_DATE",
    },
    "max_allowed": {"policy_family": "MAX_ALLOWED"},
}


def _numbered(cases: list[Case]) -> list[Case]:
    """Give each case its own account; a case that follows another takes that one's."""
    accounts: dict[str, str] = {}
    for index, case in enumerate(cases, start=1):
        account = accounts[case.follows] if case.follows else f"{70000 + index:08d}"
        object.__setattr__(case, "account", account)
        accounts[case.case_id] = account
    return cases


CASES = _numbered(_CASES)
BY_ID = {case.case_id: case for case in CASES}


def month_first(month: str) -> dt.date:
    return dt.date.fromisoformat(f"{month}-01")


def entry_date(month: str, day: int) -> dt.date:
    """Day 1..31 of the month; 0 or less counts back into the previous month."""
    return month_first(month) + dt.timedelta(days=day - 1)


def _patient(case: Case) -> dict:
    return {
        "patient_acct_no": case.account,
        "patient_name": f"Case, {case.case_id.replace('-', ' ').title()}",
        "dob": dt.date(1945, 1, 1),
        "sex": "F",
        "primary_insurance": case.insurance,
        "provider_name": ALPHA,
        "provider_npi": ALPHA_NPI,
        "consent_date": case.consent,
        "ccm_end_date": case.ccm_end,
        "complex_ccm": "Y" if case.complex_flag else "N",
        "chronic_conditions": ";".join(case.dx),
        "date_of_death": case.death,
    }


def report_rows(cases: list[Case]) -> dict[tuple[str, str], list[dict]]:
    """Rows per (month, report kind) for a set of cases."""
    rows: dict[tuple[str, str], list[dict]] = defaultdict(list)
    encounter = 0
    for case in cases:
        month = case.month
        patient = _patient(case)
        if case.enabled:
            rows[(month, "ccm_enabled")].append(patient)
        if case.not_eligible:
            rows[(month, "ccm_not_eligible")].append({**patient, "reason": "Not a candidate"})
        for exclusion in case.exclusions:
            rows[(month, "exclusions")].append(
                {
                    "patient_acct_no": case.account,
                    "patient_name": patient["patient_name"],
                    **exclusion,
                }
            )
        for entry in case.entries:
            if entry.source == "VENDOR":
                rows[(month, "vendor_billing")].append(
                    {
                        "patient_acct_no": case.account,
                        "patient_name": patient["patient_name"],
                        "reported_month": month,
                        "total_minutes": entry.minutes,
                        "care_manager": entry.staff,
                        "care_manager_role": entry.role,
                        "billing_provider": entry.provider,
                        "consent_date": case.consent if case.consent else None,
                        "complex_ccm": "Y" if case.complex_flag else "N",
                    }
                )
            elif entry.source == "TE":
                encounter += 1
                rows[(month, "telephone_encounters")].append(
                    {
                        "encounter_id": f"T{encounter}",
                        "patient_acct_no": case.account,
                        "patient_name": patient["patient_name"],
                        "encounter_date": entry_date(month, entry.day),
                        "provider_name": entry.provider,
                        "staff_name": entry.staff,
                        "staff_role": entry.role,
                        "reason": entry.reason,
                        "icd_codes": ";".join(case.dx),
                        "minutes": entry.minutes,
                    }
                )
            else:
                rows[(month, "practice_minutes")].append(
                    {
                        "patient_acct_no": case.account,
                        "patient_name": patient["patient_name"],
                        "activity_date": entry_date(month, entry.day),
                        "minutes": entry.minutes,
                        "staff_name": entry.staff,
                        "staff_role": entry.role,
                        "activity": entry.activity,
                        "program": "CCM",
                    }
                    # A start time only where a case gives one: the other cases' reports keep
                    # the columns they had.
                    | ({"start_time": entry.start} if entry.start else {})
                )
    return rows


FILE_NAMES = {
    "ccm_enabled": "ccm_enabled_patients",
    "ccm_not_eligible": "ccm_not_eligible_patients",
    "exclusions": "exclusion_list",
    "practice_minutes": "phm_ccm_minutes",
    "telephone_encounters": "telephone_encounters",
    "vendor_billing": "mdr_vendor_report",
}


def build_drop(cases: list[Case], drop: Path) -> list[Path]:
    """Write the cases' report files into `drop/<month>/`, one file per kind and month."""
    written = []
    for (month, kind), rows in sorted(report_rows(cases).items()):
        path = drop / month / f"{FILE_NAMES[kind]}_{month}.xlsx"
        written.append(write_report(kind, rows, path, fmt="xlsx", month=month))
    return written


def cases_for(config: str) -> list[Case]:
    """The cases run under one policy configuration: one drop, one `ccm run`."""
    return [case for case in CASES if case.config == config]
