-- E6: a code is chronic when AHRQ's CCIR says so, unless the practice seed adds or removes it
-- (by code or by 3-character category) for the service month. A header code that CCIR does
-- not rate takes its category's rating when the category has any chronic code.
with

codes as (
    select * from {{ source('reference', 'icd10cm_codes') }}
),

overrides as (
    select
        reason,
        upper(icd10_code) as icd10_code,
        upper(action) as override_action
    from {{ ref('chronic_condition_overrides') }}
    where
        effective_from <= {{ month_end() }}
        and (effective_to is null or effective_to >= {{ month_start() }})
),

category_rating as (
    select
        category,
        bool_or(is_chronic_ccir) as is_category_chronic
    from codes
    group by category
),

matched as (
    select
        codes.code,
        codes.description,
        codes.category,
        codes.is_chronic_ccir,
        coalesce(codes.is_chronic_ccir, category_rating.is_category_chronic, false)
            as is_chronic_ahrq,
        coalesce(by_code.override_action, by_category.override_action) as override_action,
        coalesce(by_code.reason, by_category.reason) as override_reason
    from codes
    left join category_rating on codes.category = category_rating.category
    left join overrides as by_code on codes.code = by_code.icd10_code
    left join overrides as by_category on codes.category = by_category.icd10_code
),

final as (
    select
        code,
        description,
        category,
        is_chronic_ccir,
        case override_action
            when 'REMOVE' then false
            when 'ADD' then true
            else is_chronic_ahrq
        end as is_chronic,
        case
            when override_action is not null
                then 'practice seed ' || lower(override_action) || ': ' || override_reason
            when is_chronic_ccir is null then 'AHRQ CCIR by category'
            else 'AHRQ CCIR v2023.1'
        end as chronic_basis
    from matched
)

select * from final
