# hazrisk — two commands on a fresh machine: `make demo` and `make test`.
PY ?= python3.11
VENV ?= .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed-$(shell cat pyproject.toml | sha1sum | cut -c1-12)
DEMO_DIR ?= data/local/demo

.PHONY: venv dev demo test lint typecheck bench sample sysdeps clean

# Installer output stays out of the logs: quiet, no version nag, no root warning in CI, and
# the "Location ... is ignored" lines of an extra local index filtered; pipefail keeps a
# failing install failing the target.
SHELL := /bin/bash
.SHELLFLAGS := -o pipefail -c
PIP := PIP_ROOT_USER_ACTION=ignore PIP_DISABLE_PIP_VERSION_CHECK=1 $(BIN)/pip install -q --no-warn-script-location
QUIET := 2>&1 | { grep -v 'is ignored' || true; }

$(BIN)/python:
	$(PY) -m venv $(VENV)
	$(PIP) -U pip $(QUIET)

$(STAMP): $(BIN)/python pyproject.toml
	$(PIP) -e '.[dev,reports,app,lab,excel,risk,spark]' $(QUIET)
	$(BIN)/python -c "import hazrisk, duckdb, pyarrow, sklearn, hypothesis, statsmodels, skops, chainladder, pyspark"
	rm -f $(VENV)/.installed-* && touch $(STAMP)

venv: $(STAMP)

# System packages some tests need (fonts for Chinese in reports, chromium for the app, a Java
# runtime for the Spark engine's tests).
sysdeps:
	@bash .ci/sysdeps.sh

demo: $(STAMP)
	$(BIN)/hazrisk demo --out $(DEMO_DIR)

lint: $(STAMP)
	$(BIN)/ruff check hazrisk tests benchmarks notebooks apps

typecheck: $(STAMP)
	$(BIN)/mypy hazrisk
	cd apps && MYPYPATH=. $(abspath $(BIN))/mypy --explicit-package-bases .

test: $(STAMP) sysdeps lint typecheck
	$(BIN)/python -m pytest -n 2 -q

bench: $(STAMP)
	$(BIN)/python -m benchmarks

sample: $(STAMP)
	$(BIN)/hazrisk simulate --vehicles 40 --days 3 --start 2026-10-01 --seed 808 --out data/sample --sample

clean:
	rm -rf $(VENV) .pytest_cache .mypy_cache .ruff_cache data/local
