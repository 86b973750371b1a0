-- Files of the neighbouring months are read too where they hold entries dated in this month,
-- because an entry counts in the month of its own date (R9.7) whichever month's report carried
-- it (macro window_file_months); older files are not scanned, so the cost of a month stays flat
-- as history grows.

with

enabled_patients as (
    select patient_acct_no
    from {{ ref('int_patients_month_listed') }}
    where is_on_enabled_list
),

practice as (
    select
        'PRACTICE' as minutes_source,
        load_id,
        service_month as file_month,
        source_row,
        patient_acct_no,
        patient_name,
        activity_date,
        minutes,
        start_time,
        staff_name,
        staff_role,
        activity,
        care_program,
        cast(null as text) as encounter_id,
        cast(null as text) as entry_provider,
        cast(null as text) as billed_code,
        cast(null as text) as icd_codes
    from {{ ref('stg_ecw__practice_minutes') }}
    where service_month in ({{ window_file_months('practice_minutes') }})
),

-- R5.2: a TE billed on its own (its reason names a virtual check-in or audio-only code from
-- the seed) does not also count toward CCM.
-- TODO: the TE report has no billed-code column, so the code is read from the reason text;
-- remove when eCW's TE export carries the charge.
-- R5.1: phone work with a documented duration counts for enrolled patients only; TEs of
-- other patients go to the not-enabled TE list instead.
-- Only the TEs `final` keeps (dated in the month, or on the month's own file): the window's
-- other files are read for their rows dated in this month, and matching reasons against the
-- codes over all their rows cost more than the rest of this model.
telephone_rows as (
    select te.*
    from {{ ref('stg_ecw__telephone_encounters') }} as te
    inner join enabled_patients on te.patient_acct_no = enabled_patients.patient_acct_no
    where
        te.service_month in ({{ window_file_months('telephone_encounters') }})
        and (
            te.encounter_date between {{ month_start() }} and {{ month_end() }}
            or te.service_month = {{ month_start() }}
        )
),

-- A report repeats a handful of reasons over a million TEs: each reason is matched against
-- the codes once.
reason_codes as (
    select
        reasons.reason,
        min(codes.cpt_code) as billed_code
    from (select distinct reason from telephone_rows) as reasons
    inner join {{ ref('virtual_checkin_codes') }} as codes
        on upper(reasons.reason) ~ ('\m' || codes.cpt_code || '\M')
    group by reasons.reason
),

telephone as (
    select
        'TE' as minutes_source,
        telephone_rows.load_id,
        telephone_rows.service_month as file_month,
        telephone_rows.source_row,
        telephone_rows.patient_acct_no,
        telephone_rows.patient_name,
        telephone_rows.encounter_date as activity_date,
        telephone_rows.minutes,
        cast(null as text) as start_time,
        coalesce(telephone_rows.staff_name, telephone_rows.provider_name) as staff_name,
        telephone_rows.staff_role,
        telephone_rows.reason as activity,
        cast(null as text) as care_program,
        telephone_rows.encounter_id,
        telephone_rows.provider_name as entry_provider,
        reason_codes.billed_code,
        telephone_rows.icd_codes
    from telephone_rows
    left join reason_codes on telephone_rows.reason = reason_codes.reason
),

-- R9.6: vendor totals without detail are one clinical-staff entry dated at month end.
vendor as (
    select
        'VENDOR' as minutes_source,
        load_id,
        service_month as file_month,
        source_row,
        patient_acct_no,
        patient_name,
        cast((
            coalesce(reported_month, service_month) + interval '1 month' - interval '1 day'
        ) as date)
            as activity_date,
        total_minutes as minutes,
        cast(null as text) as start_time,
        care_manager as staff_name,
        coalesce(care_manager_role, 'CM') as staff_role,
        'vendor monthly total (vendor detail not provided)' as activity,
        'CCM' as care_program,
        cast(null as text) as encounter_id,
        billing_provider as entry_provider,
        cast(null as text) as billed_code,
        cast(null as text) as icd_codes
    from {{ ref('stg_vendor__monthly_report') }}
    where
        service_month in ({{ window_file_months('vendor_billing') }})
        and coalesce(reported_month, service_month) = {{ month_start() }}
),

unioned as (
    select * from practice
    union all
    select * from telephone
    union all
    select * from vendor
),

-- R9.5: practitioner roles are P; a practitioner other than the patient's billing one is
-- caught by the C1/E11 check in int_minute_entries_screened when the report names the provider.
-- TODO: PHM rows name no provider, so a second practitioner's PHM minutes are not caught;
-- remove when the PHM export carries the provider column.
roles as (
    select * from {{ ref('staff_roles') }}
),

final as (
    select
        unioned.*,
        roles.canonical_role,
        roles.role_category,
        unioned.minutes_source || ':' || unioned.load_id || ':' || unioned.source_row
            as minute_entry_id
    from unioned
    left join roles on upper(btrim(unioned.staff_role)) = roles.role_alias
    where
        unioned.patient_acct_no is not null
        and (
            unioned.activity_date between {{ month_start() }} and {{ month_end() }}
            or unioned.file_month = {{ month_start() }}
        )
)

select * from final
