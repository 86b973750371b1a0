-- D1, R6.1, R6.2: the date of service falls inside its service month.
select *
from {{ ref('fct_ccm_billing') }}
where
    date_trunc('month', date_of_service)::date <> service_month
    or date_trunc('month', coalesce(service_period_start, date_of_service))::date <> service_month
