-- D1, R6.1, R6.2: the date of service falls inside its service month.
-- Reported in Dagster as a check on fct_ccm_billing.
{{ config(meta={'dagster': {'ref': {'name': 'fct_ccm_billing'}}}) }}
select *
from {{ ref('fct_ccm_billing') }}
where
    service_month = {{ month_start() }}  -- earlier months were checked when they were built
    and (
        date_trunc('month', date_of_service)::date <> service_month
        or date_trunc('month', coalesce(service_period_start, date_of_service))::date
        <> service_month
    )
