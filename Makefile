# The commands the README names. Everything runs inside a project-local virtual environment
# created from pyproject.toml, so a fresh machine needs only Python 3.11+ and make.

PYTHON ?= $(shell command -v python3.11 || command -v python3.12 || command -v python3.13 || command -v python3)
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

.PHONY: install run test lint format bench ui stop clean

install: $(STAMP)

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[dev]'
	touch $(STAMP)

## Run the main job on the bundled sample months; files land in out/.
run: install
	$(BIN)/ccm run --drop data/sample/drop --out out

## Run the whole test suite.
test: install
	$(BIN)/python -m pytest

## Benchmark one health-system month (README, Benchmark); BENCH_ARGS=--smoke for a quick check.
bench: install
	$(BIN)/python bench/run_bench.py $(BENCH_ARGS)

lint: install
	$(BIN)/ruff check orchestration tests data bench
	$(BIN)/ruff format --check orchestration tests data bench
	$(BIN)/sqlfluff lint dbt_ccm/models

format: install
	$(BIN)/ruff format orchestration tests data bench
	$(BIN)/ruff check --fix orchestration tests data bench

ui: install
	$(BIN)/ccm ui

## Stop the embedded PostgreSQL server.
stop: install
	$(BIN)/ccm db stop

clean:
	-$(BIN)/ccm db stop
	rm -rf $(VENV) var out dbt_ccm/target dbt_ccm/logs
