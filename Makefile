# Prossimo: the two commands are `make run` and `make test`.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
PROSSIMO := $(BIN)/prossimo
HOST ?= 127.0.0.1
PORT ?= 8000
SCALE ?= full

.PHONY: run test test-only lint format bench demo install install-test messages clean

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip

# Reinstall only when the project's dependencies change.
$(VENV)/.installed: pyproject.toml | $(BIN)/python
	$(BIN)/python -m pip install --quiet -e .
	@touch $@

$(VENV)/.installed-test: pyproject.toml $(VENV)/.installed
	$(BIN)/python -m pip install --quiet -e ".[test]"
	@touch $@

install: $(VENV)/.installed
install-test: $(VENV)/.installed-test

messages: $(VENV)/.installed
	@$(PROSSIMO) compilemessages_prossimo

run: install messages
	$(PROSSIMO) migrate --no-input
	$(PROSSIMO) load_territory --if-empty
	$(PROSSIMO) demo
	$(PROSSIMO) serve --host $(HOST) --port $(PORT)

demo: install
	$(PROSSIMO) migrate --no-input
	$(PROSSIMO) load_territory --if-empty
	$(PROSSIMO) demo

test: install-test messages
	@bash scripts/ensure-browser.sh
	$(BIN)/python -m pytest $(PYTEST_ARGS)

lint: install-test
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/mypy prossimo

format: install-test
	$(BIN)/ruff format .
	$(BIN)/ruff check --fix .

bench: install-test messages
	$(PROSSIMO) bench --scale $(SCALE)

clean:
	rm -rf $(VENV) var/static var/test.sqlite3
