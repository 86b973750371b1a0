-- TCM under PERIOD scope reaches 30 days back, so the previous two months' reports are read;
-- a hospice election without an end date holds every later month (CCM-04), so it is read from
-- any earlier report.
with

exclusions as (
    select *
    from {{ ref('stg_ecw__exclusions') }}
    where
        service_month <= ({{ month_start() }} + interval '1 month')::date
        and (
            service_month >= ({{ month_start() }} - interval '2 month')::date
            or (upper(exclusion_type_reported) like '%HOSPICE%' and service_end_date is null)
        )
        and patient_acct_no is not null
),

patients as (
    select
        patient_acct_no,
        provider_npi,
        provider_name
    from {{ ref('int_patients_month_listed') }}
),

types as (
    select * from {{ ref('exclusion_types') }}
    where
        effective_from <= {{ month_end() }}
        and (effective_to is null or effective_to >= {{ month_start() }})
),

-- A code is more specific than a category word, so the CPT/HCPCS column decides first; the
-- type column may itself hold a code.
typed as (
    select
        exclusions.*,
        coalesce(
            by_code.exclusion_type, by_type_code.exclusion_type, by_alias.exclusion_type,
            'UNRECOGNISED'
        ) as exclusion_type,
        coalesce(by_code.cms_rule_id, by_type_code.cms_rule_id, by_alias.cms_rule_id)
            as cms_rule_id,
        coalesce(by_code.cms_barred_from, by_type_code.cms_barred_from, by_alias.cms_barred_from)
            as cms_barred_from,
        case
            when by_code.match_value is not null then by_code.cms_barred_to
            when by_type_code.match_value is not null then by_type_code.cms_barred_to
            else by_alias.cms_barred_to
        end as cms_barred_to
    from exclusions
    left join types as by_code
        on by_code.match_kind = 'CODE' and exclusions.cpt_code = by_code.match_value
    left join types as by_type_code
        on
            by_type_code.match_kind = 'CODE'
            and upper(exclusions.exclusion_type_reported) = by_type_code.match_value
    left join types as by_alias
        on
            by_alias.match_kind = 'ALIAS'
            and upper(regexp_replace(exclusions.exclusion_type_reported, '[\s_-]+', ' ', 'g'))
            = by_alias.match_value
),

-- P3: TCM counts in the month of its claim date (or in every month of its 30-day period when
-- tcm_month_scope = PERIOD); other stays count in every month their dates overlap, and the
-- month's own report is taken at its word when a row carries no dates.
in_month as (
    select
        *,
        case
            when exclusion_type = 'TCM' and service_date is not null
                then
                    case {{ policy_choice('tcm_month_scope', ['CLAIM_MONTH', 'PERIOD']) }}
                        when 'PERIOD'
                            then
                                service_date <= {{ month_end() }}
                                and service_date + 29 >= {{ month_start() }}
                        else service_date between {{ month_start() }} and {{ month_end() }}
                    end
            when
                exclusion_type = 'HOSPICE' and service_date is not null and service_end_date is null
                then service_date <= {{ month_end() }}
            when service_date is not null
                then (
                    service_date <= {{ month_end() }}
                    and coalesce(service_end_date, service_date) >= {{ month_start() }}
                )
                or service_month = {{ month_start() }}
            else service_month = {{ month_start() }}
        end as is_in_month
    from typed
),

deduplicated as (
    select
        *,
        row_number() over (
            partition by patient_acct_no, exclusion_type, cpt_code, service_date, service_end_date
            order by service_month desc, load_id desc, source_row asc
        ) as dedup_rank
    from in_month
    where is_in_month
),

-- C8/C9: PCM and APCM bar CCM only when the same practitioner bills them; a row naming
-- another NPI (or another provider) is listed but does not hold the month.
classified as (
    select
        {{ month_start() }} as service_month,
        deduplicated.patient_acct_no,
        deduplicated.patient_name,
        deduplicated.exclusion_type,
        deduplicated.exclusion_type_reported,
        deduplicated.cpt_code,
        deduplicated.service_date,
        deduplicated.service_end_date,
        deduplicated.provider_name,
        deduplicated.provider_npi,
        deduplicated.exclusion_type in ('PCM', 'APCM')
        and (
            deduplicated.provider_npi <> patients.provider_npi
            or (
                deduplicated.provider_npi is null
                and lower(deduplicated.provider_name) <> lower(patients.provider_name)
            )
        ) as is_other_practitioner,
        case deduplicated.exclusion_type
            when 'HOME_HEALTH' then {{ policy_flag('exclude_home_health') }}
            when 'TCM' then {{ policy_flag('exclude_tcm') }}
            when 'SNF' then {{ policy_flag('exclude_snf') }}
            when 'HOSPICE' then {{ policy_flag('exclude_hospice') }}
            -- An exclusion the seed cannot classify holds the month until someone maps it.
            else true
        end as is_switch_on,
        coalesce(
            {{ month_start() }} between deduplicated.cms_barred_from
            and coalesce(deduplicated.cms_barred_to, date '9999-12-31'),
            false
        ) as is_cms_barred,
        deduplicated.cms_rule_id,
        deduplicated.load_id,
        deduplicated.source_row
    from deduplicated
    left join patients on deduplicated.patient_acct_no = patients.patient_acct_no
    where dedup_rank = 1
),

final as (
    select
        *,
        (is_switch_on or is_cms_barred) and not coalesce(is_other_practitioner, false)
            as is_applied,
        case
            when is_other_practitioner then cms_rule_id || ' (other practitioner: allowed)'
            when is_cms_barred then cms_rule_id
            when exclusion_type = 'TCM' then 'P1,P3'
            else 'P1'
        end as rule_id
    from classified
)

select * from final
