-- The review list holds one row per patient per service month.
-- Reported in Dagster as a check on ccm_review_list.
{{ config(meta={'dagster': {'ref': {'name': 'ccm_review_list'}}}) }}
select
    service_month,
    patient_acct_no,
    count(*) as rows_found
from {{ ref('ccm_review_list') }}
group by service_month, patient_acct_no
having count(*) > 1
