-- R1.5-R1.7: each patient-month resolves to exactly one code family.
select
    service_month,
    patient_acct_no,
    count(distinct family) as families
from {{ ref('fct_ccm_billing') }}
group by service_month, patient_acct_no
having count(distinct family) > 1
