-- §3: every family a patient-month qualifies for, priced and ranked by policy_family.
{% set family_policy = policy_choice(
    'policy_family', ['STAFF_FIRST', 'PRACTITIONER_FIRST', 'MAX_ALLOWED']
) %}
{% set facility = policy_choice('facility_type', ['PHYSICIAN_OFFICE', 'RHC', 'FQHC']) %}

with

eligible as (
    select *
    from {{ ref('int_patient_months_assessed') }}
    where ineligibility_code is null and total_minutes > 0
),

-- Code tables are effective-dated and joined on the service month (its last day), so a
-- backfilled 2020 month bills G2058 and 2021 onward bills 99439. G0511's end is policy.
codes as (
    select
        cpt_code,
        family,
        code_role,
        base_code,
        minutes_basis,
        threshold_minutes,
        increment_minutes,
        case when cpt_code = '99437' then {{ policy_int('cap_99437') }} else max_units end
            as max_units,
        effective_from,
        case
            when cpt_code = 'G0511' then {{ policy_date('g0511_last_dos') }} else effective_to
        end as effective_to
    from {{ ref('ccm_codes') }}
),

codes_in_force as (
    select *
    from codes
    where
        effective_from <= {{ month_end() }}
        and (effective_to is null or effective_to >= {{ month_end() }})
),

-- R1.8-R1.10: an RHC/FQHC bills G0511 while it is in force, the individual codes after.
families_allowed as (
    select distinct codes_in_force.family
    from codes_in_force
    where
        codes_in_force.code_role = 'base'
        and (
            case
                when
                    {{ facility }} in ('RHC', 'FQHC')
                    and exists (
                        select 1 from codes_in_force as g0511
                        where g0511.family = 'RHC_FQHC'
                    )
                    then codes_in_force.family = 'RHC_FQHC'
                else codes_in_force.family in ('STAFF_NONCOMPLEX', 'PRACTITIONER', 'COMPLEX')
            end
        )
),

base_options as (
    select
        eligible.service_month,
        eligible.patient_acct_no,
        eligible.staff_minutes,
        eligible.practitioner_minutes,
        eligible.total_minutes,
        base.family,
        base.cpt_code as base_code,
        base.threshold_minutes as base_threshold,
        base.effective_from as base_effective_from,
        base.effective_to as base_effective_to,
        case base.minutes_basis
            when 'PRACTITIONER' then eligible.practitioner_minutes
            else eligible.total_minutes
        end as qualifying_minutes
    from eligible
    cross join codes_in_force as base
    inner join families_allowed on base.family = families_allowed.family
    where
        base.code_role = 'base'
        -- E12: complex CCM only with the explicit flag, unless policy says otherwise.
        and (
            base.family <> 'COMPLEX'
            or eligible.is_complex_ccm
            or not {{ policy_flag('complex_requires_flag') }}
        )
),

qualified as (
    select *
    from base_options
    where qualifying_minutes >= base_threshold
),

with_add_ons as (
    select
        qualified.*,
        add_on.cpt_code as add_on_code,
        add_on.effective_from as add_on_effective_from,
        add_on.effective_to as add_on_effective_to,
        add_on.increment_minutes as add_on_increment,
        add_on.max_units as add_on_cap,
        floor(
            (qualified.qualifying_minutes - add_on.threshold_minutes)
            / add_on.increment_minutes
        )::integer as add_on_units_earned
    from qualified
    left join codes_in_force as add_on
        on add_on.code_role = 'add_on' and qualified.base_code = add_on.base_code
),

capped as (
    select
        *,
        case
            when add_on_code is null then 0
            else least(add_on_units_earned, coalesce(add_on_cap, add_on_units_earned))
        end as add_on_units
    from with_add_ons
),

-- Estimates are for MAX_ALLOWED only (§8): the year's figure, else the nearest earlier year,
-- else the earliest known.
estimates as (
    select distinct on (cpt_code)
        cpt_code,
        amount_usd
    from {{ ref('payment_estimates') }}
    order by
        cpt_code,
        estimate_year > extract(year from {{ month_start() }}),
        abs(estimate_year - extract(year from {{ month_start() }}))
),

priced as (
    select
        capped.*,
        coalesce(base_price.amount_usd, 0)
        + coalesce(add_on_price.amount_usd, 0) * capped.add_on_units as estimated_amount_usd
    from capped
    left join estimates as base_price on capped.base_code = base_price.cpt_code
    left join estimates as add_on_price on capped.add_on_code = add_on_price.cpt_code
),

ranked as (
    select
        *,
        case
            when add_on_units > 0 then base_code || ' + ' || add_on_code || '×' || add_on_units
            else base_code
        end as option_label,
        row_number() over (
            partition by patient_acct_no
            order by
                case {{ family_policy }}
                    when 'PRACTITIONER_FIRST'
                        then
                            case family
                                when 'RHC_FQHC' then 0 when 'PRACTITIONER' then 1
                                when 'COMPLEX' then 2 else 3
                            end
                    when 'MAX_ALLOWED' then 0
                    else
                        case family
                            when 'RHC_FQHC' then 0 when 'COMPLEX' then 1
                            when 'STAFF_NONCOMPLEX' then 2 else 3
                        end
                end,
                case when {{ family_policy }} = 'MAX_ALLOWED' then estimated_amount_usd end
                desc nulls last,
                family = 'STAFF_NONCOMPLEX' desc
        ) as option_rank
    from priced
),

final as (
    select
        *,
        option_rank = 1 as is_chosen,
        string_agg(option_label, '; ') filter (where option_rank > 1) over (
            partition by patient_acct_no
        ) as alternatives_considered
    from ranked
)

select * from final
