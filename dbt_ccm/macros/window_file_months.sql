{#- The report months whose files a month's build reads for `kind`'s time entries (R9.7: an
    entry counts in the month of its own date, whichever report carried it): the month itself,
    and the month before or after where a current load of it holds entries dated in this month
    or does not say (raw.file_loads.entry_months, null for loads made before it was kept).
    Neighbours' files hold none as a rule, and skipping them keeps a month from reading three
    months of entries. Rendered as date literals, so the month index finds the rows. -#}
{% macro window_file_months(kind) -%}
    {#- Called outside the `execute` branch, so that parsing records the dependency. -#}
    {%- set file_loads = source('raw', 'file_loads') -%}
    {%- set months = [month_start()] -%}
    {%- if execute -%}
        {%- set query -%}
            select to_char(service_month, 'YYYY-MM-DD')
            from {{ file_loads }}
            where
                report_kind = '{{ kind }}'
                and status = 'current'
                and service_month in (
                    ({{ month_start() }} - interval '1 month')::date,
                    ({{ month_start() }} + interval '1 month')::date
                )
                and (entry_months is null or {{ month_start() }} = any(entry_months))
            group by service_month
            order by service_month
        {%- endset -%}
        {%- for row in run_query(query) -%}
            {%- do months.append("date '" ~ row[0] ~ "'") -%}
        {%- endfor -%}
    {%- endif -%}
    {{ months | join(', ') }}
{%- endmacro %}
