{{ config(
    on_schema_change='append_new_columns',
    pre_hook="{{ delete_service_month() }}",
) }}

with

-- Recent means the service month and the two before it, so a patient called last month
-- stays on the outreach list while the calls are fresh.
encounters as (
    select * from {{ ref('te_not_enabled_patients') }}
    where
        service_month between ({{ month_start() }} - interval '2 months')::date
        and {{ month_start() }}
        and is_ccm_candidate
),

-- A patient enrolled (or ruled not eligible) since the call is no longer an opportunity.
listed_now as (
    select * from {{ ref('int_patients_month_listed') }}
),

estimates as (
    select * from {{ ref('payment_estimates') }}
    where
        cpt_code = '99490'
        and effective_from <= {{ month_end() }}
        and coalesce(effective_to, {{ month_end() }}) >= {{ month_start() }}
),

candidates as (
    select
        encounters.patient_acct_no,
        max(encounters.patient_name) as patient_name,
        (array_agg(encounters.provider_name order by encounters.encounter_date desc))[1]
            as provider_name,
        (array_agg(encounters.list_status order by encounters.encounter_date desc))[1]
            as list_status,
        max(encounters.chronic_condition_count) as chronic_condition_count,
        count(*) as recent_te_count,
        coalesce(sum(encounters.minutes), 0) as recent_te_minutes,
        min(encounters.encounter_date) as first_te_date,
        max(encounters.encounter_date) as last_te_date,
        (
            select string_agg(distinct btrim(code.value), ';' order by btrim(code.value))
            from unnest(string_to_array(string_agg(encounters.icd_codes, ';'), ';')) as code (value)
            where btrim(code.value) <> ''
        ) as icd_codes
    from encounters
    left join listed_now on encounters.patient_acct_no = listed_now.patient_acct_no
    where
        not coalesce(listed_now.is_on_enabled_list, false)
        and not coalesce(listed_now.is_on_not_eligible_list, false)
    group by encounters.patient_acct_no
),

ranked as (
    select
        *,
        row_number() over (
            order by
                chronic_condition_count desc,
                recent_te_count desc,
                recent_te_minutes desc,
                last_te_date desc,
                patient_acct_no asc
        ) as outreach_rank
    from candidates
),

final as (
    select
        {{ month_start() }}::date as service_month,
        ranked.outreach_rank::integer as outreach_rank,
        ranked.patient_acct_no::text as patient_acct_no,
        ranked.patient_name::text as patient_name,
        coalesce(ranked.provider_name, 'Unassigned')::text as provider_name,
        ranked.list_status::text as list_status,
        ranked.chronic_condition_count::integer as chronic_condition_count,
        ranked.recent_te_count::integer as recent_te_count,
        ranked.recent_te_minutes::integer as recent_te_minutes,
        ranked.first_te_date::date as first_te_date,
        ranked.last_te_date::date as last_te_date,
        ranked.icd_codes::text as icd_codes,
        (select max(estimates.amount_usd) from estimates)::numeric(10, 2)
            as estimated_99490_per_month_usd,
        (
            'Not enrolled; ' || ranked.chronic_condition_count || ' chronic conditions and '
            || ranked.recent_te_count || ' call(s) since '
            || to_char(ranked.first_te_date, 'YYYY-MM-DD')
            || ': offer CCM with consent (E6, R5.5).'
        )::text as outreach_note
    from ranked
)

select * from final
