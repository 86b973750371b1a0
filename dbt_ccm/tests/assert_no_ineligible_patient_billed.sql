-- E1, E2, P1: a billed patient-month is on that month's enabled list, not on the not-eligible
-- list, and carries no applied exclusion; nor is it also held on the review list (a finding
-- row, blocks_billing = false, may sit beside a billed month).
-- Reported in Dagster as a check on fct_ccm_billing.
{{ config(meta={'dagster': {'ref': {'name': 'fct_ccm_billing'}}}) }}
with

billed as (
    select distinct
        service_month,
        patient_acct_no
    from {{ ref('fct_ccm_billing') }}
    where service_month = {{ month_start() }}  -- earlier months were checked when they were built
),

enabled as (
    select distinct
        service_month,
        patient_acct_no
    from {{ ref('stg_ecw__ccm_enabled') }}
    where service_month = {{ month_start() }}
),

not_eligible as (
    select distinct
        service_month,
        patient_acct_no
    from {{ ref('stg_ecw__patients') }}
    where service_month = {{ month_start() }} and list_status = 'not_eligible'
),

excluded as (
    select distinct
        service_month,
        patient_acct_no
    from {{ ref('ccm_exclusion_list') }}
    where service_month = {{ month_start() }} and applied
),

reviewed as (
    select distinct
        service_month,
        patient_acct_no
    from {{ ref('ccm_review_list') }}
    where service_month = {{ month_start() }} and blocks_billing
),

final as (
    select
        billed.*,
        'not enabled' as problem
    from billed
    left join enabled
        on
            billed.service_month = enabled.service_month
            and billed.patient_acct_no = enabled.patient_acct_no
    where enabled.patient_acct_no is null
    union all
    select
        billed.*,
        'on not-eligible list' as problem
    from billed
    inner join not_eligible
        on
            billed.service_month = not_eligible.service_month
            and billed.patient_acct_no = not_eligible.patient_acct_no
    union all
    select
        billed.*,
        'excluded' as problem
    from billed
    inner join excluded
        on
            billed.service_month = excluded.service_month
            and billed.patient_acct_no = excluded.patient_acct_no
    union all
    select
        billed.*,
        'also on review list' as problem
    from billed
    inner join reviewed
        on
            billed.service_month = reviewed.service_month
            and billed.patient_acct_no = reviewed.patient_acct_no
)

select * from final
