# Quickstart: `make demo` bakes the default project and runs it end to end; `make test` runs the
# template's test suite. Both need only python3, git and make: the venv is created on first use.
PYTHON ?= python3
VENV := .venv
BIN := $(CURDIR)/$(VENV)/bin
STAMP := $(VENV)/.installed
BUILD := build
SLUG := vision-classifier
# Test processes (pytest-xdist): each tier's slow tests stay in one process, the tiers spread over them.
PYTEST_WORKERS ?= 2

.PHONY: venv demo test lint docs clean

$(STAMP): requirements-dev.txt
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --disable-pip-version-check uv
	$(BIN)/uv pip install --quiet --python $(BIN)/python -r requirements-dev.txt
	touch $(STAMP)

venv: $(STAMP)

demo: venv
	rm -rf $(BUILD)/$(SLUG)
	MLOPS_TEMPLATE_SKIP_SIDE_EFFECTS=1 $(BIN)/cookiecutter --no-input --output-dir $(BUILD) .
	$(BIN)/uv pip install --quiet --python $(BIN)/python --no-deps -e $(BUILD)/$(SLUG)
	$(MAKE) -C $(BUILD)/$(SLUG) demo VENV=$(CURDIR)/$(VENV)

test: venv
	$(BIN)/python -m pytest -n $(PYTEST_WORKERS) --dist loadgroup

lint: venv
	$(BIN)/ruff check hooks scripts tests
	$(BIN)/ruff format --check hooks scripts tests

docs: venv
	$(BIN)/python scripts/tier_table.py

clean:
	rm -rf $(BUILD) $(VENV) .pytest_cache
