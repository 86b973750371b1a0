-- The review list holds one row per patient per service month.
select
    service_month,
    patient_acct_no,
    count(*) as rows_found
from {{ ref('ccm_review_list') }}
group by service_month, patient_acct_no
having count(*) > 1
