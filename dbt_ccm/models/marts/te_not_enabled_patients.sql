{{ config(
    on_schema_change='append_new_columns',
    pre_hook="{{ delete_service_month() }}",
) }}

with

patients as (
    select * from {{ ref('int_patients_month_listed') }}
),

-- A TE of the month from any report of the neighbouring months; a re-sent TE counts once.
telephone as (
    select
        *,
        row_number() over (
            partition by patient_acct_no, coalesce(encounter_id, load_id || ':' || source_row)
            order by service_month desc, load_id desc, source_row asc
        ) as dedup_rank
    from {{ ref('stg_ecw__telephone_encounters') }}
    where
        encounter_date between {{ month_start() }} and {{ month_end() }}
        and service_month in ({{ window_file_months('telephone_encounters') }})
        and patient_acct_no is not null
),

-- TODO: a patient whose enabled-list row the reader rejected lands here as 'unlisted' (the
-- review list names the row, ENABLED_ROW_REJECTED); give that a status of its own, or keep the
-- patient off this list, once billers say which they work from.
not_enabled as (
    select
        telephone.*,
        patients.chronic_conditions,
        coalesce(patients.is_on_not_eligible_list, false) as is_on_not_eligible_list,
        case
            when patients.is_on_not_eligible_list then 'not_eligible'
            when patients.is_on_not_enabled_list then 'not_enabled'
            else 'unlisted'
        end as list_status
    from telephone
    left join patients on telephone.patient_acct_no = patients.patient_acct_no
    where telephone.dedup_rank = 1 and not coalesce(patients.is_on_enabled_list, false)
),

chronic_codes as (
    select * from {{ ref('int_icd10cm_codes_in_force') }}
    where is_chronic
),

-- Materialised so the code set is hashed once: the planner estimates `not_enabled` at one
-- row, and with the unnest inlined it rescanned all ICD-10-CM codes per TE (82 s for 1,839
-- TEs at bench scale 0.02 in dbt, about 1 s this way).
not_enabled_codes as materialized (
    select
        not_enabled.load_id,
        not_enabled.source_row,
        upper(btrim(code.value)) as icd10_code
    from not_enabled
    cross join
        lateral unnest(
            string_to_array(
                concat_ws(';', not_enabled.icd_codes, not_enabled.chronic_conditions), ';'
            )
        ) as code (value)
),

-- E6 on the TE's own diagnoses plus the list's problem list, by 3-character category, chronic
-- per AHRQ CCIR and the practice seed.
conditions as (
    select
        not_enabled_codes.load_id,
        not_enabled_codes.source_row,
        count(distinct chronic_codes.category) as chronic_condition_count
    from not_enabled_codes
    inner join chronic_codes on not_enabled_codes.icd10_code = chronic_codes.code
    group by not_enabled_codes.load_id, not_enabled_codes.source_row
),

roles as (
    select * from {{ ref('staff_roles') }}
),

checkin_codes as (
    select * from {{ ref('virtual_checkin_codes') }}
),

-- R5.4: a virtual check-in must be the practitioner's own call; §6.2 picks the code by DOS.
suggested_codes as (
    select distinct on (not_enabled.load_id, not_enabled.source_row)
        not_enabled.load_id,
        not_enabled.source_row,
        checkin_codes.cpt_code
    from not_enabled
    inner join roles on upper(btrim(not_enabled.staff_role)) = roles.role_alias
    inner join checkin_codes
        on
            not_enabled.minutes between checkin_codes.min_minutes and checkin_codes.max_minutes
            and not_enabled.encounter_date >= checkin_codes.effective_from
            and (
                checkin_codes.effective_to is null
                or not_enabled.encounter_date <= checkin_codes.effective_to
            )
    where roles.role_category = 'P'
    order by not_enabled.load_id, not_enabled.source_row, checkin_codes.suggestion_rank
),

final as (
    select
        {{ month_start() }}::date as service_month,
        not_enabled.encounter_id::text as encounter_id,
        not_enabled.patient_acct_no::text as patient_acct_no,
        not_enabled.patient_name::text as patient_name,
        not_enabled.encounter_date::date as encounter_date,
        not_enabled.list_status::text as list_status,
        not_enabled.provider_name::text as provider_name,
        not_enabled.staff_name::text as staff_name,
        not_enabled.staff_role::text as staff_role,
        not_enabled.reason::text as reason,
        not_enabled.icd_codes::text as icd_codes,
        coalesce(conditions.chronic_condition_count, 0)::integer as chronic_condition_count,
        not_enabled.minutes::integer as minutes,
        (
            coalesce(conditions.chronic_condition_count, 0) >= 2
            and not not_enabled.is_on_not_eligible_list
        ) as is_ccm_candidate,
        (case
            when suggested_codes.cpt_code is not null
                then 'possible virtual check-in — provider review'
            when
                coalesce(conditions.chronic_condition_count, 0) >= 2
                and not not_enabled.is_on_not_eligible_list
                then 'CCM candidate'
            else 'not billable'
        end)::text as suggested_action,
        suggested_codes.cpt_code::text as suggested_code,
        (case
            when suggested_codes.cpt_code is not null then 'R5.4,R5.5'
            when coalesce(conditions.chronic_condition_count, 0) >= 2 then 'R5.5,E6'
            else 'R5.5'
        end)::text as rule_id,
        not_enabled.load_id::bigint as load_id,
        not_enabled.source_row::integer as source_row
    from not_enabled
    left join conditions
        on
            not_enabled.load_id = conditions.load_id
            and not_enabled.source_row = conditions.source_row
    left join suggested_codes
        on
            not_enabled.load_id = suggested_codes.load_id
            and not_enabled.source_row = suggested_codes.source_row
)

select * from final
