{#- Models land in exactly the schema their folder names (staging, intermediate, marts,
    reference), not in <target>_<schema>: Tableau and the exports read fixed schema names. -#}
{% macro generate_schema_name(custom_schema_name, node) -%}
    {%- if custom_schema_name is none -%}
        {{ target.schema }}
    {%- else -%}
        {{ custom_schema_name | trim }}
    {%- endif -%}
{%- endmacro %}
