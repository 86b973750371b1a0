{#- Policy vars rendered as SQL literals, validated so a typo fails the run, not the bill. -#}
{% macro policy_choice(name, allowed) -%}
    {%- set value = var(name) | string | upper | trim -%}
    {%- if value not in allowed -%}
        {{ ccm_fail(
            "var '" ~ name ~ "' must be one of " ~ (allowed | join(', ')) ~ ", got '" ~ value ~ "'"
        ) }}
    {%- endif -%}
    '{{ value }}'
{%- endmacro %}

{% macro policy_flag(name) -%}
    {%- set value = var(name) -%}
    {%- if value is string -%}
        {%- set value = value | lower | trim in ('true', 'yes', 'y', '1', 'on') -%}
    {%- endif -%}
    {{ 'true' if value else 'false' }}
{%- endmacro %}

{% macro policy_text_array(name) -%}
    {%- set values = var(name) -%}
    {%- if values is string -%}{%- set values = [values] -%}{%- endif -%}
    array[
        {%- for value in values -%}
            '{{ value | string | upper | trim | replace("'", "''") }}'{{ ', ' if not loop.last }}
        {%- endfor -%}
    ]::text[]
{%- endmacro %}

{% macro policy_date(name) -%}
    {%- set value = var(name) | string | trim -%}
    {%- set parts = value.split('-') -%}
    {%- if not (parts | length == 3 and (parts | join('')).isdigit() and value | length == 10) -%}
        {{ ccm_fail("var '" ~ name ~ "' must be YYYY-MM-DD, got " ~ value) }}
    {%- endif -%}
    date '{{ value }}'
{%- endmacro %}

{% macro policy_int(name) -%}
    {{ var(name) | int }}
{%- endmacro %}
