{% set dos_policy = policy_choice('dos_policy', ['MONTH_END', 'THRESHOLD_DATE', 'SPAN']) %}

with

chosen as (
    select * from {{ ref('int_billing_options_evaluated') }}
    where is_chosen
),

patient_months as (
    select * from {{ ref('int_patient_months_assessed') }}
),

daily_minutes as (
    select
        patient_acct_no,
        counted_date,
        sum(minutes) as total_minutes,
        coalesce(sum(minutes) filter (where role_category = 'P'), 0) as practitioner_minutes
    from {{ ref('int_minute_entries_screened') }}
    where is_counted
    group by patient_acct_no, counted_date
),

running_minutes as (
    select
        patient_acct_no,
        counted_date,
        sum(total_minutes) over (
            partition by patient_acct_no order by counted_date
        ) as running_total,
        sum(practitioner_minutes) over (
            partition by patient_acct_no order by counted_date
        ) as running_practitioner
    from daily_minutes
),

-- R6.1: under THRESHOLD_DATE the DOS is the day the last billed increment was completed.
threshold_dates as (
    select
        chosen.patient_acct_no,
        min(running_minutes.counted_date) as threshold_date
    from chosen
    inner join running_minutes on chosen.patient_acct_no = running_minutes.patient_acct_no
    where
        case chosen.family
            when 'PRACTITIONER' then running_minutes.running_practitioner
            else running_minutes.running_total
        end
        >= chosen.base_threshold + chosen.add_on_units * coalesce(chosen.add_on_increment, 0)
    group by chosen.patient_acct_no
),

dated as (
    select
        chosen.*,
        patient_months.date_of_death,
        patient_months.practice_minutes,
        patient_months.te_minutes,
        patient_months.vendor_minutes,
        patient_months.pre_consent_minutes,
        patient_months.consent_date,
        patient_months.has_vendor_total,
        -- R6.2: never after the date of death.
        least(
            case {{ dos_policy }}
                when
                    'THRESHOLD_DATE'
                    then coalesce(threshold_dates.threshold_date, {{ month_end() }})
                else {{ month_end() }}
            end,
            coalesce(patient_months.date_of_death, {{ month_end() }})
        ) as date_of_service,
        case when {{ dos_policy }} = 'SPAN' then {{ month_start() }} end as service_period_start
    from chosen
    inner join patient_months on chosen.patient_acct_no = patient_months.patient_acct_no
    left join threshold_dates on chosen.patient_acct_no = threshold_dates.patient_acct_no
),

described as (
    select
        *,
        greatest(
            qualifying_minutes - base_threshold - add_on_units * coalesce(add_on_increment, 0),
            0
        ) as minutes_unbilled,
        add_on_code is not null and add_on_units < add_on_units_earned as is_capped,
        concat(
            qualifying_minutes,
            case family when 'PRACTITIONER' then ' practitioner' else ' staff' end,
            ' minutes (practice ', practice_minutes, ', TE ', te_minutes,
            ', vendor ', vendor_minutes,
            case
                when family <> 'PRACTITIONER' and practitioner_minutes > 0
                    then ', incl. ' || practitioner_minutes || ' practitioner'
            end,
            ') → ', option_label, ', ', extract(year from service_month), ' code table',
            case
                when family = 'STAFF_NONCOMPLEX' and add_on_code is null and total_minutes >= 40
                    then '; no add-on code in force'
            end,
            case
                when add_on_code is not null and add_on_units < add_on_units_earned
                    then '; ' || (
                        qualifying_minutes - base_threshold
                        - add_on_units * add_on_increment
                    ) || ' min above the cap unbilled'
            end,
            case
                when pre_consent_minutes > 0
                    then
                        '; ' || pre_consent_minutes || ' min before consent ' || consent_date
                        || ' dropped'
            end,
            case when has_vendor_total then '; vendor total without detail' end,
            case when date_of_death is not null then '; DOS at date of death' end,
            case
                when alternatives_considered is not null
                    then '; also qualified: ' || alternatives_considered
            end
        ) as explanation,
        concat_ws(
            ',',
            case when family = 'COMPLEX' then 'E12' end,
            case when family <> 'PRACTITIONER' and practitioner_minutes > 0 then 'D5' end,
            case when pre_consent_minutes > 0 then 'E5' end,
            case when has_vendor_total then 'R9.6' end,
            'R6.1',
            case when date_of_death is not null then 'R6.2' end
        ) as common_rule_ids
    from dated
),

base_lines as (
    select
        service_month,
        patient_acct_no,
        family,
        base_code as cpt_code,
        1 as units,
        date_of_service,
        service_period_start,
        qualifying_minutes,
        staff_minutes,
        practitioner_minutes,
        practice_minutes,
        te_minutes,
        vendor_minutes,
        minutes_unbilled,
        alternatives_considered,
        concat_ws(',', 'R1.1', 'R1.7', common_rule_ids) as rule_ids,
        base_code || ' ' || base_effective_from || '..' || coalesce(base_effective_to::text, '')
            as code_table_row,
        explanation
    from described
),

add_on_lines as (
    select
        service_month,
        patient_acct_no,
        family,
        add_on_code as cpt_code,
        add_on_units as units,
        date_of_service,
        service_period_start,
        qualifying_minutes,
        staff_minutes,
        practitioner_minutes,
        practice_minutes,
        te_minutes,
        vendor_minutes,
        minutes_unbilled,
        alternatives_considered,
        concat_ws(
            ',', 'R1.2', 'R1.4', case when is_capped then 'R1.3' end, common_rule_ids
        ) as rule_ids,
        add_on_code || ' ' || add_on_effective_from || '..'
        || coalesce(add_on_effective_to::text, '') as code_table_row,
        explanation
    from described
    where add_on_units > 0
),

final as (
    select * from base_lines
    union all
    select * from add_on_lines
)

select * from final
