{{ config(
    on_schema_change='append_new_columns',
    pre_hook="{{ delete_service_month() }}",
) }}

with

exclusions as (
    select * from {{ ref('int_exclusions_matched') }}
),

patients as (
    select * from {{ ref('int_patient_months_assessed') }}
),

final as (
    select
        exclusions.service_month::date as service_month,
        exclusions.patient_acct_no::text as patient_acct_no,
        patients.provider_name::text as provider_name,
        exclusions.exclusion_type::text as exclusion_type,
        exclusions.exclusion_type_reported::text as exclusion_type_reported,
        exclusions.cpt_code::text as cpt_code,
        exclusions.service_date::date as service_date,
        exclusions.service_end_date::date as service_end_date,
        exclusions.is_applied as applied,
        exclusions.is_switch_on as policy_switch_on,
        exclusions.is_cms_barred as medicare_conflict,
        exclusions.rule_id::text as rule_id,
        exclusions.load_id::bigint as load_id,
        exclusions.source_row::integer as source_row,
        coalesce(patients.patient_name, exclusions.patient_name)::text as patient_name,
        coalesce(patients.is_on_enabled_list, false) as is_enabled,
        (case
            when exclusions.is_applied
                then coalesce(patients.staff_minutes + patients.practitioner_minutes, 0)
            else 0
        end)::integer as minutes_forfeited
    from exclusions
    left join patients on exclusions.patient_acct_no = patients.patient_acct_no
)

select * from final
