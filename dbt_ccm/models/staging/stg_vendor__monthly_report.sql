with

current_loads as (
    select load_id from {{ source('raw', 'file_loads') }}
    where status = 'current'
),

source as (
    select src.*
    from {{ source('raw', 'vendor_billing') }} as src
    inner join current_loads on src.load_id = current_loads.load_id
),

final as (
    select
        load_id,
        service_month,
        sheet_name,
        source_row,
        {{ blank_to_null('vendor_patient_id') }} as vendor_patient_id,
        {{ blank_to_null('patient_acct_no') }} as patient_acct_no,
        {{ blank_to_null('patient_name') }} as patient_name,
        {{ text_to_date('dob') }} as dob,
        -- Readers write the month as an ISO date or YYYY-MM; either way the 1st of the month.
        to_date(left({{ blank_to_null('reported_month') }}, 7), 'YYYY-MM') as reported_month,
        {{ text_to_int('total_minutes') }} as total_minutes,
        {{ blank_to_null('care_manager') }} as care_manager,
        {{ blank_to_null('care_manager_role') }} as care_manager_role,
        {{ blank_to_null('billing_provider') }} as billing_provider,
        {{ blank_to_null('suggested_codes') }} as suggested_codes,
        {{ text_to_date('consent_date') }} as consent_date,
        {{ yn_to_bool('complex_ccm') }} as is_complex_ccm
    from source
)

select * from final
