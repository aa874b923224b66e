# Two commands on a fresh Debian/Ubuntu machine with Python 3.11+:
#   make run    create .venv, install, open the application
#   make test   create .venv, install with test extras, run the whole suite offscreen
PYTHON ?= $(shell command -v python3.11 || command -v python3.12 || command -v python3.13 || command -v python3)
VENV := .venv
BIN := $(VENV)/bin

.PHONY: run test lint bench bundle clean

$(BIN)/python:
	@$(PYTHON) -c 'import sys; sys.exit(0 if sys.version_info >= (3, 11) else "Affiliate Desk needs Python 3.11 or newer")'
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip

$(VENV)/.installed-run: pyproject.toml | $(BIN)/python
	$(BIN)/python -m pip install --quiet -e .
	touch $@

$(VENV)/.installed-test: pyproject.toml | $(BIN)/python
	$(BIN)/python -m pip install --quiet -e ".[test,dev]"
	touch $@ $(VENV)/.installed-run

run: $(VENV)/.installed-run
	@scripts/system-deps.sh run
	$(BIN)/affiliate-desk

test: $(VENV)/.installed-test
	@scripts/system-deps.sh test
	QT_QPA_PLATFORM=offscreen $(BIN)/python -m pytest

lint: $(VENV)/.installed-test
	$(BIN)/ruff check desktop tests bench
	$(BIN)/mypy

bench: $(VENV)/.installed-test
	QT_QPA_PLATFORM=offscreen $(BIN)/python -m bench

bundle: $(VENV)/.installed-test
	$(BIN)/pyinstaller --noconfirm --clean installer.spec
	QT_QPA_PLATFORM=offscreen dist/affiliate-desk/affiliate-desk --db "$$(mktemp -d)/bundle.sqlite3" gui --exit-after-start
	@echo "Bundle ready in dist/affiliate-desk/"

clean:
	rm -rf $(VENV) build dist .pytest_cache .mypy_cache .ruff_cache
