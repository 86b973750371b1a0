{{ config(
    on_schema_change='append_new_columns',
    pre_hook="{{ delete_service_month() }}",
) }}

with

patients as (
    select * from {{ ref('int_patient_months_assessed') }}
),

billed as (
    select distinct patient_acct_no from {{ ref('int_billing_lines_selected') }}
),

-- Enrolled patient-months, and any patient-month with minutes, that produced no claim line.
not_billed as (
    select
        patients.*,
        coalesce(patients.ineligibility_code, 'UNDER_THRESHOLD') as reason_code,
        coalesce(patients.ineligibility_rule_id, 'R1.1') as reason_rule_id
    from patients
    left join billed on patients.patient_acct_no = billed.patient_acct_no
    where
        billed.patient_acct_no is null
        and (
            patients.is_on_enabled_list
            or patients.total_minutes + patients.pre_consent_minutes
            + patients.after_death_minutes > 0
        )
),

final as (
    select
        service_month::date as service_month,
        patient_acct_no::text as patient_acct_no,
        patient_name::text as patient_name,
        provider_name::text as provider_name,
        reason_code::text as reason_code,
        staff_minutes::integer as staff_minutes,
        practitioner_minutes::integer as practitioner_minutes,
        pre_consent_minutes::integer as pre_consent_minutes,
        consent_date::date as consent_date,
        (case reason_code
            when 'UNDER_THRESHOLD'
                then
                    total_minutes || ' countable minutes (staff ' || staff_minutes
                    || ', practitioner ' || practitioner_minutes
                    || '): below 20 staff or 30 practitioner minutes'
            when 'NO_CONSENT' then 'enabled but no CCM consent date on file'
            when 'CONSENT_AFTER_MONTH'
                then
                    'consent dated ' || consent_date || ', after the service month'
            when 'CCM_ENDED' then 'CCM ended ' || ccm_end_date || ', before this month'
            when 'DECEASED' then 'date of death ' || date_of_death || ', before this month'
            when 'NOT_ELIGIBLE'
                then
                    'on the CCM-not-eligible list' || coalesce(' (' || list_reason || ')', '')
            when 'NOT_ENROLLED' then 'minutes logged but not on the CCM-enabled list'
            when 'NOT_MEDICARE'
                then
                    'primary insurance ' || coalesce(primary_insurance, '?')
                    || ' is not a billable payer'
            when 'FEWER_THAN_TWO_CONDITIONS'
                then
                    'one chronic condition on the problem list: PCM candidate'
            when 'PROGRAM_NOT_CCM' then 'the practice bills another programme this month'
            else
                'excluded: ' || lower(replace(substr(reason_code, 10), '_', ' '))
                || ' service this month (practice policy or Medicare conflict)'
        end
        || case
            when pre_consent_minutes > 0
                then '; ' || pre_consent_minutes || ' min before consent dropped'
            else ''
        end
        || case
            when role_dropped_minutes > 0
                then '; ' || role_dropped_minutes || ' min by non-clinical or unknown roles dropped'
            else ''
        end)::text as reason,
        (total_minutes + case
            when reason_code = 'CONSENT_AFTER_MONTH' then pre_consent_minutes else 0
        end)::integer as minutes_at_stake,
        concat_ws(
            ',', reason_rule_id, case when pre_consent_minutes > 0 then 'E5' end
        )::text as rule_ids
    from not_billed
)

select * from final
