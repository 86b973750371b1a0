-- Every diagnosis code the month's lists and TEs carry for a patient, checked against
-- ICD-10-CM and rated chronic (E6). Claim diagnoses (R6.6, §7): chronic codes only, the
-- problem list first in its own order, then the month's TE codes; a code appears once and a
-- 3-character category counts once toward E6.
with

patients as (
    select * from {{ ref('int_patients_month_listed') }}
),

code_set as (
    select * from {{ ref('int_icd10cm_codes_in_force') }}
),

problem_list as (
    select
        patients.patient_acct_no,
        upper(btrim(code.value)) as icd10_code,
        1 as source_rank,
        code.code_position
    from patients
    cross join
        lateral unnest(string_to_array(patients.chronic_conditions, ';'))
        with ordinality as code (value, code_position)
    where btrim(code.value) <> ''
),

-- A code's first appearance in the month's TEs, in the order a clerk reads them (date, row,
-- place in the row), as one number: days from the month's start, then the row, then the place
-- (a TE lists far fewer than 1,000 codes). Taking the least per patient and code groups the
-- month's three million TE codes once, where numbering them all and sorting for the first of
-- each took most of this model's time.
te_codes as (
    select
        te.patient_acct_no,
        upper(btrim(code.value)) as icd10_code,
        2 as source_rank,
        min(
            (te.encounter_date - {{ month_start() }})::bigint * 1000000000000
            + te.source_row::bigint * 1000
            + code.code_position
        ) as code_position
    from {{ ref('stg_ecw__telephone_encounters') }} as te
    cross join
        lateral unnest(string_to_array(te.icd_codes, ';'))
        with ordinality as code (value, code_position)
    where
        te.encounter_date between {{ month_start() }} and {{ month_end() }}
        -- A TE dated in the month is on its month's report or a neighbour's (R9.7); older
        -- files are not scanned, so the cost of a month stays flat as history grows.
        and te.service_month in ({{ window_file_months('telephone_encounters') }})
        and te.patient_acct_no is not null
        and btrim(code.value) <> ''
    group by te.patient_acct_no, upper(btrim(code.value))
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
        code_position
    from unioned
    order by patient_acct_no, icd10_code, source_rank, code_position
),

classified as (
    select
        first_seen.*,
        code_set.chronic_basis,
        code_set.code is not null as is_valid_icd10cm,
        coalesce(code_set.is_chronic, false) as is_chronic,
        coalesce(code_set.category, left(first_seen.icd10_code, 3)) as category
    from first_seen
    left join code_set on first_seen.icd10_code = code_set.code
),

final as (
    select
        {{ month_start() }} as service_month,
        patient_acct_no,
        icd10_code,
        category,
        is_valid_icd10cm,
        is_chronic,
        chronic_basis,
        source_rank,
        case
            when is_chronic
                then row_number() over (
                    partition by patient_acct_no, is_chronic
                    order by source_rank, code_position, icd10_code
                )
        end as dx_rank
    from classified
)

select * from final
