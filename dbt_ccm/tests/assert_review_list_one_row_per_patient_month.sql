-- The review list holds at most one blocking row per patient per service month (the first
-- failing check) and each finding once.
-- Reported in Dagster as a check on ccm_review_list.
{{ config(meta={'dagster': {'ref': {'name': 'ccm_review_list'}}}) }}
select
    service_month,
    patient_acct_no,
    count(*) filter (where blocks_billing) as blocking_rows,
    count(*) - count(distinct reason_code) as repeated_reasons
from {{ ref('ccm_review_list') }}
where service_month = {{ month_start() }}  -- earlier months were checked when they were built
group by service_month, patient_acct_no
having count(*) filter (where blocks_billing) > 1 or count(*) > count(distinct reason_code)
