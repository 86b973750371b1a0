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
        coalesce(patients.ineligibility_rule_id, 'R1.1') as reason_rule_id,
        true as blocks_billing
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

-- Data-quality findings a biller must see whether or not the month billed: copies of one entry
-- that disagree (R9.2), minutes set aside by R9.2 (4), C1/E11, D3/R9.5 or R5.2, and codes that
-- are not ICD-10-CM.
flags as (
    select
        patients.*,
        flag.reason_code,
        flag.reason_rule_id,
        false as blocks_billing
    from patients
    cross join
        lateral (
            values
            ('CONFLICTING_COPIES', 'R9.2', patients.conflicting_copies > 0),
            ('PROBABLE_DUPLICATE', 'R9.2(4)', patients.probable_duplicate_minutes > 0),
            ('OTHER_PRACTITIONER_MINUTES', 'C1,E11', patients.other_practitioner_minutes > 0),
            ('UNKNOWN_ROLE', 'D3,R9.5', patients.unknown_role_minutes > 0),
            ('NON_CLINICAL_MINUTES', 'D3,R9.5', patients.non_clinical_minutes > 0),
            ('BILLED_SEPARATELY', 'R5.2,C16', patients.billed_separately_minutes > 0),
            ('INVALID_DX', 'E6,E7', patients.invalid_dx_codes is not null)
        ) as flag (reason_code, reason_rule_id, is_raised)
    where flag.is_raised
),

listed as (
    select * from not_billed
    union all
    select * from flags
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
        blocks_billing,
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
            when 'ENABLED_ROW_REJECTED'
                then
                    'the CCM-enabled list''s row for this patient was rejected ('
                    || enabled_row_rejections || '): fix the list and drop it again'
            when 'NOT_MEDICARE'
                then
                    'primary insurance ' || coalesce(primary_insurance, '?')
                    || ' is not a billable payer'
            when 'FEWER_THAN_TWO_CONDITIONS'
                then
                    'one chronic condition on the problem list: PCM candidate'
            when 'PROGRAM_NOT_CCM' then 'the practice bills another programme this month'
            when 'CONFLICTING_COPIES'
                then
                    conflicting_copies
                    || case
                        when conflicting_copies = 1 then ' entry repeats' else ' entries repeat'
                    end
                    || ' the counted entry (same TE, or same staff, date and start time) with'
                    || ' other minutes: the copy in the latest report (its first row) counted,'
                    || ' check which is right'
            when 'PROBABLE_DUPLICATE'
                then
                    probable_duplicate_minutes
                    || ' practice min match the vendor total: probable duplicate, counted once'
                    || ' until confirmed'
            when 'OTHER_PRACTITIONER_MINUTES'
                then
                    other_practitioner_minutes
                    || ' min under another practitioner: second practitioner, not billable'
                    || ' under CCM and not added to ' || coalesce(provider_name, 'the enrolled')
                    || '''s total'
            when 'UNKNOWN_ROLE'
                then
                    unknown_role_minutes || ' min by an unmapped staff role ('
                    || coalesce(unknown_roles, '?') || '): not counted until the role is mapped'
            when 'NON_CLINICAL_MINUTES'
                then non_clinical_minutes || ' min by non-clinical staff: never counted'
            when 'BILLED_SEPARATELY'
                then
                    billed_separately_minutes
                    || ' TE min billed on their own (virtual check-in): not counted toward CCM'
            when 'INVALID_DX' then 'not ICD-10-CM codes: ' || invalid_dx_codes
            when 'EXCLUDED_CPO'
                then 'care plan oversight (G0181/G0182) billed this month: CMS bars CCM'
            when 'EXCLUDED_PCM' then 'PCM billed same month by the same practitioner'
            when 'EXCLUDED_APCM' then 'APCM billed same month by the same practitioner'
            when 'EXCLUDED_ESRD' then 'ESRD monthly services this month: verify with the MAC'
            when 'EXCLUDED_SNF'
                then 'facility paid for care management (SNF Part A stay) this month'
            when 'EXCLUDED_HOSPICE' then 'hospice overlap this month: review'
            else
                'excluded: ' || lower(replace(substr(reason_code, 10), '_', ' '))
                || ' service this month (practice policy or Medicare conflict)'
        end
        || case
            when pre_consent_minutes > 0 and blocks_billing
                then '; ' || pre_consent_minutes || ' min before consent dropped'
            else ''
        end
        || case
            when role_dropped_minutes > 0 and blocks_billing
                then '; ' || role_dropped_minutes || ' min by non-clinical or unknown roles dropped'
            else ''
        end)::text as reason,
        (case when blocks_billing then total_minutes else 0 end + case
            when reason_code = 'CONSENT_AFTER_MONTH' then pre_consent_minutes else 0
        end)::integer as minutes_at_stake,
        concat_ws(
            ',', reason_rule_id,
            case when pre_consent_minutes > 0 and blocks_billing then 'E5' end
        )::text as rule_ids
    from listed
)

select * from final
