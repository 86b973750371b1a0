with

current_loads as (
    select load_id from {{ source('raw', 'file_loads') }}
    where status = 'current'
),

source as (
    select src.*
    from {{ source('raw', 'telephone_encounters') }} as src
    inner join current_loads on src.load_id = current_loads.load_id
),

final as (
    select
        load_id,
        service_month,
        sheet_name,
        source_row,
        {{ blank_to_null('encounter_id') }} as encounter_id,
        {{ blank_to_null('patient_acct_no') }} as patient_acct_no,
        {{ blank_to_null('patient_name') }} as patient_name,
        {{ text_to_date('dob') }} as dob,
        {{ text_to_date('encounter_date') }} as encounter_date,
        {{ blank_to_null('provider_name') }} as provider_name,
        {{ blank_to_null('staff_name') }} as staff_name,
        {{ blank_to_null('staff_role') }} as staff_role,
        {{ blank_to_null('reason') }} as reason,
        upper({{ blank_to_null('icd_codes') }}) as icd_codes,
        {{ text_to_int('minutes') }} as minutes
    from source
)

select * from final
