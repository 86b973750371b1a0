-- Dagster keeps its run storage in its own database beside the warehouse.
create database dagster owner ccm;
