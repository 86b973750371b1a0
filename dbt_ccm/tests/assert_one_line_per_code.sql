-- R6.3: one line per code per patient-month, units on the line.
-- Reported in Dagster as a check on fct_ccm_billing.
{{ config(meta={'dagster': {'ref': {'name': 'fct_ccm_billing'}}}) }}
select
    service_month,
    patient_acct_no,
    cpt_code,
    count(*) as line_count
from {{ ref('fct_ccm_billing') }}
where service_month = {{ month_start() }}  -- earlier months were checked when they were built
group by service_month, patient_acct_no, cpt_code
having count(*) > 1
