{#- Pre-hook for the incremental marts: a re-run of a month replaces exactly that month, so
    a month that is now empty leaves no stale rows behind. -#}
{% macro delete_service_month() -%}
    {%- if is_incremental() -%}
        delete from {{ this }} where service_month = {{ month_start() }}
    {%- else -%}
        select 1
    {%- endif -%}
{%- endmacro %}

{#- Post-hook for the incremental marts: each run deletes and re-inserts its month, and with
    months of history beside it that delete read the whole table without an index. Created on
    the next run of a warehouse built before the index existed, too (dbt's `indexes` config
    only applies when a table is created). -#}
{% macro index_service_month() -%}
    create index if not exists {{ this.identifier }}_service_month_idx
        on {{ this }} (service_month)
{%- endmacro %}
