{{ config(
    on_schema_change='append_new_columns',
    pre_hook="{{ delete_service_month() }}",
) }}

with

entries as (
    select * from {{ ref('int_minute_entries_screened') }}
    where minutes_source = 'TE'
),

patients as (
    select * from {{ ref('int_patient_months_assessed') }}
),

final as (
    select
        entries.service_month::date as service_month,
        entries.encounter_id::text as encounter_id,
        entries.patient_acct_no::text as patient_acct_no,
        entries.activity_date::date as encounter_date,
        entries.entry_provider::text as provider_name,
        entries.staff_name::text as staff_name,
        entries.staff_role::text as staff_role,
        entries.role_category::text as role_category,
        entries.activity::text as reason,
        entries.icd_codes::text as icd_codes,
        entries.minutes::integer as minutes,
        entries.is_counted,
        entries.drop_reason::text as not_counted_reason,
        entries.load_id::bigint as load_id,
        entries.source_row::integer as source_row,
        coalesce(patients.patient_name, entries.patient_name)::text as patient_name,
        (case when entries.is_counted then entries.minutes else 0 end)::integer
            as minutes_counted,
        coalesce(entries.drop_rule_id, 'R5.1')::text as rule_id
    from entries
    left join patients on entries.patient_acct_no = patients.patient_acct_no
)

select * from final
