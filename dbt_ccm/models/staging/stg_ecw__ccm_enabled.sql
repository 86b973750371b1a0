with

current_loads as (
    select load_id from {{ source('raw', 'file_loads') }}
    where status = 'current'
),

source as (
    select src.*
    from {{ source('raw', 'ccm_enabled') }} as src
    inner join current_loads on src.load_id = current_loads.load_id
),

renamed as (
    select
        load_id,
        service_month,
        sheet_name,
        source_row,
        {{ blank_to_null('patient_acct_no') }} as patient_acct_no,
        {{ blank_to_null('patient_name') }} as patient_name,
        {{ text_to_date('dob') }} as dob,
        upper({{ blank_to_null('primary_insurance') }}) as primary_insurance,
        {{ blank_to_null('provider_name') }} as provider_name,
        {{ blank_to_null('provider_npi') }} as provider_npi,
        {{ text_to_date('consent_date') }} as consent_date,
        {{ text_to_date('ccm_end_date') }} as ccm_end_date,
        coalesce({{ yn_to_bool('complex_ccm') }}, false) as is_complex_ccm,
        {{ blank_to_null('chronic_conditions') }} as chronic_conditions,
        {{ text_to_date('date_of_death') }} as date_of_death
    from source
),

-- The key is one row per patient per month; a patient listed twice in one load (a report
-- that repeats a row across pages) keeps its first row.
ranked as (
    select
        *,
        row_number() over (
            partition by patient_acct_no, service_month order by load_id, source_row
        ) as row_rank
    from renamed
    where patient_acct_no is not null
),

final as (
    select
        load_id,
        service_month,
        sheet_name,
        source_row,
        patient_acct_no,
        patient_name,
        dob,
        primary_insurance,
        provider_name,
        provider_npi,
        consent_date,
        ccm_end_date,
        is_complex_ccm,
        chronic_conditions,
        date_of_death
    from ranked
    where row_rank = 1
)

select * from final
