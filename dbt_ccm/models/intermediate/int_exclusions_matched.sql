-- TCM under PERIOD scope reaches 30 days back, so the previous two months' reports are read;
-- a hospice election holds every later month until a report gives its end date (CCM-04), so
-- hospice rows are read from any earlier report.
with

exclusions as (
    select *
    from {{ ref('stg_ecw__exclusions') }}
    where
        service_month <= ({{ month_start() }} + interval '1 month')::date
        and (
            service_month >= ({{ month_start() }} - interval '2 month')::date
            or upper(exclusion_type_reported) like '%HOSPICE%'
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

-- The newest report's row of a stay (patient, type, code and start date) stands for it, so a
-- later report that gives a hospice election its end date ends the exclusion; a row without
-- dates stands for its own report only.
latest_report as (
    select
        *,
        row_number() over (
            partition by
                patient_acct_no, exclusion_type, cpt_code, service_date,
                case when service_date is null then service_month end
            order by service_month desc, load_id desc, source_row asc
        ) as report_rank
    from typed
),

-- P1: an exclusion holds the month it was billed or active in. TCM counts in the month of its
-- claim date, or in every month of its 30-day period when tcm_month_scope = PERIOD (P3); an
-- open hospice election in every month from its start; other stays in every month their
-- dates overlap. A row without dates is taken at its word for its own report's month.
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
            when service_date is not null
                then
                    service_date <= {{ month_end() }}
                    and coalesce(
                        service_end_date,
                        case when exclusion_type = 'HOSPICE' then date '9999-12-31' end,
                        service_date
                    ) >= {{ month_start() }}
            else service_month = {{ month_start() }}
        end as is_in_month
    from latest_report
    where report_rank = 1
),

-- C8/C9: PCM and APCM bar CCM only when the same practitioner bills them; a row naming
-- another NPI (or another provider) is listed but does not hold the month.
classified as (
    select
        {{ month_start() }} as service_month,
        in_month.patient_acct_no,
        in_month.patient_name,
        in_month.exclusion_type,
        in_month.exclusion_type_reported,
        in_month.cpt_code,
        in_month.service_date,
        in_month.service_end_date,
        in_month.provider_name,
        in_month.provider_npi,
        in_month.exclusion_type in ('PCM', 'APCM')
        and (
            in_month.provider_npi <> patients.provider_npi
            or (
                in_month.provider_npi is null
                and lower(in_month.provider_name) <> lower(patients.provider_name)
            )
        ) as is_other_practitioner,
        case in_month.exclusion_type
            when 'HOME_HEALTH' then {{ policy_flag('exclude_home_health') }}
            when 'TCM' then {{ policy_flag('exclude_tcm') }}
            when 'SNF' then {{ policy_flag('exclude_snf') }}
            when 'HOSPICE' then {{ policy_flag('exclude_hospice') }}
            -- An exclusion the seed cannot classify holds the month until someone maps it.
            else true
        end as is_switch_on,
        coalesce(
            {{ month_start() }} between in_month.cms_barred_from
            and coalesce(in_month.cms_barred_to, date '9999-12-31'),
            false
        ) as is_cms_barred,
        in_month.cms_rule_id,
        in_month.load_id,
        in_month.source_row
    from in_month
    left join patients on in_month.patient_acct_no = patients.patient_acct_no
    where in_month.is_in_month
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
