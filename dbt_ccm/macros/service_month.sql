{#- The month being built, from the required `service_month` var ('YYYY-MM').
    Intermediate models and marts call these; staging does not need the var. -#}
{% macro service_month_text() -%}
    {%- set raw = var('service_month', none) -%}
    {%- if raw is none or raw | string | trim == '' -%}
        {%- if execute -%}
            {{ ccm_fail(
                "var 'service_month' is required (YYYY-MM), e.g. --vars '{service_month: 2021-03}'"
            ) }}
        {%- endif -%}
        {%- set raw = '1900-01' -%}
    {%- endif -%}
    {%- set text = raw | string | trim -%}
    {%- set months = ['01', '02', '03', '04', '05', '06', '07', '08', '09', '10', '11', '12'] -%}
    {%- if not (text | length == 7 and text[:4].isdigit() and text[4] == '-'
                and text[5:] in months) -%}
        {{ ccm_fail("var 'service_month' must look like YYYY-MM, got '" ~ text ~ "'") }}
    {%- endif -%}
    {{- text -}}
{%- endmacro %}

{% macro month_start() -%}
    date '{{ service_month_text() }}-01'
{%- endmacro %}

{% macro month_end() -%}
    (date '{{ service_month_text() }}-01' + interval '1 month' - interval '1 day')::date
{%- endmacro %}

{#- Stops the run with a readable message (a no-op under sqlfluff's templater, which has no
    `exceptions` object, so linting still renders the SQL). -#}
{% macro ccm_fail(message) -%}
    {%- if exceptions is defined -%}
        {{ exceptions.raise_compiler_error(message) }}
    {%- endif -%}
{%- endmacro %}
