{{ config(
    on_schema_change='append_new_columns',
    pre_hook="{{ delete_service_month() }}",
) }}

with

billing as (
    select * from {{ ref('fct_ccm_billing') }}
    where service_month = {{ month_start() }}
),

review as (
    select * from {{ ref('ccm_review_list') }}
    where service_month = {{ month_start() }} and blocks_billing
),

by_code as (
    select
        cpt_code,
        count(distinct patient_acct_no) as patients,
        sum(units) as units
    from billing
    group by cpt_code
),

rejected as (
    select count(*) as rejected_rows
    from {{ source('raw', 'rejected_rows') }} as rejected_rows
    inner join {{ source('raw', 'file_loads') }} as file_loads
        on rejected_rows.load_id = file_loads.load_id
    where file_loads.status = 'current' and file_loads.service_month = {{ month_start() }}
),

final as (
    select
        {{ month_start() }}::date as service_month,
        (select count(distinct patient_acct_no) from billing)::integer as patients_billed,
        (select count(*) from billing)::integer as code_lines,
        (select coalesce(sum(units), 0) from billing)::integer as units_billed,
        (
            select
                string_agg(
                    cpt_code || ' ' || patients
                    || case when units > patients then ' (' || units || ' units)' else '' end,
                    ', ' order by cpt_code
                )
            from by_code
        )::text as patients_by_code,
        (
            select count(*) from review
            where reason_code like 'EXCLUDED%')::integer
            as patients_excluded,
        (
            select count(*) from review
            where reason_code = 'UNDER_THRESHOLD')::integer
            as patients_under_threshold,
        (
            select count(*) from review
            where reason_code <> 'UNDER_THRESHOLD' and reason_code not like 'EXCLUDED%'
        )::integer as patients_not_billed_other,
        (select rejected_rows from rejected)::integer as rejected_rows
)

select * from final
