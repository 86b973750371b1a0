{#- Raw values are normalised text (orchestration/lib/raw_tables.py); staging casts them. -#}
{% macro blank_to_null(column) -%}
    nullif(btrim({{ column }}), '')
{%- endmacro %}

{% macro text_to_date(column) -%}
    nullif(btrim({{ column }}), '')::date
{%- endmacro %}

{% macro text_to_int(column) -%}
    nullif(btrim({{ column }}), '')::integer
{%- endmacro %}

{% macro yn_to_bool(column) -%}
    case upper(nullif(btrim({{ column }}), '')) when 'Y' then true when 'N' then false end
{%- endmacro %}
