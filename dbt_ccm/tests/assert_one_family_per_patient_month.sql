-- R1.5-R1.7: each patient-month resolves to exactly one code family.
-- Reported in Dagster as a check on fct_ccm_billing.
{{ config(meta={'dagster': {'ref': {'name': 'fct_ccm_billing'}}}) }}
select
    service_month,
    patient_acct_no,
    count(distinct family) as families
from {{ ref('fct_ccm_billing') }}
where service_month = {{ month_start() }}  -- earlier months were checked when they were built
group by service_month, patient_acct_no
having count(distinct family) > 1
