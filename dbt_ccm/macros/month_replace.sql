{#- Pre-hook for the incremental marts: a re-run of a month replaces exactly that month, so
    a month that is now empty leaves no stale rows behind. -#}
{% macro delete_service_month() -%}
    {%- if is_incremental() -%}
        delete from {{ this }} where service_month = {{ month_start() }}
    {%- else -%}
        select 1
    {%- endif -%}
{%- endmacro %}
