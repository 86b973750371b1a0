with

entries as (
    select * from {{ ref('int_minute_entries_unioned') }}
),

patients as (
    select * from {{ ref('int_patients_month_listed') }}
),

-- TODO: R9.2 (3) PHM-vs-TE near-duplicates (minutes within 1, similar activity text) are not
-- merged yet; remove when a text-similarity threshold is agreed with the practice.
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
                lower(coalesce(entries.activity, '')), lower(coalesce(entries.care_program, '')),
                upper(coalesce(entries.staff_role, ''))
            )
        end as dedup_key
    from entries
),

-- The copy in the latest report counts, its first row if the report repeats it. A copy whose
-- minutes differ from the counted one (the same TE, or the same person's call at the same
-- time, logged once as 10 and once as 25) is not the entry re-sent: which is right is a
-- biller's call, so the month is flagged.
ranked as (
    select
        *,
        row_number() over latest_first as dedup_rank,
        coalesce(minutes, -1)
        <> coalesce(first_value(minutes) over latest_first, -1) as differs_from_counted_copy
    from keyed
    window latest_first as (
        partition by patient_acct_no, dedup_key
        order by file_month desc, load_id desc, source_row asc
    )
),

-- Vendor totals carry no dates; for a patient who died mid-month the total is dated at death
-- rather than dropped, and flagged for review.
dated as (
    select
        ranked.*,
        patients.consent_date,
        patients.date_of_death,
        patients.provider_name as patient_provider,
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

-- R9.2 (4): a practice or TE entry of the same patient, date and minutes as a vendor entry is
-- taken as the practice re-entering vendor work: the vendor entry is kept, the other set aside
-- and the month flagged for review (TC-30). A totals-only vendor report has one entry dated at
-- month end (R9.6) and no activity text, so date and minutes are all there is to compare; the
-- same minutes on another day are separate work and are summed (R9.1).
vendor_matches as (
    select
        practice.minute_entry_id,
        row_number() over (
            partition by vendor.minute_entry_id
            order by practice.minute_entry_id
        ) as match_rank
    from dated as practice
    inner join dated as vendor
        on
            practice.patient_acct_no = vendor.patient_acct_no
            and practice.counted_date = vendor.counted_date
            and practice.minutes = vendor.minutes
    where
        practice.minutes_source <> 'VENDOR'
        and vendor.minutes_source = 'VENDOR'
        and practice.dedup_rank = 1
        and vendor.dedup_rank = 1
),

probable_duplicates as (
    select distinct minute_entry_id
    from vendor_matches
    where match_rank = 1
),

flagged as (
    select
        dated.*,
        probable_duplicates.minute_entry_id is not null as is_probable_duplicate
    from dated
    left join probable_duplicates
        on dated.minute_entry_id = probable_duplicates.minute_entry_id
),

screened as (
    select
        *,
        case
            when activity_date is null then 'NO_DATE'
            when activity_date not between {{ month_start() }} and {{ month_end() }}
                then 'OUTSIDE_MONTH'
            when dedup_rank > 1 then 'DUPLICATE'
            when is_probable_duplicate then 'PROBABLE_DUPLICATE'
            when
                care_program is not null and upper(care_program) not like '%CCM%'
                and upper(care_program) not like '%CHRONIC CARE%'
                then 'NOT_CCM_PROGRAM'
            when coalesce(minutes, 0) <= 0 then 'NO_DURATION'
            when role_category is null then 'UNKNOWN_ROLE'
            when role_category = 'N' then 'NON_CLINICAL_ROLE'
            when billed_code is not null then 'BILLED_SEPARATELY'
            -- C1/E11: one billing practitioner per month, the one the patient consented with.
            when
                entry_provider is not null and patient_provider is not null
                and regexp_replace(lower(entry_provider), '[^a-z]', '', 'g')
                <> regexp_replace(lower(patient_provider), '[^a-z]', '', 'g')
                then 'OTHER_PRACTITIONER'
            when consent_date is not null and counted_date < consent_date then 'BEFORE_CONSENT'
            when date_of_death is not null and counted_date > date_of_death then 'AFTER_DEATH'
        end as drop_reason
    from flagged
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
        care_program,
        encounter_id,
        entry_provider,
        billed_code,
        icd_codes,
        dedup_key,
        differs_from_counted_copy,
        drop_reason is null as is_counted,
        drop_reason,
        case drop_reason
            when 'NO_DATE' then 'R9.7'
            when 'OUTSIDE_MONTH' then 'R9.7,D2'
            when 'DUPLICATE' then 'R9.2'
            when 'PROBABLE_DUPLICATE' then 'R9.2(4)'
            when 'BILLED_SEPARATELY' then 'R5.2,C16'
            when 'OTHER_PRACTITIONER' then 'C1,E11'
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
