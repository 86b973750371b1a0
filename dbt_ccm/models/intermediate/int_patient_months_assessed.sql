with

patients as (
    select * from {{ ref('int_patients_month_listed') }}
),

minutes as (
    select * from {{ ref('int_patient_minutes_aggregated') }}
),

exclusions as (
    select * from {{ ref('int_exclusions_matched') }}
),

-- One exclusion decides the reason; the most restrictive stay first. Every exclusion found
-- is still listed on the exclusion list.
applied_exclusion as (
    select distinct on (patient_acct_no)
        patient_acct_no,
        exclusion_type,
        rule_id
    from exclusions
    where is_applied
    order by
        patient_acct_no,
        case exclusion_type
            when 'HOSPICE' then 1 when 'SNF' then 2 when 'CPO' then 3 when 'APCM' then 4
            when 'PCM' then 5 when 'ESRD' then 6 when 'TCM' then 7 when 'HOME_HEALTH' then 8
            else 9
        end
),

-- E1: a patient whose row of the month's enabled list was rejected by the reader is missing
-- from the list through a fault of the file, not because CCM was never enabled: the list has
-- to be fixed and dropped again, which the review reason says with the rejected cells.
enabled_rows_rejected as (
    select
        rejected.patient_acct_no,
        string_agg(
            coalesce('sheet ' || rejected.sheet_name || ', ', '')
            || 'row ' || rejected.source_row || ', ' || rejected.column_name || ' "'
            || coalesce(rejected.raw_value, '') || '": ' || rejected.reason,
            '; ' order by rejected.sheet_name, rejected.source_row, rejected.column_name
        ) as enabled_row_rejections
    from {{ source('raw', 'rejected_rows') }} as rejected
    inner join {{ source('raw', 'file_loads') }} as loads
        on rejected.load_id = loads.load_id
    where
        loads.status = 'current'
        and loads.report_kind = 'ccm_enabled'
        and loads.service_month = {{ month_start() }}
        and rejected.patient_acct_no is not null
    group by rejected.patient_acct_no
),

population as (
    select patient_acct_no from patients
    union
    select patient_acct_no from minutes
),

-- E6: chronic per AHRQ CCIR (plus the practice seed), distinct by 3-character category
-- (E11.9 and E11.65 are one), from the problem list and the month's TE diagnoses. A code that
-- is not ICD-10-CM is not counted and goes to the review list.
conditions as (
    select
        patient_acct_no,
        count(distinct category) filter (where is_chronic) as chronic_condition_count,
        string_agg(icd10_code, ';' order by icd10_code) filter (where not is_valid_icd10cm)
            as invalid_dx_codes
    from {{ ref('int_patient_diagnoses_ranked') }}
    group by patient_acct_no
),

-- E13: the payer type of the primary insurance by the seed's patterns (lowest rank wins), so
-- a Medicare Advantage plan named "... Medicare ..." is not fee-for-service.
payer_patterns as (
    select * from {{ ref('payer_types') }}
),

payers as (
    select distinct on (patients.patient_acct_no)
        patients.patient_acct_no,
        payer_patterns.payer_type
    from patients
    inner join payer_patterns
        on upper(patients.primary_insurance) like payer_patterns.pattern
    order by patients.patient_acct_no, payer_patterns.match_rank, payer_patterns.pattern
),

joined as (
    select
        {{ month_start() }} as service_month,
        population.patient_acct_no,
        patients.patient_name,
        patients.dob,
        coalesce(patients.is_on_enabled_list, false) as is_on_enabled_list,
        coalesce(patients.is_on_not_enabled_list, false) as is_on_not_enabled_list,
        coalesce(patients.is_on_not_eligible_list, false) as is_on_not_eligible_list,
        patients.list_reason,
        patients.consent_date,
        patients.consent_source,
        patients.ccm_end_date,
        coalesce(patients.is_complex_ccm, false) as is_complex_ccm,
        patients.chronic_conditions,
        conditions.chronic_condition_count,
        patients.date_of_death,
        patients.primary_insurance,
        patients.provider_name,
        patients.provider_npi,
        coalesce(minutes.staff_minutes, 0) as staff_minutes,
        coalesce(minutes.practitioner_minutes, 0) as practitioner_minutes,
        coalesce(minutes.practice_minutes, 0) as practice_minutes,
        coalesce(minutes.te_minutes, 0) as te_minutes,
        coalesce(minutes.vendor_minutes, 0) as vendor_minutes,
        coalesce(minutes.pre_consent_minutes, 0) as pre_consent_minutes,
        coalesce(minutes.after_death_minutes, 0) as after_death_minutes,
        coalesce(minutes.role_dropped_minutes, 0) as role_dropped_minutes,
        coalesce(minutes.duplicate_minutes, 0) as duplicate_minutes,
        coalesce(minutes.probable_duplicate_minutes, 0) as probable_duplicate_minutes,
        coalesce(minutes.conflicting_copies, 0) as conflicting_copies,
        coalesce(minutes.other_practitioner_minutes, 0) as other_practitioner_minutes,
        coalesce(minutes.unknown_role_minutes, 0) as unknown_role_minutes,
        coalesce(minutes.non_clinical_minutes, 0) as non_clinical_minutes,
        coalesce(minutes.billed_separately_minutes, 0) as billed_separately_minutes,
        minutes.unknown_roles,
        coalesce(minutes.has_vendor_total, false) as has_vendor_total,
        applied_exclusion.exclusion_type as applied_exclusion_type,
        applied_exclusion.rule_id as applied_exclusion_rule_id,
        conditions.invalid_dx_codes,
        enabled_rows_rejected.enabled_row_rejections,
        payers.payer_type,
        -- TODO: a blank primary insurance is taken as billable (the sample lists leave it
        -- empty for Part B patients); remove when every enabled list carries the insurance.
        patients.primary_insurance is null
        or payers.payer_type = any({{ policy_text_array('billable_payers') }}) as is_billable_payer
    from population
    left join patients on population.patient_acct_no = patients.patient_acct_no
    left join minutes on population.patient_acct_no = minutes.patient_acct_no
    left join applied_exclusion
        on population.patient_acct_no = applied_exclusion.patient_acct_no
    left join conditions on population.patient_acct_no = conditions.patient_acct_no
    left join payers on population.patient_acct_no = payers.patient_acct_no
    left join enabled_rows_rejected
        on population.patient_acct_no = enabled_rows_rejected.patient_acct_no
),

-- The first failing check names the reason; the order follows §5.2.
assessed as (
    select
        *,
        staff_minutes + practitioner_minutes as total_minutes,
        case
            when {{ policy_choice('program', ['CCM', 'APCM']) }} <> 'CCM' then 'PROGRAM_NOT_CCM'
            when is_on_not_eligible_list then 'NOT_ELIGIBLE'
            when not is_on_enabled_list and enabled_row_rejections is not null
                then 'ENABLED_ROW_REJECTED'
            when not is_on_enabled_list then 'NOT_ENROLLED'
            when consent_date is null then 'NO_CONSENT'
            when consent_date > {{ month_end() }} then 'CONSENT_AFTER_MONTH'
            when ccm_end_date < {{ month_start() }} then 'CCM_ENDED'
            when date_of_death < {{ month_start() }} then 'DECEASED'
            when not is_billable_payer then 'NOT_MEDICARE'
            when coalesce(chronic_condition_count, 0) < 2 then 'FEWER_THAN_TWO_CONDITIONS'
            when applied_exclusion_type is not null then 'EXCLUDED_' || applied_exclusion_type
        end as ineligibility_code
    from joined
),

final as (
    select
        *,
        case ineligibility_code
            when 'PROGRAM_NOT_CCM' then 'R1.15'
            when 'NOT_ELIGIBLE' then 'E2'
            when 'NOT_ENROLLED' then 'E1'
            when 'ENABLED_ROW_REJECTED' then 'E1'
            when 'NO_CONSENT' then 'E3'
            when 'CONSENT_AFTER_MONTH' then 'E4'
            when 'CCM_ENDED' then 'R6.9'
            when 'DECEASED' then 'R6.2'
            when 'NOT_MEDICARE' then 'E13'
            when 'FEWER_THAN_TWO_CONDITIONS' then 'E6,R1.16'
            else applied_exclusion_rule_id
        end as ineligibility_rule_id
    from assessed
)

select * from final
