{{ config(
    on_schema_change='append_new_columns',
    pre_hook="{{ delete_service_month() }}",
) }}

with

billing as (
    select * from {{ ref('fct_ccm_billing') }}
    where service_month = {{ month_start() }}
),

-- §8: estimates for revenue reporting only, looked up by the date of service's year.
estimates as (
    select * from {{ ref('payment_estimates') }}
),

priced as (
    select
        billing.patient_acct_no,
        billing.cpt_code,
        billing.units,
        billing.billing_provider_npi as provider_npi,
        estimates.amount_usd,
        estimates.estimate_year,
        estimates.confidence,
        coalesce(billing.billing_provider_name, 'Unassigned') as provider_name
    from billing
    left join estimates
        on
            billing.cpt_code = estimates.cpt_code
            and billing.date_of_service between estimates.effective_from
            and coalesce(estimates.effective_to, billing.date_of_service)
),

final as (
    select
        {{ month_start() }}::date as service_month,
        provider_name::text as provider_name,
        max(provider_npi)::text as provider_npi,
        cpt_code::text as cpt_code,
        count(distinct patient_acct_no)::integer as patients_billed,
        count(*)::integer as code_lines,
        sum(units)::integer as units_billed,
        max(amount_usd)::numeric(10, 2) as estimate_per_unit_usd,
        max(estimate_year)::integer as estimate_year,
        max(confidence)::text as estimate_confidence,
        sum(units * amount_usd)::numeric(12, 2) as estimated_revenue_usd
    from priced
    group by provider_name, cpt_code
)

select * from final
