# accelkit — the two set-up commands: `make demo` and `make test`.
PYTHON ?= python3
VENV   ?= .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed-dev

.PHONY: demo test lint install clean

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip

install: $(BIN)/python
	$(BIN)/python -m pip install --quiet -e .

$(STAMP): $(BIN)/python pyproject.toml
	$(BIN)/python -m pip install --quiet -e '.[dev]'
	touch $(STAMP)

## demo: create the virtual environment, install, and run the main job on the built-in defaults
demo: install
	$(BIN)/accelkit demo

## test: install the dev extras and run the whole test suite (plus the linter)
test: $(STAMP)
	$(BIN)/ruff check src tests
	$(BIN)/python -m pytest -q -n 2

lint: $(STAMP)
	$(BIN)/ruff check src tests
	$(BIN)/ruff format --check src tests

clean:
	rm -rf $(VENV) build dist src/*.egg-info .pytest_cache .ruff_cache

## bench: accelkit vs ZigZag side by side (separate venv bench/.venv; about 2 min)
bench:
	bash bench/setup.sh
	bench/.venv/bin/python bench/zigzag_compare.py
.PHONY: bench
