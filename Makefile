# kefu — two commands: `make demo` and `make test`. Everything else is a helper of those.
SHELL := /bin/bash
.DEFAULT_GOAL := help

# Django 6.1 needs Python >= 3.12: take the first interpreter on this machine that is new enough
# (PATH first, then pyenv's versions). Override with `make PYTHON=/path/to/python3.12 ...`.
PYTHON ?= $(shell for p in python3.13 python3.12 python3 $$(ls -d $$HOME/.pyenv/versions/3.1[2-9]*/bin/python3 /root/.pyenv/versions/3.1[2-9]*/bin/python3 2>/dev/null); do \
	$$p -c 'import sys; sys.exit(sys.version_info < (3, 12))' >/dev/null 2>&1 && { echo $$p; break; }; done)
VENV := .venv
BIN := $(VENV)/bin
KEFU_DATA_DIR ?= $(CURDIR)/data
KEFU_PORT ?= 8000
PG_URL ?= postgres://postgres@127.0.0.1:5432/test
export KEFU_DATA_DIR KEFU_PORT

.PHONY: help demo run test test-pg test-fast lint i18n messages clean fuzz

help:
	@echo "make demo     set up and run kefu with Chinese demo data on http://127.0.0.1:$(KEFU_PORT)"
	@echo "make test     run the whole test suite (SQLite)"
	@echo "make test-pg  run the whole test suite on PostgreSQL ($(PG_URL))"
	@echo "make lint     ruff, mypy, migrations check, translation completeness"
	@echo "make fuzz     the API fuzz and access matrix, longer (nightly): FUZZ_EXAMPLES per operation, more users"

$(BIN)/python:
	@test -n "$(PYTHON)" || { echo "kefu needs Python 3.12 or newer (Django 6.1). Install python3.12 and retry, or pass PYTHON=/path/to/python3.12." >&2; exit 1; }
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install -q --upgrade pip

$(VENV)/.runtime: pyproject.toml | $(BIN)/python
	$(BIN)/pip install -q -e .
	@touch $@

$(VENV)/.dev: pyproject.toml | $(BIN)/python
	$(BIN)/pip install -q -e '.[dev,semantic]'
	@touch $@ $(VENV)/.runtime

demo: $(VENV)/.runtime
	$(BIN)/kefu migrate --no-input -v 0
	$(BIN)/kefu demo
	$(BIN)/kefu run --port $(KEFU_PORT)

run: $(VENV)/.runtime
	$(BIN)/kefu migrate --no-input -v 0
	$(BIN)/kefu run --port $(KEFU_PORT)

test: $(VENV)/.dev
	$(BIN)/python -m pytest -n 2 --dist loadgroup -q $(PYTEST_ARGS)

test-pg: $(VENV)/.dev
	DATABASE_URL=$(PG_URL) $(BIN)/python -m pytest -n 2 --dist loadgroup -q $(PYTEST_ARGS)

# The API fuzz of `make test` (20 examples per operation, as the admin), run long: for nightly CI.
FUZZ_EXAMPLES ?= 200
FUZZ_USERS ?= admin,manager,team_lead,agent,qa
fuzz: $(VENV)/.dev
	KEFU_FUZZ_EXAMPLES=$(FUZZ_EXAMPLES) KEFU_FUZZ_USERS=$(FUZZ_USERS) KEFU_FUZZ_RANDOM=$${KEFU_FUZZ_RANDOM:-1} \
		$(BIN)/python -m pytest -n 2 -q kefu/tests/test_api_fuzz.py kefu/tests/test_api_access.py $(PYTEST_ARGS)

lint: $(VENV)/.dev
	$(BIN)/ruff check .
	$(BIN)/lint-imports
	$(BIN)/python manage.py makemigrations --check --dry-run -v 0
	$(BIN)/python -m kefu.core.i18n_check
	$(BIN)/mypy kefu

# Regenerate the catalogues after changing user-facing text (needs GNU gettext), then translate
# the new entries in kefu/locale/zh_Hans/LC_MESSAGES/django.po and run `make i18n` again.
messages: $(VENV)/.dev
	cd kefu && ../$(BIN)/python ../manage.py makemessages -l zh_Hans -l en --no-obsolete --no-location -i 'tests/*'
	$(MAKE) i18n

i18n: $(VENV)/.dev
	cd kefu && ../$(BIN)/python ../manage.py compilemessages -v 0

clean:
	rm -rf $(VENV) data
