-- Everything the month's patient lists and vendor report say about each patient.
with

listed as (
    select *
    from {{ ref('stg_ecw__patients') }}
    where
        service_month = {{ month_start() }}
        and patient_acct_no is not null
),

enabled as (
    select *
    from {{ ref('stg_ecw__ccm_enabled') }}
    where service_month = {{ month_start() }}
),

vendor as (
    select
        patient_acct_no,
        min(patient_name) as patient_name,
        min(dob) as dob,
        min(consent_date) as consent_date,
        coalesce(bool_or(is_complex_ccm), false) as is_complex_ccm,
        min(billing_provider) as billing_provider
    from {{ ref('stg_vendor__monthly_report') }}
    where
        coalesce(reported_month, service_month) = {{ month_start() }}
        and patient_acct_no is not null
    group by patient_acct_no
),

list_flags as (
    select
        patient_acct_no,
        bool_or(list_status = 'enabled') as is_on_enabled_list,
        bool_or(list_status = 'not_enabled') as is_on_not_enabled_list,
        bool_or(list_status = 'not_eligible') as is_on_not_eligible_list,
        (array_agg(
            patient_name order by
                case list_status when 'enabled' then 1 when 'not_eligible' then 2 else 3 end,
                load_id, source_row
        ))[1] as patient_name,
        (array_agg(
            dob order by
                case list_status when 'enabled' then 1 when 'not_eligible' then 2 else 3 end,
                load_id, source_row
        ))[1] as dob,
        (array_agg(
            list_reason order by
                case list_status when 'not_eligible' then 1 when 'not_enabled' then 2 else 3 end,
                load_id, source_row
        ))[1] as list_reason,
        (
            array_agg(
                chronic_conditions order by
                    case list_status when 'enabled' then 1 else 2 end, load_id, source_row
            )
        )[1] as chronic_conditions,
        max(date_of_death) as date_of_death_any_list
    from listed
    group by patient_acct_no
),

all_patients as (
    select patient_acct_no from list_flags
    union
    select patient_acct_no from vendor
),

final as (
    select
        {{ month_start() }} as service_month,
        all_patients.patient_acct_no,
        coalesce(list_flags.patient_name, vendor.patient_name) as patient_name,
        coalesce(list_flags.dob, vendor.dob) as dob,
        coalesce(list_flags.is_on_enabled_list, false) as is_on_enabled_list,
        coalesce(list_flags.is_on_not_enabled_list, false) as is_on_not_enabled_list,
        coalesce(list_flags.is_on_not_eligible_list, false) as is_on_not_eligible_list,
        list_flags.list_reason,
        -- E3: consent comes from the enabled list; the vendor's consent date fills a gap.
        coalesce(enabled.consent_date, vendor.consent_date) as consent_date,
        case
            when enabled.consent_date is not null then 'enabled list'
            when vendor.consent_date is not null then 'vendor report'
        end as consent_source,
        enabled.ccm_end_date,
        coalesce(enabled.is_complex_ccm, false) or coalesce(vendor.is_complex_ccm, false)
            as is_complex_ccm,
        coalesce(enabled.chronic_conditions, list_flags.chronic_conditions) as chronic_conditions,
        coalesce(enabled.date_of_death, list_flags.date_of_death_any_list) as date_of_death,
        enabled.primary_insurance,
        coalesce(enabled.provider_name, vendor.billing_provider) as provider_name,
        enabled.provider_npi
    from all_patients
    left join list_flags on all_patients.patient_acct_no = list_flags.patient_acct_no
    left join enabled on all_patients.patient_acct_no = enabled.patient_acct_no
    left join vendor on all_patients.patient_acct_no = vendor.patient_acct_no
)

select * from final
