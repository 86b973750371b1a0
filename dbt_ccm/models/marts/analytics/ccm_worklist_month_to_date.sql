{{ config(
    on_schema_change='append_new_columns',
    pre_hook="{{ delete_service_month() }}",
) }}

with

patients as (
    select * from {{ ref('int_patient_months_assessed') }}
    where is_on_enabled_list
),

entries as (
    select * from {{ ref('int_minute_entries_screened') }}
    where is_counted
),

-- The care manager is whoever logged the most counted clinical-staff minutes this month;
-- practitioners and the vendor's total only stand in when no staff member logged any.
care_managers as (
    select distinct on (patient_acct_no)
        patient_acct_no,
        staff_name as care_manager
    from (
        select
            patient_acct_no,
            staff_name,
            role_category,
            sum(minutes) as minutes
        from entries
        where staff_name is not null
        group by patient_acct_no, staff_name, role_category
    ) as by_staff
    order by patient_acct_no asc, (role_category = 'S') desc, minutes desc, staff_name asc
),

latest as (
    select
        patient_acct_no,
        max(counted_date) as last_activity_date
    from entries
    group by patient_acct_no
),

-- How far the month's reports reach: a partial month is read as of its latest entry.
reported_through as (
    select max(counted_date) as minutes_through_date
    from entries
),

-- §3 staff family: 99490 at 20 minutes, then one add-on unit per further 20, at most two.
-- The add-on is G2058 in 2020, 99439 from 2021 and none before 2020.
steps as (
    select
        patients.*,
        case
            when patients.total_minutes < 20 then 20
            when extract(year from {{ month_start() }}) < 2020 then null
            when patients.total_minutes < 40 then 40
            when patients.total_minutes < 60 then 60
        end as next_threshold,
        case
            when patients.total_minutes < 20 then '99490'
            when extract(year from {{ month_start() }}) < 2020 then null
            when patients.total_minutes >= 60 then null
            when extract(year from {{ month_start() }}) = 2020 then 'G2058'
            else '99439'
        end as next_code
    from patients
),

final as (
    select
        {{ month_start() }}::date as service_month,
        coalesce(care_managers.care_manager, 'Unassigned')::text as care_manager,
        coalesce(steps.provider_name, 'Unassigned')::text as provider_name,
        steps.provider_npi::text as provider_npi,
        steps.patient_acct_no::text as patient_acct_no,
        steps.patient_name::text as patient_name,
        steps.consent_date::date as consent_date,
        steps.staff_minutes::integer as staff_minutes,
        steps.practitioner_minutes::integer as practitioner_minutes,
        steps.total_minutes::integer as minutes_to_date,
        latest.last_activity_date::date as last_activity_date,
        reported_through.minutes_through_date::date as minutes_through_date,
        steps.next_code::text as next_code,
        (case
            when steps.next_code in ('99439', 'G2058') then (steps.next_threshold - 20) / 20
            when steps.next_code = '99490' then 1
        end)::integer as next_code_unit,
        steps.next_threshold::integer as next_threshold_minutes,
        (case
            when steps.ineligibility_code is null and steps.next_threshold is not null
                then steps.next_threshold - steps.total_minutes
            else 0
        end)::integer as minutes_needed,
        steps.ineligibility_code::text as blocked_reason,
        (case
            when steps.ineligibility_code is not null then 'blocked'
            when steps.next_threshold is null then 'cap reached'
            when steps.total_minutes < 20 then 'below 99490'
            else 'add-on in reach'
        end)::text as worklist_status
    from steps
    left join care_managers on steps.patient_acct_no = care_managers.patient_acct_no
    left join latest on steps.patient_acct_no = latest.patient_acct_no
    cross join reported_through
)

select * from final
