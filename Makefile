# Two commands set everything up on a fresh machine:
#   make demo   creates .venv, installs glassnet (with matplotlib), reruns the seed notebook's
#               two cells and writes the report glassnet-report/index.html
#   make test   creates .venv, installs the dev extras (pytest, ruff, torch 2.13.0 CPU, keras,
#               onnx, matplotlib, playwright ...) and Debian's Chromium, runs every test
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin

.PHONY: demo test bench mutate lint format clean

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)

$(VENV)/.installed: pyproject.toml | $(BIN)/python
	$(BIN)/pip install --quiet --disable-pip-version-check -e .
	touch $@

$(VENV)/.installed-dev: pyproject.toml | $(BIN)/python
	$(BIN)/pip install --quiet --disable-pip-version-check -e '.[dev]'
	touch $@ $(VENV)/.installed

$(VENV)/.installed-plots: pyproject.toml | $(BIN)/python
	$(BIN)/pip install --quiet --disable-pip-version-check -e '.[plots]'
	touch $@ $(VENV)/.installed

# reruns both seed cells and writes the report glassnet-report/index.html
demo: $(VENV)/.installed-plots
	$(BIN)/glassnet demo

test: $(VENV)/.installed-dev
	scripts/ensure-chromium
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/pytest

# glassnet against PyTorch eager, side by side; `python -m benchmarks --quick` for a smoke run
bench: $(VENV)/.installed-dev
	$(BIN)/python -m benchmarks

# mutation testing of the core (mutmut, one module at a time, one process; minutes per module):
# before a release and after changing the core. Not part of `make test`. Writes
# build/mutate/REPORT.md; `make mutate MODULES="losses optimizers"` runs only those.
MODULES ?=
mutate: $(VENV)/.installed-dev
	$(BIN)/python scripts/mutate $(MODULES)

format: $(VENV)/.installed-dev
	$(BIN)/ruff format .
	$(BIN)/ruff check --fix .

clean:
	rm -rf $(VENV) build dist src/*.egg-info .pytest_cache .ruff_cache
