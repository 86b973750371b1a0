"""dbt_ccm against its own embedded PostgreSQL: CCM_RULES §13 cases, row for row.

Raw rows are written straight into the `raw` tables (as the readers would leave them), each
month is built with `dbt build --vars`, and the marts are compared with the expected claim
lines and review reasons. Policy switches are run in both positions.
"""

from __future__ import annotations

import json
import os
from datetime import date
from pathlib import Path

import pytest

from orchestration.lib import warehouse
from orchestration.lib.code_sets import load_icd10cm_codes
from orchestration.lib.dbt_vars import dbt_vars_for_month
from orchestration.settings import policy_config

DBT_PROJECT = Path(__file__).resolve().parents[2] / "dbt_ccm"

DEFAULT_CONSENT = "2019-01-15"
DEFAULT_DX = "I10;E11.9"

# Each case patient has its own account number; minutes are (date, minutes[, role]).
CASES_BY_MONTH = {
    "2021-03": {
        "00000101": {"phm": [("2021-03-10", 19)]},  # TC-01
        "00000102": {"phm": [("2021-03-10", 20)]},  # TC-02
        "00000103": {"phm": [("2021-03-10", 39)]},  # TC-03
        "00000104": {"phm": [("2021-03-10", 25)], "vendor": 15},  # TC-04 (two sources)
        "00000105": {"phm": [("2021-03-10", 59)]},  # TC-05
        "00000106": {"phm": [("2021-03-10", 60)]},  # TC-06
        "00000107": {"phm": [("2021-03-10", 61)]},  # TC-07
    },
    "2022-08": {"00000108": {"phm": [("2022-08-03", 50), ("2022-08-20", 45)]}},  # TC-08
    "2020-12": {"00000109": {"phm": [("2020-12-09", 45)]}},  # TC-09
    "2021-01": {"00000110": {"phm": [("2021-01-09", 45)]}},  # TC-10
    "2019-06": {"00000111": {"phm": [("2019-06-09", 45)]}},  # TC-11
    "2023-05": {
        "00000114": {"phm": [("2023-05-09", 60)], "complex": True},  # TC-14
        "00000116": {"phm": [("2023-05-09", 90)], "complex": True},  # TC-16
    },
    "2022-04": {
        "00000118": {"phm": [("2022-04-05", 30, "MD")]},  # TC-18 under PRACTITIONER_FIRST
        "00000121": {"phm": [("2022-04-05", 25, "MD"), ("2022-04-06", 10)]},  # TC-21
    },
    "2024-05": {
        "00000123": {  # TC-23
            "consent": "2024-05-15",
            "phm": [("2024-05-03", 12), ("2024-05-20", 15)],
        },
        "00000124": {"consent": "2024-06-02", "phm": [("2024-05-20", 30)]},  # TC-24
        "00000125": {"consent": None, "vendor": 30},  # TC-25
        "00000147": {"list": "not_eligible", "vendor": 30},  # TC-47
    },
    "2024-09": {  # TC-26
        "00000126": {"phm": [("2024-09-05", 25)], "exclusion": ("Hospice", None, "2024-09-12")},
    },
    "2024-03": {  # TC-31 / TC-32
        "00000131": {"phm": [("2024-03-10", 30)], "exclusion": ("TCM", "99495", "2024-03-05")},
    },
    "2024-11": {  # TC-45: 25 minutes reached on 11-18
        "00000145": {"phm": [("2024-11-04", 10), ("2024-11-18", 15), ("2024-11-25", 5)]},
    },
    "2024-06": {  # TC-50 (run with facility_type=FQHC) and TC-35 (G0181 bars CCM, C5)
        "00000150": {"phm": [("2024-06-10", 20)]},
        "00000135": {"phm": [("2024-06-10", 25)], "exclusion": ("G0181", "G0181", "2024-06-02")},
    },
    "2025-06": {  # TC-43 enrolled TE + PHM; TC-39/TC-41/TC-42 TEs of not-enrolled patients
        "00000143": {"phm": [("2025-06-03", 10)], "te": [("2025-06-05", 12, "RN", "I10")]},
        "00000139": {"list": "not_enabled", "te": [("2025-06-06", None, "MA", "I10;E11.9;N18.3")]},
        "00000141": {"list": "not_enabled", "te": [("2025-06-07", 8, "MD", "I10")]},
        "00000142": {"list": "not_enabled", "te": [("2025-06-08", 15, "MD", "I10")]},
    },
    "2019-03": {  # TC-33
        "00000133": {"phm": [("2019-03-10", 30)], "exclusion": ("TCM", "99495", "2019-03-05")},
    },
}


@pytest.fixture(scope="module")
def warehouse_env(tmp_path_factory):
    """An embedded PostgreSQL of the test's own, with the raw schema and the case rows."""
    var_dir = tmp_path_factory.mktemp("dbt_month_var")
    saved = {k: v for k, v in os.environ.items() if k.startswith("CCM_")}
    for key in saved:
        del os.environ[key]
    os.environ["CCM_VAR_DIR"] = str(var_dir)
    os.environ["CCM_PGDATA"] = str(var_dir / "pg")
    warehouse.connection_info.cache_clear()
    warehouse._embedded_server.cache_clear()
    warehouse.ensure_schemas()
    with warehouse.connect() as conn:
        load_icd10cm_codes(conn)
        for month, patients in CASES_BY_MONTH.items():
            _load_month(conn, month, patients)
    env = warehouse.connection_info().dbt_env()
    os.environ.update(env)
    yield env
    warehouse.stop_embedded()
    for key in [k for k in os.environ if k.startswith("CCM_")]:
        del os.environ[key]
    os.environ.update(saved)
    warehouse.connection_info.cache_clear()
    warehouse._embedded_server.cache_clear()


def _new_load(conn, kind: str, month: str) -> int:
    (load_id,) = conn.execute(
        "insert into raw.file_loads (report_kind, service_month, source_file, file_name, "
        "file_sha256, file_bytes, status) values (%s, %s, %s, %s, %s, 0, 'current') "
        "returning load_id",
        (kind, f"{month}-01", f"/drop/{kind}_{month}.csv", f"{kind}_{month}.csv", kind + month),
    ).fetchone()
    return load_id


def _insert(conn, kind: str, load_id: int, month: str, rows: list[dict]) -> None:
    for row_number, row in enumerate(rows, start=2):
        columns = ["load_id", "service_month", "source_row", *row]
        placeholders = ", ".join(["%s"] * len(columns))
        conn.execute(
            f"insert into raw.{kind} ({', '.join(columns)}) values ({placeholders})",
            (load_id, f"{month}-01", row_number, *row.values()),
        )


def _load_month(conn, month: str, patients: dict) -> None:
    kinds = ("ccm_enabled", "ccm_not_enabled", "ccm_not_eligible", "practice_minutes")
    rows: dict[str, list[dict]] = {kind: [] for kind in kinds}
    rows.update({"vendor_billing": [], "exclusions": [], "telephone_encounters": []})
    for acct, case in patients.items():
        person = {"patient_acct_no": acct, "patient_name": f"CASE, {acct}", "dob": "1950-01-01"}
        if case.get("list", "enabled") == "enabled":
            rows["ccm_enabled"].append(
                person
                | {
                    "primary_insurance": "Medicare",
                    "provider_name": "SMITH, JANE MD",
                    "provider_npi": "1234567893",
                    "consent_date": case.get("consent", DEFAULT_CONSENT),
                    "complex_ccm": "Y" if case.get("complex") else "N",
                    "chronic_conditions": DEFAULT_DX,
                }
            )
        elif case["list"] == "not_enabled":
            rows["ccm_not_enabled"].append(person)
        else:
            rows["ccm_not_eligible"].append(person | {"reason": "Medicaid only"})
        for number, (te_date, minutes, role, dx) in enumerate(case.get("te", []), start=1):
            rows["telephone_encounters"].append(
                {
                    "encounter_id": f"TE{acct}{number}",
                    "patient_acct_no": acct,
                    "encounter_date": te_date,
                    "provider_name": "SMITH, JANE MD",
                    "staff_name": "SMITH, JANE" if role == "MD" else "ROE, ANN",
                    "staff_role": role,
                    "reason": "refill request",
                    "icd_codes": dx,
                    "minutes": None if minutes is None else str(minutes),
                }
            )
        for entry in case.get("phm", []):
            activity_date, minutes, *role = entry
            rows["practice_minutes"].append(
                {
                    "patient_acct_no": acct,
                    "activity_date": activity_date,
                    "minutes": str(minutes),
                    "staff_name": "DOE, JOHN" if not role else "SMITH, JANE",
                    "staff_role": role[0] if role else "RN",
                    "activity": f"care plan review {activity_date}",
                    "program": "CCM",
                }
            )
        if "vendor" in case:
            rows["vendor_billing"].append(
                {
                    "patient_acct_no": acct,
                    "reported_month": f"{month}-01",
                    "total_minutes": str(case["vendor"]),
                    "care_manager": "VENDOR NURSE",
                    "care_manager_role": "RN",
                }
            )
        if "exclusion" in case:
            kind_text, cpt, service_date = case["exclusion"]
            rows["exclusions"].append(
                {
                    "patient_acct_no": acct,
                    "exclusion_type": kind_text,
                    "cpt_code": cpt,
                    "service_date": service_date,
                }
            )
    for kind, kind_rows in rows.items():
        if kind_rows:
            _insert(conn, kind, _new_load(conn, kind, month), month, kind_rows)


def _dbt(args: list[str], tmp_path: Path) -> None:
    from dbt.cli.main import dbtRunner

    result = dbtRunner().invoke(
        [
            *args,
            "--project-dir",
            str(DBT_PROJECT),
            "--profiles-dir",
            str(DBT_PROJECT),
            "--target-path",
            str(tmp_path / "target"),
            "--log-path",
            str(tmp_path / "logs"),
        ]
    )
    assert result.success, f"dbt {' '.join(args)} failed: {result.exception}"


def _build(month: str, tmp_path: Path, **policy) -> None:
    year, mon = (int(part) for part in month.split("-"))
    dbt_vars = dbt_vars_for_month(date(year, mon, 1), policy_config() | policy)
    _dbt(["build", "--vars", json.dumps(dbt_vars)], tmp_path)


def _billing(month: str) -> list[tuple]:
    with warehouse.connect() as conn:
        return conn.execute(
            "select patient_acct_no, cpt_code, units, date_of_service::text, qualifying_minutes "
            "from marts_build.fct_ccm_billing where service_month = %s "
            "order by patient_acct_no, cpt_code",
            (f"{month}-01",),
        ).fetchall()


def _reasons(month: str) -> dict[str, str]:
    """The reason each patient-month was not billed (the review list's blocking row)."""
    with warehouse.connect() as conn:
        rows = conn.execute(
            "select patient_acct_no, reason_code from marts_build.ccm_review_list "
            "where service_month = %s and blocks_billing",
            (f"{month}-01",),
        ).fetchall()
    reasons = dict(rows)
    assert len(reasons) == len(rows), f"more than one blocking reason per patient: {rows}"
    return reasons


@pytest.fixture(scope="module")
def seeded(warehouse_env, tmp_path_factory):
    tmp_path = tmp_path_factory.mktemp("dbt_seed")
    _dbt(["seed"], tmp_path)
    return warehouse_env


def test_2021_bands_bill_99490_and_99439_by_full_increments(seeded, tmp_path):
    _build("2021-03", tmp_path)

    assert _billing("2021-03") == [
        ("00000102", "99490", 1, "2021-03-31", 20),
        ("00000103", "99490", 1, "2021-03-31", 39),
        ("00000104", "99439", 1, "2021-03-31", 40),
        ("00000104", "99490", 1, "2021-03-31", 40),
        ("00000105", "99439", 1, "2021-03-31", 59),
        ("00000105", "99490", 1, "2021-03-31", 59),
        ("00000106", "99439", 2, "2021-03-31", 60),
        ("00000106", "99490", 1, "2021-03-31", 60),
        ("00000107", "99439", 2, "2021-03-31", 61),
        ("00000107", "99490", 1, "2021-03-31", 61),
    ]
    assert _reasons("2021-03") == {"00000101": "UNDER_THRESHOLD"}


def test_practice_and_vendor_minutes_are_summed_and_explained(seeded, tmp_path):
    _build("2021-03", tmp_path)

    with warehouse.connect() as conn:
        row = conn.execute(
            "select practice_minutes, vendor_minutes, family, explanation, code_table_row "
            "from marts_build.fct_ccm_billing "
            "where patient_acct_no = '00000104' and cpt_code = '99439'"
        ).fetchone()
    assert row[:3] == (25, 15, "STAFF_NONCOMPLEX")
    assert row[3].startswith("40 staff minutes (practice 25, TE 0, vendor 15) → 99490 + 99439×1")
    assert row[4] == "99439 2021-01-01.."


def test_95_minutes_without_complex_flag_caps_at_two_add_ons(seeded, tmp_path):
    _build("2022-08", tmp_path)

    assert _billing("2022-08") == [
        ("00000108", "99439", 2, "2022-08-31", 95),
        ("00000108", "99490", 1, "2022-08-31", 95),
    ]


@pytest.mark.parametrize(
    ("month", "expected"),
    [
        ("2020-12", [("00000109", "99490", 1), ("00000109", "G2058", 1)]),
        ("2021-01", [("00000110", "99439", 1), ("00000110", "99490", 1)]),
        ("2019-06", [("00000111", "99490", 1)]),
    ],
)
def test_add_on_code_follows_the_code_table_of_the_year(seeded, tmp_path, month, expected):
    _build(month, tmp_path)

    assert [row[:3] for row in _billing(month)] == expected


def test_complex_family_needs_the_flag_and_60_minutes(seeded, tmp_path):
    _build("2023-05", tmp_path)

    assert [row[:3] for row in _billing("2023-05")] == [
        ("00000114", "99487", 1),
        ("00000116", "99487", 1),
        ("00000116", "99489", 1),
    ]


def test_practitioner_minutes_count_as_staff_time_unless_practitioner_first(seeded, tmp_path):
    _build("2022-04", tmp_path)
    assert [row[:3] for row in _billing("2022-04")] == [
        ("00000118", "99490", 1),
        ("00000121", "99490", 1),
    ]

    _build("2022-04", tmp_path, policy_family="PRACTITIONER_FIRST")
    assert [row[:3] for row in _billing("2022-04")] == [
        ("00000118", "99491", 1),
        ("00000121", "99490", 1),
    ]


def test_consent_and_eligibility_failures_go_to_the_review_list(seeded, tmp_path):
    _build("2024-05", tmp_path)

    assert _billing("2024-05") == []
    assert _reasons("2024-05") == {
        "00000123": "UNDER_THRESHOLD",
        "00000124": "CONSENT_AFTER_MONTH",
        "00000125": "NO_CONSENT",
        "00000147": "NOT_ELIGIBLE",
    }
    with warehouse.connect() as conn:
        pre_consent = conn.execute(
            "select minutes_at_stake, pre_consent_minutes, rule_ids "
            "from marts_build.ccm_review_list where patient_acct_no = '00000123'"
        ).fetchone()
    assert pre_consent == (15, 12, "R1.1,E5")


@pytest.mark.parametrize(("exclude_hospice", "billed"), [(True, False), (False, True)])
def test_hospice_election_follows_its_switch(seeded, tmp_path, exclude_hospice, billed):
    _build("2024-09", tmp_path, exclude_hospice=exclude_hospice)

    assert bool(_billing("2024-09")) is billed
    assert _reasons("2024-09") == ({} if billed else {"00000126": "EXCLUDED_HOSPICE"})
    with warehouse.connect() as conn:
        listed = conn.execute(
            "select exclusion_type, applied, minutes_forfeited from marts_build.ccm_exclusion_list "
            "where service_month = '2024-09-01'"
        ).fetchall()
    assert listed == [("HOSPICE", not billed, 0 if billed else 25)]


@pytest.mark.parametrize(
    ("exclude_tcm", "expected_lines"),
    [(True, []), (False, [("00000131", "99490", 1, "2024-03-31", 30)])],
)
def test_tcm_switch_decides_from_2020(seeded, tmp_path, exclude_tcm, expected_lines):
    _build("2024-03", tmp_path, exclude_tcm=exclude_tcm)

    assert _billing("2024-03") == expected_lines
    assert _reasons("2024-03") == ({} if expected_lines else {"00000131": "EXCLUDED_TCM"})


def test_tcm_before_2020_is_barred_even_with_the_switch_off(seeded, tmp_path):
    _build("2019-03", tmp_path, exclude_tcm=False)

    assert _billing("2019-03") == []
    assert _reasons("2019-03") == {"00000133": "EXCLUDED_TCM"}
    with warehouse.connect() as conn:
        rule = conn.execute(
            "select rule_id, policy_switch_on, medicare_conflict "
            "from marts_build.ccm_exclusion_list where service_month = '2019-03-01'"
        ).fetchone()
    assert rule == ("C4", False, True)


def test_threshold_date_policy_dates_the_claim_when_20_minutes_were_reached(seeded, tmp_path):
    _build("2024-11", tmp_path, dos_policy="THRESHOLD_DATE")
    assert _billing("2024-11") == [("00000145", "99490", 1, "2024-11-18", 30)]

    _build("2024-11", tmp_path)
    assert _billing("2024-11") == [("00000145", "99490", 1, "2024-11-30", 30)]


def test_fqhc_bills_g0511_and_care_plan_oversight_bars_ccm(seeded, tmp_path):
    # G0181 is care plan oversight, which Medicare bars with CCM (C5) whatever the practice's
    # home-health switch says.
    _build("2024-06", tmp_path, facility_type="FQHC")
    assert _billing("2024-06") == [("00000150", "G0511", 1, "2024-06-30", 20)]
    assert _reasons("2024-06") == {"00000135": "EXCLUDED_CPO"}

    _build("2024-06", tmp_path, exclude_home_health=False)
    assert _billing("2024-06") == [("00000150", "99490", 1, "2024-06-30", 20)]
    assert _reasons("2024-06") == {"00000135": "EXCLUDED_CPO"}


def test_telephone_encounters_count_for_enrolled_and_are_triaged_for_others(seeded, tmp_path):
    _build("2025-06", tmp_path)

    assert _billing("2025-06") == [("00000143", "99490", 1, "2025-06-30", 22)]
    with warehouse.connect() as conn:
        enabled = conn.execute(
            "select patient_acct_no, minutes_counted, is_counted "
            "from marts_build.te_enabled_patients where service_month = '2025-06-01'"
        ).fetchall()
        others = conn.execute(
            "select patient_acct_no, suggested_action, suggested_code, chronic_condition_count "
            "from marts_build.te_not_enabled_patients where service_month = '2025-06-01' "
            "order by patient_acct_no"
        ).fetchall()
    assert enabled == [("00000143", 12, True)]
    assert others == [
        ("00000139", "CCM candidate", None, 3),
        ("00000141", "possible virtual check-in — provider review", "98016", 1),
        ("00000142", "possible virtual check-in — provider review", "G2252", 1),
    ]


def test_dbt_vars_carry_the_month_and_every_policy_key():
    dbt_vars = dbt_vars_for_month(date(2021, 3, 17), policy_config())

    assert dbt_vars["service_month"] == "2021-03"
    assert set(dbt_vars) - {"service_month"} == set(policy_config())


def test_dbt_vars_reject_an_unknown_policy_key():
    with pytest.raises(ValueError, match="exclude_tcms"):
        dbt_vars_for_month(date(2021, 3, 1), {"exclude_tcms": False})


def test_rerunning_a_month_replaces_it_and_keeps_other_months(seeded, tmp_path):
    _build("2021-01", tmp_path)
    _build("2021-01", tmp_path)
    _build("2020-12", tmp_path)

    assert len(_billing("2021-01")) == 2
    assert len(_billing("2020-12")) == 2
    with warehouse.connect() as conn:
        (summaries,) = conn.execute(
            "select count(*) from marts_build.ccm_month_summary where service_month = '2021-01-01'"
        ).fetchone()
    assert summaries == 1


@pytest.mark.parametrize(
    ("october_entry_months", "expected"),
    [
        # The October report says it holds September entries: its late entry counts (R9.7).
        (["2023-09-01", "2023-10-01"], [("00000190", "99490", 1, "2023-09-30", 25)]),
        # A load made before entry months were kept says nothing: it is read all the same.
        (None, [("00000190", "99490", 1, "2023-09-30", 25)]),
        # It says it holds October entries only: September's build does not read it.
        (["2023-10-01"], []),
    ],
)
def test_a_neighbouring_report_is_read_for_the_entries_it_dates_in_the_month(
    seeded, tmp_path, october_entry_months, expected
):
    """15 minutes on September's report and a late 10 dated 09-28 on October's."""
    with warehouse.connect() as conn:
        conn.execute(
            "delete from raw.file_loads where service_month between %s and %s",
            ("2023-09-01", "2023-10-01"),
        )
        _load_month(conn, "2023-09", {"00000190": {"phm": [("2023-09-12", 15)]}})
        october = _new_load(conn, "practice_minutes", "2023-10")
        late = {
            "patient_acct_no": "00000190",
            "activity_date": "2023-09-28",
            "minutes": "10",
            "staff_name": "DOE, JOHN",
            "staff_role": "RN",
            "activity": "late",
            "program": "CCM",
        }
        _insert(conn, "practice_minutes", october, "2023-10", [late])
        conn.execute(
            "update raw.file_loads set entry_months = %s::date[] where load_id = %s",
            (october_entry_months, october),
        )

    _build("2023-09", tmp_path)

    assert _billing("2023-09") == expected
