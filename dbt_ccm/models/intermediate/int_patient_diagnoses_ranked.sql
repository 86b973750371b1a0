-- Claim diagnoses (R6.6): the problem list first, in its own order, then chronic codes from
-- the month's TEs; a code appears once.
with

patients as (
    select * from {{ ref('int_patients_month_listed') }}
),

chronic_categories as (
    select * from {{ ref('chronic_condition_categories') }}
    where
        effective_from <= {{ month_end() }}
        and (effective_to is null or effective_to >= {{ month_start() }})
),

problem_list as (
    select
        patients.patient_acct_no,
        btrim(code.value) as icd10_code,
        1 as source_rank,
        code.position
    from patients
    cross join
        lateral unnest(string_to_array(patients.chronic_conditions, ';'))
        with ordinality as code (value, position)
    where btrim(code.value) <> ''
),

te_codes as (
    select
        te.patient_acct_no,
        btrim(code.value) as icd10_code,
        2 as source_rank,
        row_number() over (
            partition by te.patient_acct_no order by te.encounter_date, te.source_row, code.position
        ) as position
    from {{ ref('stg_ecw__telephone_encounters') }} as te
    cross join
        lateral unnest(string_to_array(te.icd_codes, ';'))
        with ordinality as code (value, position)
    inner join chronic_categories
        on
            left(btrim(code.value), 3) between chronic_categories.category_from
            and chronic_categories.category_to
    where
        te.encounter_date between {{ month_start() }} and {{ month_end() }}
        and btrim(code.value) <> ''
),

unioned as (
    select * from problem_list
    union all
    select * from te_codes
),

first_seen as (
    select distinct on (patient_acct_no, icd10_code)
        patient_acct_no,
        icd10_code,
        source_rank,
        position
    from unioned
    order by patient_acct_no, icd10_code, source_rank, position
),

final as (
    select
        {{ month_start() }} as service_month,
        patient_acct_no,
        icd10_code,
        row_number() over (
            partition by patient_acct_no order by source_rank, position, icd10_code
        ) as dx_rank
    from first_seen
)

select * from final
