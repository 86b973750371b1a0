{{ config(
    on_schema_change='append_new_columns',
    pre_hook="{{ delete_service_month() }}",
) }}

with

lines as (
    select * from {{ ref('int_billing_lines_selected') }}
),

patients as (
    select * from {{ ref('int_patient_months_assessed') }}
),

diagnoses as (
    select
        patient_acct_no,
        max(icd10_code) filter (where dx_rank = 1) as dx1,
        max(icd10_code) filter (where dx_rank = 2) as dx2,
        max(icd10_code) filter (where dx_rank = 3) as dx3,
        max(icd10_code) filter (where dx_rank = 4) as dx4
    from {{ ref('int_patient_diagnoses_ranked') }}
    group by patient_acct_no
),

final as (
    select
        lines.service_month::date as service_month,
        lines.patient_acct_no::text as patient_acct_no,
        patients.patient_name::text as patient_name,
        patients.dob::date as dob,
        patients.provider_name::text as billing_provider_name,
        patients.provider_npi::text as billing_provider_npi,
        lines.cpt_code::text as cpt_code,
        lines.units::integer as units,
        lines.date_of_service::date as date_of_service,
        lines.service_period_start::date as service_period_start,
        {{ "'" ~ (var('place_of_service') | string | replace("'", "''")) ~ "'" }}::text
            as place_of_service,
        lines.qualifying_minutes::integer as qualifying_minutes,
        lines.staff_minutes::integer as staff_minutes,
        lines.practitioner_minutes::integer as practitioner_minutes,
        lines.practice_minutes::integer as practice_minutes,
        lines.te_minutes::integer as te_minutes,
        lines.vendor_minutes::integer as vendor_minutes,
        lines.minutes_unbilled::integer as minutes_unbilled,
        lines.family::text as family,
        diagnoses.dx1::text as dx1,
        diagnoses.dx2::text as dx2,
        diagnoses.dx3::text as dx3,
        diagnoses.dx4::text as dx4,
        patients.consent_date::date as consent_date,
        lines.alternatives_considered::text as alternatives_considered,
        lines.rule_ids::text as rule_ids,
        lines.code_table_row::text as code_table_row,
        lines.explanation::text as explanation
    from lines
    inner join patients on lines.patient_acct_no = patients.patient_acct_no
    left join diagnoses on lines.patient_acct_no = diagnoses.patient_acct_no
)

select * from final
