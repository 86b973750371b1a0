with

entries as (
    select * from {{ ref('int_minute_entries_unioned') }}
),

patients as (
    select * from {{ ref('int_patients_month_listed') }}
),

-- TODO: R9.2 (3) PHM-vs-TE near-duplicates and (4) vendor-vs-practice probable duplicates
-- (TC-30) are not matched yet; remove when the vendor detail sheet is staged and a
-- text-similarity threshold is agreed with the practice.
-- R9.2 (1)-(2): the same TE number, or the same person starting at the same time on the same
-- day, or a row repeated field for field (a report re-sent or paginated twice) is one entry.
keyed as (
    select
        entries.*,
        case
            when entries.encounter_id is not null
                then 'TE|' || entries.encounter_id
            when entries.start_time is not null
                then concat_ws(
                    '|', entries.minutes_source, entries.activity_date,
                    lower(coalesce(entries.staff_name, '')), entries.start_time
                )
            else concat_ws(
                '|', entries.minutes_source, entries.activity_date,
                lower(coalesce(entries.staff_name, '')), coalesce(entries.minutes, -1),
                lower(coalesce(entries.activity, '')), lower(coalesce(entries.program, '')),
                upper(coalesce(entries.staff_role, ''))
            )
        end as dedup_key
    from entries
),

ranked as (
    select
        *,
        row_number() over (
            partition by patient_acct_no, dedup_key
            order by file_month desc, load_id desc, source_row asc
        ) as dedup_rank
    from keyed
),

-- Vendor totals carry no dates; for a patient who died mid-month the total is dated at death
-- rather than dropped, and flagged for review.
dated as (
    select
        ranked.*,
        patients.consent_date,
        patients.date_of_death,
        case
            when
                ranked.minutes_source = 'VENDOR'
                and patients.date_of_death between {{ month_start() }} and {{ month_end() }}
                then patients.date_of_death
            else ranked.activity_date
        end as counted_date
    from ranked
    left join patients on ranked.patient_acct_no = patients.patient_acct_no
),

screened as (
    select
        *,
        case
            when activity_date is null then 'NO_DATE'
            when activity_date not between {{ month_start() }} and {{ month_end() }}
                then 'OUTSIDE_MONTH'
            when dedup_rank > 1 then 'DUPLICATE'
            when
                program is not null and upper(program) not like '%CCM%'
                and upper(program) not like '%CHRONIC CARE%'
                then 'NOT_CCM_PROGRAM'
            when coalesce(minutes, 0) <= 0 then 'NO_DURATION'
            when role_category is null then 'UNKNOWN_ROLE'
            when role_category = 'N' then 'NON_CLINICAL_ROLE'
            when consent_date is not null and counted_date < consent_date then 'BEFORE_CONSENT'
            when date_of_death is not null and counted_date > date_of_death then 'AFTER_DEATH'
        end as drop_reason
    from dated
),

final as (
    select
        {{ month_start() }} as service_month,
        minute_entry_id,
        minutes_source,
        load_id,
        file_month,
        source_row,
        patient_acct_no,
        patient_name,
        activity_date,
        counted_date,
        minutes,
        start_time,
        staff_name,
        staff_role,
        canonical_role,
        role_category,
        activity,
        program,
        encounter_id,
        dedup_key,
        drop_reason is null as is_counted,
        drop_reason,
        case drop_reason
            when 'NO_DATE' then 'R9.7'
            when 'OUTSIDE_MONTH' then 'R9.7,D2'
            when 'DUPLICATE' then 'R9.2'
            when 'NOT_CCM_PROGRAM' then 'R9.1'
            when 'NO_DURATION' then 'R5.1'
            when 'UNKNOWN_ROLE' then 'D3,R9.5'
            when 'NON_CLINICAL_ROLE' then 'D3,R9.5'
            when 'BEFORE_CONSENT' then 'E5'
            when 'AFTER_DEATH' then 'R6.2'
        end as drop_rule_id,
        minutes_source = 'VENDOR' as is_vendor_total
    from screened
)

select * from final
