# Commerce Dash: `make run` serves the app with demo data, `make test` runs every test.
# Both set themselves up on a fresh machine (Python 3.11, node + npm, apt; registries only).

SHELL := /bin/bash
.DEFAULT_GOAL := run

PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
TOOLS := $(CURDIR)/.tools
BUN_VERSION := 1.4.4
AXE_CORE_VERSION := 4.11.0
HOST ?= 127.0.0.1
PORT ?= 3000

# Reflex must never download bun, probe hosts or phone home on these machines.
export PATH := $(TOOLS)/bin:$(PATH)
export REFLEX_USE_SYSTEM_BUN := 1
export REFLEX_TELEMETRY_ENABLED := false
export REFLEX_CHECK_LATEST_VERSION := false
export REFLEX_HTTP_CLIENT_BIND_ADDRESS := 0.0.0.0
export NPM_CONFIG_REGISTRY := $(shell npm config get registry 2>/dev/null)
export PYTHONDONTWRITEBYTECODE := 1

.PHONY: run cluster fakes test setup setup-test migrate seed lint typecheck bench clean

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)

# Dependencies, pinned: pyproject.toml names them, constraints.txt pins every transitive
# package too. `make run` installs the runtime ones only; the test tools come with `make test`.
$(VENV)/.deps: pyproject.toml constraints.txt | $(BIN)/python
	$(BIN)/pip install --quiet -c constraints.txt -e .
	touch $@

$(VENV)/.deps-test: $(VENV)/.deps
	$(BIN)/pip install --quiet -c constraints.txt -e '.[test]'
	touch $@

$(TOOLS)/bin/bun:
	npm install --global --prefix $(TOOLS) --no-fund --no-audit bun@$(BUN_VERSION)

setup: $(VENV)/.deps $(TOOLS)/bin/bun

migrate: setup
	$(BIN)/python -m commerce_dash.cli migrate

seed: migrate
	$(BIN)/python -m commerce_dash.cli seed --if-empty

run: seed
	@$(BIN)/python -m commerce_dash.cli demo-logins
	@echo ""
	@echo "Commerce Dash is starting (prod build, about a minute the first time):"
	@echo "    http://$(HOST):$(PORT)"
	@echo ""
	COMMERCE_PUBLIC_URL="$${COMMERCE_PUBLIC_URL:-http://$(HOST):$(PORT)}" \
	  $(BIN)/reflex run --env prod --single-port --backend-host $(HOST) --frontend-port $(PORT) --backend-port $(PORT)

# The production layout on this machine (README "Production layout"): two app processes
# (state in Redis, scheduler off) and a job worker behind a loopback balancer on $(PORT). Needs
# PostgreSQL in DATABASE_URL and Redis (REFLEX_REDIS_URL or REDIS_URL, default the local one).
cluster: setup
	$(BIN)/python -m commerce_dash.cluster --host $(HOST) --port $(PORT) $(CLUSTER_ARGS)

# Browser tests need Debian's chromium (Playwright cannot download browsers here).
/usr/bin/chromium:
	@if [ "$$(id -u)" = 0 ]; then \
	  apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >/dev/null; \
	else \
	  sudo apt-get update -qq && sudo DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >/dev/null; \
	fi

# Certificates print names beyond Windows-1252 (Ł, Cyrillic) with the DejaVu fonts.
/usr/share/fonts/truetype/dejavu/DejaVuSans.ttf:
	@if [ "$$(id -u)" = 0 ]; then \
	  apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq fonts-dejavu-core >/dev/null; \
	else \
	  sudo apt-get update -qq && sudo DEBIAN_FRONTEND=noninteractive apt-get install -y -qq fonts-dejavu-core >/dev/null; \
	fi

/usr/bin/wrk:
	@if [ "$$(id -u)" = 0 ]; then \
	  apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq wrk >/dev/null; \
	else \
	  sudo apt-get update -qq && sudo DEBIAN_FRONTEND=noninteractive apt-get install -y -qq wrk >/dev/null; \
	fi

$(TOOLS)/lib/node_modules/axe-core/axe.min.js:
	npm install --global --prefix $(TOOLS) --no-fund --no-audit axe-core@$(AXE_CORE_VERSION)

setup-test: setup $(VENV)/.deps-test /usr/bin/chromium /usr/share/fonts/truetype/dejavu/DejaVuSans.ttf $(TOOLS)/lib/node_modules/axe-core/axe.min.js

# Loopback fakes of Razorpay, Square and Elavon for a manual try beside `make run`.
fakes: $(VENV)/.deps-test
	$(BIN)/python -m tests.payments.serve_fakes

test: setup-test lint
	$(BIN)/python -m pytest $(PYTEST_ARGS)

lint: setup $(VENV)/.deps-test
	$(BIN)/ruff check commerce_dash tests benchmarks alembic rxconfig.py
	$(BIN)/mypy
	$(BIN)/lint-imports --no-cache

bench: setup $(VENV)/.deps-test /usr/bin/wrk
	$(BIN)/python benchmarks/run_all.py

clean:
	rm -rf .web .states $(VENV) $(TOOLS)
