"""Hand-derived expected results for the scenario patients of the bundled sample drop.

Plain data: nothing here is computed and nothing is imported from the pipeline, so a wrong
pipeline cannot make these expectations agree with it. The inputs are those written by
data/generate.py (SCENARIOS); rule ids refer to /work/shared/CCM_RULES.md.

Assumptions for every scenario unless its comment says otherwise: config/policy.yml defaults
(STAFF_FIRST, MONTH_END date of service, all four exclusions on, billable payer MEDICARE,
physician office); chronic dx I10 + E11.9 + E78.5 (three categories, E6 met); consent well
before the month; no scenario patient has two entries on one date, and none on the month's
last day, so duplicate merging (R9.2) never applies; vendor totals come without detail and
count as one staff entry dated at month end (R9.6).

Each billed line is `(cpt_code, units, date_of_service, qualifying_minutes)`, where
qualifying_minutes is the patient-month's counted staff + practitioner minutes (the same
value on every line of the patient-month). `counted_minutes` is that same count for
patient-months that are not billed, where the rules define it (None where they do not).
"""

from __future__ import annotations

# Accounts 00090000-00090999 belong to scenarios only; random patients never use them.
SCENARIO_ACCOUNT_PREFIX = "00090"

SCENARIOS: list[dict] = [
    # ---------------------------------------------------------------- 2020-12 (add-on G2058)
    # R1.1: 19 < 20 staff minutes, base threshold not met -> nothing billed.
    {
        "account": "00090001",
        "month": "2020-12",
        "description": "19 staff minutes: one short of the 99490 threshold",
        "inputs": {"phm": [19], "te": [], "vendor": None, "consent": "2019-03-11"},
        "expected_lines": [],
        "review_reason": "UNDER_THRESHOLD",
        "counted_minutes": 19,
    },
    # R9.1: PHM 12 + TE 8 (MA, clinical staff, R5.1) = 20; R1.1: 20 >= 20 -> 99490 x1;
    # R1.2: no full increment beyond 20; R6.1 MONTH_END DOS.
    {
        "account": "00090002",
        "month": "2020-12",
        "description": "exactly 20 minutes from PHM plus a telephone encounter",
        "inputs": {"phm": [12], "te": [8], "vendor": None, "consent": "2019-05-02"},
        "expected_lines": [("99490", 1, "2020-12-31", 20)],
        "review_reason": None,
        "counted_minutes": 20,
    },
    # R9.1/R9.6: PHM 25 + vendor total 20 = 45; R1.2: (45-20)//20 = 1 add-on; §2 table: the
    # 2020 add-on is G2058 (99439 only from 2021-01-01); R6.1 MONTH_END.
    {
        "account": "00090003",
        "month": "2020-12",
        "description": "45 minutes in 2020: add-on billed as G2058",
        "inputs": {"phm": [25], "te": [], "vendor": 20, "consent": "2019-08-20"},
        "expected_lines": [("99490", 1, "2020-12-31", 45), ("G2058", 1, "2020-12-31", 45)],
        "review_reason": None,
        "counted_minutes": 45,
    },
    # E4: consent 2021-01-12 is after the last day of 2020-12 -> not billable in December,
    # whatever the 30 minutes logged.
    {
        "account": "00090004",
        "month": "2020-12",
        "description": "on the enabled list with a consent date in the following month",
        "inputs": {"phm": [30], "te": [], "vendor": None, "consent": "2021-01-12"},
        "expected_lines": [],
        "review_reason": "CONSENT_AFTER_MONTH",
        "counted_minutes": None,
    },
    # R9.1: PHM 30 + TE 15 + vendor 15 = 60; R1.2: (60-20)//20 = 2; R1.3 cap 2 not exceeded;
    # 2020 -> G2058 x2; R6.1 MONTH_END.
    {
        "account": "00090005",
        "month": "2020-12",
        "description": "60 minutes over three sources in 2020: G2058 x2",
        "inputs": {"phm": [30], "te": [15], "vendor": 15, "consent": "2020-02-03"},
        "expected_lines": [("99490", 1, "2020-12-31", 60), ("G2058", 2, "2020-12-31", 60)],
        "review_reason": None,
        "counted_minutes": 60,
    },
    # P1 (EXCLUDE_HH on): Home Health G0180 dated 2020-12-07 is on the exclusion list for the
    # month -> excluded although PHM 20 + vendor 15 = 35 would bill 99490 (minutes forfeited).
    {
        "account": "00090006",
        "month": "2020-12",
        "description": "home health certification in the month (policy exclusion)",
        "inputs": {
            "phm": [20],
            "te": [],
            "vendor": 15,
            "consent": "2019-11-18",
            "exclusion": ("Home Health", "G0180", "2020-12-07", None),
        },
        "expected_lines": [],
        "review_reason": "EXCLUDED_HOME_HEALTH",
        "counted_minutes": 35,
    },
    # ---------------------------------------------------------------- 2021-01 (add-on 99439)
    # Same inputs as its 2020-12 month: PHM 25 + vendor 20 = 45; R1.2: one add-on; §2 table:
    # from 2021-01-01 the add-on is 99439, not G2058.
    {
        "account": "00090003",
        "month": "2021-01",
        "description": "45 minutes in 2021: add-on billed as 99439",
        "inputs": {"phm": [25], "te": [], "vendor": 20, "consent": "2019-08-20"},
        "expected_lines": [("99490", 1, "2021-01-31", 45), ("99439", 1, "2021-01-31", 45)],
        "review_reason": None,
        "counted_minutes": 45,
    },
    # E4 met this month (consent 2021-01-12 <= 2021-01-31). E5: the PHM 10 on 01-05 is before
    # consent and dropped; PHM 15 on 01-13 + TE 10 on 01-20 = 25 -> R1.1 99490 x1.
    {
        "account": "00090004",
        "month": "2021-01",
        "description": "consent mid-month: 10 minutes before consent dropped, 25 counted",
        "inputs": {"phm": [10, 15], "te": [10], "vendor": None, "consent": "2021-01-12"},
        "expected_lines": [("99490", 1, "2021-01-31", 25)],
        "review_reason": None,
        "counted_minutes": 25,
    },
    # PHM 24 + 15 = 39; R1.2: (39-20)//20 = 0 add-ons, partial increments dropped -> 99490 x1.
    {
        "account": "00090007",
        "month": "2021-01",
        "description": "39 minutes: one short of the first add-on",
        "inputs": {"phm": [24, 15], "te": [], "vendor": None, "consent": "2020-06-01"},
        "expected_lines": [("99490", 1, "2021-01-31", 39)],
        "review_reason": None,
        "counted_minutes": 39,
    },
    # PHM 20 + vendor 20 = 40; R1.2: 40 = 20 base + one full 20 -> 99490 + 99439 x1.
    {
        "account": "00090008",
        "month": "2021-01",
        "description": "exactly 40 minutes: first add-on unit",
        "inputs": {"phm": [20], "te": [], "vendor": 20, "consent": "2020-09-09"},
        "expected_lines": [("99490", 1, "2021-01-31", 40), ("99439", 1, "2021-01-31", 40)],
        "review_reason": None,
        "counted_minutes": 40,
    },
    # PHM 25 logged by the billing MD (P, R9.5) + TE 10 by an RN (S). §3 STAFF_FIRST: no
    # complex flag; T = S + P = 35 (D5) >= 20 -> 99490 x1, chosen before PRACTITIONER
    # (P = 25 < 30 would not qualify for 99491 anyway). Same as TC-21.
    {
        "account": "00090009",
        "month": "2021-01",
        "description": "practitioner 25 + staff 10 minutes count together toward 99490",
        "inputs": {"phm_practitioner": [25], "te": [10], "vendor": None, "consent": "2019-01-15"},
        "expected_lines": [("99490", 1, "2021-01-31", 35)],
        "review_reason": None,
        "counted_minutes": 35,
    },
    # P1/P3 (EXCLUDE_TCM on, CLAIM_MONTH): TCM 99495 with DOS 2021-01-11 is in the month ->
    # excluded although 30 minutes would bill 99490 (CMS would allow it since 2020, C4).
    {
        "account": "00090010",
        "month": "2021-01",
        "description": "TCM claim dated in the month (policy exclusion)",
        "inputs": {
            "phm": [30],
            "te": [],
            "vendor": None,
            "consent": "2020-04-22",
            "exclusion": ("TCM", "99495", "2021-01-11", None),
        },
        "expected_lines": [],
        "review_reason": "EXCLUDED_TCM",
        "counted_minutes": 30,
    },
    # D3/R9.5: "Front Desk" (PHM 10) and "Scheduler" (TE 8) are non-clinical roles, so their
    # minutes never count; RN 15 counted; R1.1: 15 < 20 -> nothing billed.
    {
        "account": "00090011",
        "month": "2021-01",
        "description": "non-clinical minutes (front desk, scheduler) do not count",
        "inputs": {
            "phm": [15],
            "phm_non_clinical": [10],
            "te_non_clinical": [8],
            "vendor": None,
            "consent": "2020-07-07",
        },
        "expected_lines": [],
        "review_reason": "UNDER_THRESHOLD",
        "counted_minutes": 15,
    },
    # ---------------------------------------------------------------- 2025-03 (add-on 99439)
    # PHM 34 + TE 25 = 59; R1.2: (59-20)//20 = 1 -> 99490 + 99439 x1 (19 minutes unbilled).
    {
        "account": "00090012",
        "month": "2025-03",
        "description": "59 minutes: one add-on, one minute short of the second",
        "inputs": {"phm": [34], "te": [25], "vendor": None, "consent": "2023-02-14"},
        "expected_lines": [("99490", 1, "2025-03-31", 59), ("99439", 1, "2025-03-31", 59)],
        "review_reason": None,
        "counted_minutes": 59,
    },
    # PHM 20 + 20 + TE 25 + vendor 30 = 95; no complex flag (E12); R1.2: (95-20)//20 = 3,
    # R1.3 caps 99439 at 2 -> 99490 + 99439 x2, 35 minutes unbilled. Same as TC-08.
    {
        "account": "00090013",
        "month": "2025-03",
        "description": "95 minutes, not complex: add-on capped at two units",
        "inputs": {"phm": [20, 20], "te": [25], "vendor": 30, "consent": "2022-10-03"},
        "expected_lines": [("99490", 1, "2025-03-31", 95), ("99439", 2, "2025-03-31", 95)],
        "review_reason": None,
        "counted_minutes": 95,
    },
    # R9.1: PHM 10 + TE 12 + vendor 18 = 40, none reaches 20 alone; R1.2 -> 99490 + 99439 x1.
    {
        "account": "00090014",
        "month": "2025-03",
        "description": "40 minutes only when PHM, TE and vendor are summed",
        "inputs": {"phm": [10], "te": [12], "vendor": 18, "consent": "2024-01-08"},
        "expected_lines": [("99490", 1, "2025-03-31", 40), ("99439", 1, "2025-03-31", 40)],
        "review_reason": None,
        "counted_minutes": 40,
    },
    # E3/R4.6: enabled list with a blank consent date, and the vendor row gives none either;
    # vendor 30 minutes -> not billable. Same as TC-25. The blank consent row must load.
    {
        "account": "00090015",
        "month": "2025-03",
        "description": "enabled without a consent date; vendor logged 30 minutes",
        "inputs": {"phm": [], "te": [], "vendor": 30, "consent": None},
        "expected_lines": [],
        "review_reason": "NO_CONSENT",
        "counted_minutes": None,
    },
    # P1 (EXCLUDE_SNF on), C13: SNF stay 2025-03-04 -> 2025-03-18 in the month -> excluded
    # although PHM 15 + vendor 15 = 30 would bill 99490.
    {
        "account": "00090016",
        "month": "2025-03",
        "description": "SNF stay inside the month (policy exclusion)",
        "inputs": {
            "phm": [15],
            "te": [],
            "vendor": 15,
            "consent": "2023-06-05",
            "exclusion": ("SNF", "99309", "2025-03-04", "2025-03-18"),
        },
        "expected_lines": [],
        "review_reason": "EXCLUDED_SNF",
        "counted_minutes": 30,
    },
    # P1 (EXCLUDE_HOSPICE on), C14: hospice election 2025-03-12, no CPT, no end date ->
    # excluded although PHM 25 would bill 99490. Same as TC-26.
    {
        "account": "00090017",
        "month": "2025-03",
        "description": "hospice election in the month (policy exclusion)",
        "inputs": {
            "phm": [25],
            "te": [],
            "vendor": None,
            "consent": "2022-03-30",
            "exclusion": ("Hospice", None, "2025-03-12", None),
        },
        "expected_lines": [],
        "review_reason": "EXCLUDED_HOSPICE",
        "counted_minutes": 25,
    },
    # E2: on the enabled list AND on the not-eligible list ("Receives CCM from another
    # practice", also C1); vendor 30 -> not billed. Same as TC-47.
    {
        "account": "00090018",
        "month": "2025-03",
        "description": "also on the not-eligible list; vendor logged 30 minutes",
        "inputs": {
            "phm": [],
            "te": [],
            "vendor": 30,
            "consent": "2024-05-13",
            "not_eligible": True,
        },
        "expected_lines": [],
        "review_reason": "NOT_ELIGIBLE",
        "counted_minutes": None,
    },
    # E13 / §0: primary insurance "Humana Medicare Advantage PPO" is Medicare Advantage, not
    # Part B fee-for-service; PHM 30 -> routed to review, never auto-billed. The payer check
    # must not accept a plan because its name contains "Medicare".
    {
        "account": "00090019",
        "month": "2025-03",
        "description": "Medicare Advantage primary with 30 minutes",
        "inputs": {
            "phm": [30],
            "te": [],
            "vendor": None,
            "consent": "2023-09-19",
            "insurance": "Humana Medicare Advantage PPO",
        },
        "expected_lines": [],
        "review_reason": "NOT_MEDICARE",
        "counted_minutes": None,
    },
    # E13: commercial primary ("Blue Cross Blue Shield PPO"); PHM 25 -> not auto-billed.
    {
        "account": "00090020",
        "month": "2025-03",
        "description": "commercial primary insurance with 25 minutes",
        "inputs": {
            "phm": [25],
            "te": [],
            "vendor": None,
            "consent": "2024-02-26",
            "insurance": "Blue Cross Blue Shield PPO",
        },
        "expected_lines": [],
        "review_reason": "NOT_MEDICARE",
        "counted_minutes": None,
    },
    # Complex CCM flag Y on the enabled list (E12); dx I50.9, N18.4, E11.22, I48.91.
    # PHM 25 + 20 + TE 20 + vendor 30 = 95 = T. §3 STAFF_FIRST: COMPLEX first since flag and
    # T >= 60 -> 99487 x1; R1.2: (95-60)//30 = 1 -> 99489 x1 (no CPT cap). R1.5: no 99490.
    {
        "account": "00090021",
        "month": "2025-03",
        "description": "complex CCM flagged, 95 minutes: 99487 + 99489 x1",
        "inputs": {
            "phm": [25, 20],
            "te": [20],
            "vendor": 30,
            "consent": "2022-12-01",
            "complex_ccm": True,
        },
        "expected_lines": [("99487", 1, "2025-03-31", 95), ("99489", 1, "2025-03-31", 95)],
        "review_reason": None,
        "counted_minutes": 95,
    },
    # Date of death 2025-03-20 on the enabled list. R6.2/E10: PHM 22 on 03-10 counts, the
    # TE 10 on 03-24 is after death and dropped; 22 >= 20 -> 99490 x1; under MONTH_END the
    # DOS is the date of death, 2025-03-20 (R6.1, R6.2).
    {
        "account": "00090022",
        "month": "2025-03",
        "description": "died mid-month: minutes after death dropped, DOS = date of death",
        "inputs": {
            "phm": [22],
            "te": [10],
            "vendor": None,
            "consent": "2021-04-06",
            "date_of_death": "2025-03-20",
        },
        "expected_lines": [("99490", 1, "2025-03-20", 22)],
        "review_reason": None,
        "counted_minutes": 22,
    },
    # Disenrolled 2025-03-14. R6.9: revocation takes effect at the end of that month, so the
    # whole month stays billable: PHM 10 (03-05) + PHM 15 (03-24) = 25 -> 99490 x1.
    {
        "account": "00090023",
        "month": "2025-03",
        "description": "revoked mid-month: the month of revocation is still billable",
        "inputs": {
            "phm": [10, 15],
            "te": [],
            "vendor": None,
            "consent": "2023-11-02",
            "ccm_end_date": "2025-03-14",
        },
        "expected_lines": [("99490", 1, "2025-03-31", 25)],
        "review_reason": None,
        "counted_minutes": 25,
    },
    # R9.6: a vendor total of 20 with no detail is one staff entry; R1.1: 20 -> 99490 x1.
    {
        "account": "00090024",
        "month": "2025-03",
        "description": "vendor total alone reaches exactly 20 minutes",
        "inputs": {"phm": [], "te": [], "vendor": 20, "consent": "2024-08-15"},
        "expected_lines": [("99490", 1, "2025-03-31", 20)],
        "review_reason": None,
        "counted_minutes": 20,
    },
]

# One deliberately unreadable row per month, each for a random (non-scenario) patient:
#   2020-12  PHM minutes "abc"
#   2021-01  PHM activity date "01/32/2021"
#   2025-03  vendor total minutes "pending"
# Nothing else in the sample may be rejected: group rows, repeated headers and footers are
# skipped, not rejected, and a blank consent date (00090015) is a value, not an error.
EXPECTED_REJECTED_ROWS: dict[str, int] = {"2020-12": 1, "2021-01": 1, "2025-03": 1}
