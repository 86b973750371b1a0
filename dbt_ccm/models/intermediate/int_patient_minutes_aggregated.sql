with

entries as (
    select * from {{ ref('int_minute_entries_screened') }}
),

final as (
    select
        service_month,
        patient_acct_no,
        coalesce(sum(minutes) filter (where is_counted and role_category = 'S'), 0)
            as staff_minutes,
        coalesce(sum(minutes) filter (where is_counted and role_category = 'P'), 0)
            as practitioner_minutes,
        coalesce(sum(minutes) filter (where is_counted and minutes_source = 'PRACTICE'), 0)
            as practice_minutes,
        coalesce(sum(minutes) filter (where is_counted and minutes_source = 'TE'), 0)
            as te_minutes,
        coalesce(sum(minutes) filter (where is_counted and minutes_source = 'VENDOR'), 0)
            as vendor_minutes,
        coalesce(sum(minutes) filter (where drop_reason = 'BEFORE_CONSENT'), 0)
            as pre_consent_minutes,
        coalesce(sum(minutes) filter (where drop_reason = 'AFTER_DEATH'), 0)
            as after_death_minutes,
        coalesce(sum(minutes) filter (
            where drop_reason in ('UNKNOWN_ROLE', 'NON_CLINICAL_ROLE')
        ), 0) as role_dropped_minutes,
        coalesce(sum(minutes) filter (where drop_reason = 'DUPLICATE'), 0) as duplicate_minutes,
        coalesce(sum(minutes) filter (where drop_reason = 'PROBABLE_DUPLICATE'), 0)
            as probable_duplicate_minutes,
        count(*) filter (where drop_reason = 'DUPLICATE' and differs_from_counted_copy)
            as conflicting_copies,
        coalesce(sum(minutes) filter (where drop_reason = 'OTHER_PRACTITIONER'), 0)
            as other_practitioner_minutes,
        coalesce(sum(minutes) filter (where drop_reason = 'UNKNOWN_ROLE'), 0)
            as unknown_role_minutes,
        coalesce(sum(minutes) filter (where drop_reason = 'NON_CLINICAL_ROLE'), 0)
            as non_clinical_minutes,
        coalesce(sum(minutes) filter (where drop_reason = 'BILLED_SEPARATELY'), 0)
            as billed_separately_minutes,
        coalesce(sum(minutes) filter (where drop_reason = 'OUTSIDE_MONTH'), 0)
            as outside_month_minutes,
        string_agg(distinct staff_role, ', ') filter (where drop_reason = 'UNKNOWN_ROLE')
            as unknown_roles,
        bool_or(is_vendor_total and is_counted) as has_vendor_total
    from entries
    group by service_month, patient_acct_no
)

select * from final
