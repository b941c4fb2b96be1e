# hazrisk — two commands on a fresh machine: `make demo` and `make test`.
PY ?= python3.11
VENV ?= .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed-$(shell cat pyproject.toml | sha1sum | cut -c1-12)
DEMO_DIR ?= data/local/demo

.PHONY: venv dev demo test lint typecheck bench sample sysdeps clean

$(BIN)/python:
	$(PY) -m venv $(VENV)
	$(BIN)/pip install -q -U pip 2>&1 | grep -v 'is ignored' || true

$(STAMP): $(BIN)/python pyproject.toml
	$(BIN)/pip install -q -e '.[dev,reports,app,lab,excel,risk]' 2>&1 | grep -v 'is ignored' || true
	$(BIN)/python -c "import hazrisk, duckdb, pyarrow, sklearn, hypothesis, statsmodels, skops, chainladder"
	rm -f $(VENV)/.installed-* && touch $(STAMP)

venv: $(STAMP)

# System packages some tests need (fonts for Chinese in reports, chromium for the app).
sysdeps:
	@bash .ci/sysdeps.sh

demo: $(STAMP)
	$(BIN)/hazrisk demo --out $(DEMO_DIR)

lint: $(STAMP)
	$(BIN)/ruff check hazrisk tests benchmarks notebooks

typecheck: $(STAMP)
	$(BIN)/mypy hazrisk

test: $(STAMP) sysdeps lint typecheck
	$(BIN)/python -m pytest -n 2 -q

bench: $(STAMP)
	$(BIN)/python -m benchmarks

sample: $(STAMP)
	$(BIN)/hazrisk simulate --vehicles 40 --days 3 --start 2026-10-01 --seed 808 --out data/sample --sample

clean:
	rm -rf $(VENV) .pytest_cache .mypy_cache .ruff_cache data/local
