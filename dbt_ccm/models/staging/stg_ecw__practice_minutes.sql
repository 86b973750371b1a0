with

current_loads as (
    select load_id from {{ source('raw', 'file_loads') }}
    where status = 'current'
),

source as (
    select src.*
    from {{ source('raw', 'practice_minutes') }} as src
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
        {{ text_to_date('activity_date') }} as activity_date,
        {{ text_to_int('minutes') }} as minutes,
        {{ blank_to_null('start_time') }} as start_time,
        {{ blank_to_null('staff_name') }} as staff_name,
        {{ blank_to_null('staff_role') }} as staff_role,
        {{ blank_to_null('activity') }} as activity,
        {{ blank_to_null('program') }} as care_program
    from source
)

select * from final
