# Huddle: `make chat` to talk to the bot, `make test` to run every check.
PYTHON ?= $(shell command -v python3.11 || command -v python3)
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

.PHONY: install chat playground test lint bench clean

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[dev]'
	touch $(STAMP)

install: $(STAMP)

## Chat with Huddle in the terminal (SQLite, sample initiative, sample clinician).
chat: $(STAMP)
	$(BIN)/huddle chat

## Huddle in a Teams-like page in your browser (Microsoft 365 Agents Playground, from npm).
playground: $(STAMP)
	$(BIN)/huddle playground

## Every check: lint, types, content, and the test suite (PostgreSQL runs need
## HUDDLE_TEST_POSTGRES_URL; see README).
test: lint
	$(BIN)/huddle content check > /dev/null
	$(BIN)/pytest

lint: $(STAMP)
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/mypy

bench: $(STAMP)
	$(BIN)/python bench/next_course.py

clean:
	rm -rf $(VENV) .playground huddle.db huddle.db-wal huddle.db-shm .mypy_cache .ruff_cache .pytest_cache
