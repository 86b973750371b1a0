with

current_loads as (
    select load_id from {{ source('raw', 'file_loads') }}
    where status = 'current'
),

ccm_enabled as (
    select
        'enabled' as list_status,
        src.load_id,
        src.service_month,
        src.sheet_name,
        src.source_row,
        {{ blank_to_null('src.patient_acct_no') }} as patient_acct_no,
        {{ blank_to_null('src.patient_name') }} as patient_name,
        {{ text_to_date('src.dob') }} as dob,
        {{ blank_to_null('src.sex') }} as sex,
        {{ blank_to_null('src.primary_insurance') }} as primary_insurance,
        {{ blank_to_null('src.provider_name') }} as provider_name,
        {{ blank_to_null('src.provider_npi') }} as provider_npi,
        {{ blank_to_null('src.facility') }} as facility,
        {{ text_to_date('src.consent_date') }} as consent_date,
        {{ text_to_date('src.ccm_end_date') }} as ccm_end_date,
        {{ yn_to_bool('src.complex_ccm') }} as is_complex_ccm,
        {{ blank_to_null('src.chronic_conditions') }} as chronic_conditions,
        {{ text_to_date('src.date_of_death') }} as date_of_death,
        {{ blank_to_null('src.reason') }} as list_reason
    from {{ source('raw', 'ccm_enabled') }} as src
    inner join current_loads on src.load_id = current_loads.load_id
),

ccm_not_enabled as (
    select
        'not_enabled' as list_status,
        src.load_id,
        src.service_month,
        src.sheet_name,
        src.source_row,
        {{ blank_to_null('src.patient_acct_no') }} as patient_acct_no,
        {{ blank_to_null('src.patient_name') }} as patient_name,
        {{ text_to_date('src.dob') }} as dob,
        {{ blank_to_null('src.sex') }} as sex,
        {{ blank_to_null('src.primary_insurance') }} as primary_insurance,
        {{ blank_to_null('src.provider_name') }} as provider_name,
        {{ blank_to_null('src.provider_npi') }} as provider_npi,
        {{ blank_to_null('src.facility') }} as facility,
        {{ text_to_date('src.consent_date') }} as consent_date,
        {{ text_to_date('src.ccm_end_date') }} as ccm_end_date,
        {{ yn_to_bool('src.complex_ccm') }} as is_complex_ccm,
        {{ blank_to_null('src.chronic_conditions') }} as chronic_conditions,
        {{ text_to_date('src.date_of_death') }} as date_of_death,
        {{ blank_to_null('src.reason') }} as list_reason
    from {{ source('raw', 'ccm_not_enabled') }} as src
    inner join current_loads on src.load_id = current_loads.load_id
),

ccm_not_eligible as (
    select
        'not_eligible' as list_status,
        src.load_id,
        src.service_month,
        src.sheet_name,
        src.source_row,
        {{ blank_to_null('src.patient_acct_no') }} as patient_acct_no,
        {{ blank_to_null('src.patient_name') }} as patient_name,
        {{ text_to_date('src.dob') }} as dob,
        {{ blank_to_null('src.sex') }} as sex,
        {{ blank_to_null('src.primary_insurance') }} as primary_insurance,
        {{ blank_to_null('src.provider_name') }} as provider_name,
        {{ blank_to_null('src.provider_npi') }} as provider_npi,
        {{ blank_to_null('src.facility') }} as facility,
        {{ text_to_date('src.consent_date') }} as consent_date,
        {{ text_to_date('src.ccm_end_date') }} as ccm_end_date,
        {{ yn_to_bool('src.complex_ccm') }} as is_complex_ccm,
        {{ blank_to_null('src.chronic_conditions') }} as chronic_conditions,
        {{ text_to_date('src.date_of_death') }} as date_of_death,
        {{ blank_to_null('src.reason') }} as list_reason
    from {{ source('raw', 'ccm_not_eligible') }} as src
    inner join current_loads on src.load_id = current_loads.load_id
),

final as (
    select * from ccm_enabled
    union all
    select * from ccm_not_enabled
    union all
    select * from ccm_not_eligible
)

select * from final
