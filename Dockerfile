# Image for the Dagster code location, webserver and daemon (docker-compose.yml).
FROM python:3.11-slim
WORKDIR /opt/dagster/app
COPY pyproject.toml README.md ./
COPY orchestration ./orchestration
COPY dbt_ccm ./dbt_ccm
COPY config ./config
COPY expectations ./expectations
COPY deploy ./deploy
RUN pip install --no-cache-dir . \
    && mkdir -p /opt/dagster/home \
    && cp deploy/dagster.yaml /opt/dagster/home/dagster.yaml \
    && dbt parse --project-dir dbt_ccm --profiles-dir dbt_ccm
ENV DAGSTER_HOME=/opt/dagster/home
