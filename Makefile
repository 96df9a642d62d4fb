# qflow-contracts: every target installs what it needs into .venv first.
PYTHON ?= python3.11
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed-stamp

.DEFAULT_GOAL := help
.PHONY: help install conformance test lint lint-spec typecheck generate check-generated spec-diff bench mock clean

help:
	@echo "make conformance      run the conformance suite against the embedded mock server (the main job)"
	@echo "make test             ruff, mypy and the project's own tests"
	@echo "make generate         regenerate generated/ from spec/ with the pinned generator"
	@echo "make check-generated  fail with a diff when generated/ and spec/ disagree"
	@echo "make spec-diff        classify the spec's changes since BASE (default HEAD; e.g. BASE=main)"
	@echo "make mock             serve the mock on http://127.0.0.1:8000/API"
	@echo "make bench            benchmarks (mock vs Prism, suite kill rate, time to verdict and requests per run)"

$(STAMP): pyproject.toml constraints.txt
	@$(PYTHON) -c 'import sys; assert sys.version_info >= (3, 11), "Python 3.11+ is needed"'
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -c constraints.txt -e '.[dev]'
	@touch $@

install: $(STAMP)

conformance: $(STAMP)
	$(BIN)/qflow-contracts run

lint: $(STAMP)
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

typecheck: $(STAMP)
	$(BIN)/mypy

# Redocly's recommended ruleset over the spec (no error allowed), with the CLI pinned and installed
# from the npm registry into .venv/node (Node.js and npm from the machine)
REDOCLY_VERSION := 2.77.0
REDOCLY := $(VENV)/node/node_modules/.bin/redocly
$(REDOCLY):
	@command -v npm >/dev/null || { echo "make lint-spec: npm is needed (Node.js 20.19 or newer)" >&2; exit 2; }
	npm install --silent --no-audit --no-fund --prefix $(VENV)/node @redocly/cli@$(REDOCLY_VERSION)

lint-spec: $(STAMP) $(REDOCLY)
	@$(REDOCLY) lint --extends recommended --format stylish spec/qflow-customers.openapi.yaml

# The project's own tests on WORKERS processes (pytest-xdist); the tests of one xdist_group run on one
# worker, so a module-scoped fixture they share is built once. Not in pyproject's addopts: that file
# also configures a plain `pytest contracts` run from this checkout, which must stay one process.
WORKERS ?= 2
test: lint typecheck lint-spec
	$(BIN)/python -m pytest tests -n $(WORKERS) --dist loadgroup

generate: $(STAMP)
	@VENV_BIN=$(BIN) scripts/generate-client.sh

check-generated: $(STAMP)
	@VENV_BIN=$(BIN) scripts/check-generated.sh

BASE ?= HEAD
spec-diff: $(STAMP)
	@$(BIN)/qflow-contracts spec-diff $(BASE) spec/qflow-customers.openapi.yaml

mock: $(STAMP)
	$(BIN)/qflow-mock serve --port 8000 --prefix /API

bench: $(STAMP)
	$(BIN)/python scripts/bench.py $(BENCH)

clean:
	rm -rf $(VENV) .mypy_cache .ruff_cache .pytest_cache .hypothesis
