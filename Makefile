# accelkit — the two set-up commands: `make demo` and `make test`.
PYTHON ?= python3
VENV   ?= .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed-dev

.PHONY: demo test lint install clean browser

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

## test: install the dev extras (and the browser for tests/browser) and run the whole test suite (plus the linter)
test: $(STAMP) browser
	$(BIN)/ruff check src tests
	$(BIN)/python -m pytest -q -n 2

## browser: Debian's chromium for tests/browser (Playwright drives it; its own browser download is never used).
## Installed with apt-get when missing and running as root (CI); otherwise the browser test skips, saying why.
browser:
	@command -v chromium >/dev/null 2>&1 || { \
	  if [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then \
	    echo "installing chromium for the browser test (apt-get)"; \
	    (apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends \
	      chromium >/dev/null) || echo "warning: apt-get could not install chromium; tests/browser will skip"; \
	  else echo "note: chromium is not installed (needs root for apt-get); tests/browser will skip"; fi; }

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
