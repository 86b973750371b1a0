-- R1.4: an add-on line is billed only with its own base code in the same patient-month.
-- Reported in Dagster as a check on fct_ccm_billing.
{{ config(meta={'dagster': {'ref': {'name': 'fct_ccm_billing'}}}) }}
with

add_on_lines as (
    select
        billing.service_month,
        billing.patient_acct_no,
        billing.cpt_code,
        codes.base_code
    from {{ ref('fct_ccm_billing') }} as billing
    inner join {{ ref('ccm_codes') }} as codes
        on billing.cpt_code = codes.cpt_code and codes.code_role = 'add_on'
    -- earlier months were checked when they were built
    where billing.service_month = {{ month_start() }}
),

final as (
    select add_on_lines.*
    from add_on_lines
    left join {{ ref('fct_ccm_billing') }} as base
        on
            add_on_lines.service_month = base.service_month
            and add_on_lines.patient_acct_no = base.patient_acct_no
            and add_on_lines.base_code = base.cpt_code
    where base.cpt_code is null
)

select * from final
