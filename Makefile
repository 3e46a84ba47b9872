# Newsroom: the two commands.
#   make run   set up .venv, migrate SQLite, load the demo, serve http://127.0.0.1:8000 with the mail worker
#   make test  set up .venv, run the whole suite (on PostgreSQL when DATABASE_URL points at one)
#   make test-postgres  the suite on the local PostgreSQL and Redis, as CI runs it
PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
HOST ?= 127.0.0.1:8000

.PHONY: run test test-postgres bench setup setup-test messages demo migrate browsers clean

$(BIN)/python:
	@$(PYTHON) -c 'import sys; sys.exit(0 if sys.version_info >= (3, 11) else "Newsroom needs Python 3.11 or newer; set PYTHON=python3.11")'
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip

$(VENV)/.installed: pyproject.toml | $(BIN)/python
	$(BIN)/python -m pip install --quiet -e .
	@touch $@

$(VENV)/.installed-test: pyproject.toml | $(BIN)/python
	$(BIN)/python -m pip install --quiet -e ".[test]"
	@touch $@ $(VENV)/.installed

# The interface's translations (locale/*/LC_MESSAGES/django.po) compiled to the .mo files Django reads,
# with Babel (a dependency): no GNU gettext needed to run or test. See docs/translations.md.
MESSAGES := $(patsubst %.po,%.mo,$(wildcard locale/*/LC_MESSAGES/django.po))
%.mo: %.po | $(VENV)/.installed
	$(BIN)/pybabel --quiet compile --statistics -i $< -o $@

messages: $(MESSAGES)
setup: $(VENV)/.installed messages
setup-test: $(VENV)/.installed-test messages

migrate: setup
	$(BIN)/python manage.py migrate --noinput

demo: migrate
	$(BIN)/python manage.py load_demo
	$(BIN)/python manage.py load_demo_directory

# The server and, beside it, the worker that sends the notifications (the database queue). Ctrl-C
# stops both; so does the server stopping for any other reason.
run: demo
	@$(BIN)/python manage.py mail_destination
	@trap 'kill $$worker 2>/dev/null; wait $$worker 2>/dev/null' EXIT; trap 'exit 130' INT TERM; \
	$(BIN)/python manage.py db_worker --no-reload & worker=$$!; \
	$(BIN)/python manage.py runserver $(HOST)

# axe-core for the accessibility tests, pinned by package-lock.json. Without npm those tests
# skip with a message on a developer's machine (CI fails them instead).
node_modules/.package-lock.json: package.json package-lock.json
	@if command -v npm >/dev/null 2>&1; then npm ci --no-audit --no-fund; \
	else echo "npm not found: the accessibility tests will skip (install Node.js and npm, then run make test)"; fi

test: setup-test node_modules/.package-lock.json
	$(BIN)/python -m pytest

# The same suite on PostgreSQL with the cache and sessions in Redis, as CI runs it second.
# pytest-django creates (and drops) a `test_<name>` database beside the one named here.
TEST_DATABASE_URL ?= postgres://postgres@127.0.0.1:5432/test
TEST_REDIS_URL ?= redis://127.0.0.1:6379/15
test-postgres:
	DATABASE_URL=$(TEST_DATABASE_URL) REDIS_URL=$(TEST_REDIS_URL) $(MAKE) test

# The benchmark (bench/run.py): PostgreSQL, gunicorn and wrk on this machine; not part of the suite.
BENCH_SIZES ?= 10000,100000,1000000
bench: setup-test
	@command -v wrk >/dev/null || { echo "wrk is missing: apt-get install wrk"; exit 1; }
	$(BIN)/python -m bench.run --sizes $(BENCH_SIZES)

clean:
	rm -rf $(VENV) db.sqlite3 staticfiles test-artifacts node_modules locale/*/LC_MESSAGES/*.mo
