"""The marts shaped for Tableau agree with the billing list and with CCM_RULES §3."""

import pytest

ADD_ON_BY_YEAR = {2020: "G2058"}


def test_provider_analytics_add_up_to_the_billing_list(warehouse, published_months):
    for month in published_months:
        billed, units = warehouse.execute(
            "select count(distinct patient_acct_no), sum(units) from marts.fct_ccm_billing "
            "where service_month = %s",
            (month,),
        ).fetchone()
        by_provider = warehouse.execute(
            "select sum(patients_billed), sum(units_billed), sum(estimated_revenue_usd) "
            "from marts.ccm_provider_month_analytics where service_month = %s",
            (month,),
        ).fetchone()
        (revenue,) = warehouse.execute(
            "select coalesce(sum(estimated_revenue_usd), 0) from marts.ccm_provider_code_month "
            "where service_month = %s",
            (month,),
        ).fetchone()
        assert by_provider == (billed, units, revenue)


def test_the_worklist_counts_down_to_20_40_60_minutes(warehouse, published_months):
    for month in published_months:
        add_on = ADD_ON_BY_YEAR.get(month.year, "99439")
        rows = warehouse.execute(
            "select minutes_to_date, next_code, next_code_unit, next_threshold_minutes, "
            "minutes_needed, blocked_reason from marts.ccm_worklist_month_to_date "
            "where service_month = %s",
            (month,),
        ).fetchall()
        assert rows
        for minutes, code, unit, threshold, needed, blocked in rows:
            if blocked:
                assert needed == 0
            elif minutes < 20:
                assert (code, unit, threshold, needed) == ("99490", 1, 20, 20 - minutes)
            elif minutes < 60:
                expected_unit = 1 if minutes < 40 else 2
                assert (code, unit) == (add_on, expected_unit)
                assert minutes + needed == threshold == 20 + 20 * expected_unit
            else:
                assert (code, needed) == (None, 0)


def test_every_enrolled_patient_is_on_the_worklist_once(warehouse, published_months):
    for month in published_months:
        (duplicates,) = warehouse.execute(
            "select count(*) - count(distinct patient_acct_no) "
            "from marts.ccm_worklist_month_to_date where service_month = %s",
            (month,),
        ).fetchone()
        assert duplicates == 0
        (billed_missing,) = warehouse.execute(
            "select count(distinct b.patient_acct_no) from marts.fct_ccm_billing as b "
            "left join marts.ccm_worklist_month_to_date as w "
            "on b.service_month = w.service_month and b.patient_acct_no = w.patient_acct_no "
            "where b.service_month = %s and w.patient_acct_no is null",
            (month,),
        ).fetchone()
        assert billed_missing == 0


@pytest.mark.parametrize("column", ["chronic_condition_count", "recent_te_count"])
def test_enrolment_opportunities_are_ranked_candidates_not_enrolled(
    warehouse, published_months, column
):
    for month in published_months:
        rows = warehouse.execute(
            f"select outreach_rank, {column}, patient_acct_no "
            "from marts.ccm_enrolment_opportunities where service_month = %s "
            "order by outreach_rank",
            (month,),
        ).fetchall()
        assert [rank for rank, _, _ in rows] == list(range(1, len(rows) + 1))
        assert all(
            value >= (2 if column == "chronic_condition_count" else 1) for _, value, _ in rows
        )
        (enrolled,) = warehouse.execute(
            "select count(*) from marts.ccm_enrolment_opportunities as o "
            "inner join marts.fct_ccm_billing as b "
            "on o.service_month = b.service_month and o.patient_acct_no = b.patient_acct_no "
            "where o.service_month = %s",
            (month,),
        ).fetchone()
        assert enrolled == 0
