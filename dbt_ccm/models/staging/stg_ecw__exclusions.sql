with

current_loads as (
    select load_id from {{ source('raw', 'file_loads') }}
    where status = 'current'
),

source as (
    select src.*
    from {{ source('raw', 'exclusions') }} as src
    inner join current_loads on src.load_id = current_loads.load_id
),

final as (
    select
        load_id,
        service_month,
        sheet_name,
        source_row,
        {{ blank_to_null('patient_acct_no') }} as patient_acct_no,
        {{ blank_to_null('patient_name') }} as patient_name,
        {{ text_to_date('dob') }} as dob,
        {{ blank_to_null('exclusion_type') }} as exclusion_type_reported,
        upper({{ blank_to_null('cpt_code') }}) as cpt_code,
        {{ text_to_date('service_date') }} as service_date,
        {{ text_to_date('service_end_date') }} as service_end_date,
        {{ blank_to_null('provider_name') }} as provider_name,
        {{ blank_to_null('provider_npi') }} as provider_npi
    from source
)

select * from final
