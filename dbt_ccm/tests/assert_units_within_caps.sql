-- R1.3, R2.3: base codes once, capped add-ons within their cap (99437 by the cap_99437 var).
-- Reported in Dagster as a check on fct_ccm_billing.
{{ config(meta={'dagster': {'ref': {'name': 'fct_ccm_billing'}}}) }}
select billing.*
from {{ ref('fct_ccm_billing') }} as billing
inner join {{ ref('ccm_codes') }} as codes
    on
        billing.cpt_code = codes.cpt_code
        and billing.date_of_service >= codes.effective_from
        and (codes.effective_to is null or billing.date_of_service <= codes.effective_to)
where
    billing.service_month = {{ month_start() }}  -- earlier months were checked when they were built
    and (
        billing.units < 1
        or billing.units > case
            when billing.cpt_code = '99437' then {{ var('cap_99437') | int }}
            else coalesce(codes.max_units, billing.units)
        end
    )
