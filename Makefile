# casework: two commands do all the set-up on a fresh machine.
#   make run   venv, install, instance keys, migrate SQLite, demo data, serve on 127.0.0.1:$(PORT)
#   make test  venv, install, lint, run the test suite (SQLite; TEST_DATABASE_URL=postgresql+psycopg://… for PostgreSQL)

PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
PORT ?= 5000
FLASK := CASEWORK_CONFIG=development $(BIN)/flask --app wsgi
STAMP := $(VENV)/.installed

.PHONY: run test e2e lint format bench bench-marac bench-audit bench-load otp clean

$(STAMP): requirements.txt requirements-dev.txt
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --disable-pip-version-check -r requirements-dev.txt
	touch $(STAMP)

run: $(STAMP)
	$(FLASK) init-instance
	$(FLASK) db upgrade
	$(FLASK) seed-demo
	@echo "casework is running on http://127.0.0.1:$(PORT)  (Ctrl+C to stop)"
	$(FLASK) run --host 127.0.0.1 --port $(PORT)

lint: $(STAMP)
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

test: lint
	$(BIN)/pytest -m "not e2e" $(PYTEST_ARGS)

e2e: $(STAMP)
	$(BIN)/pytest -m e2e $(PYTEST_ARGS)

format: $(STAMP)
	$(BIN)/ruff format .
	$(BIN)/ruff check --fix .

otp: $(STAMP)  ## current two-factor code for a demo account: make otp EMAIL=coordinator@example.org
	@$(FLASK) demo-otp $(EMAIL)

# Core, audit, then every registered module's benchmarks/<module>.py: MARAC pages at 10,000 and
# 100,000 cases (databases cached in benchmarks/results/cache/), on SQLite, then on PostgreSQL
# too with BENCH_DATABASE_URL=postgresql+psycopg://postgres@127.0.0.1:5432/test.
bench: $(STAMP)  ## core, then every registered module's benchmarks/<module>.py
	CASEWORK_CONFIG=testing $(BIN)/python -m benchmarks.run

# MARAC pages at 10,000 and 100,000 cases; BENCH_MARAC_ARGS="--sizes 1000,3000 --repeat 5" for a
# quick run, "--databases postgresql" for PostgreSQL only, "--rebuild" to rebuild the cache.
bench-marac: $(STAMP)
	CASEWORK_CONFIG=testing $(BIN)/python -m benchmarks.marac $(BENCH_MARAC_ARGS)

# Audit append and chain head lock hold; BENCH_DATABASE_URL=postgresql+psycopg://… for PostgreSQL.
bench-audit: $(STAMP)
	CASEWORK_CONFIG=testing $(BIN)/python -m benchmarks.audit

# 50 signed-in users against gunicorn (2, then 4 sync workers) and PostgreSQL on loopback,
# 2 minutes each, on 10,000 MARAC cases; then the audit chain is verified. The server runs
# the production settings unchanged (the client sends the Secure cookie back over loopback).
# BENCH_ADMIN_URL=postgresql+psycopg://… for another server; BENCH_LOAD_ARGS="--duration 60 --wait-quiet 300"
# for a shorter run that first waits for other work on the machine to finish.
bench-load: $(STAMP)
	$(BIN)/python -m benchmarks.load $(BENCH_LOAD_ARGS)

clean:
	rm -rf $(VENV) .pytest_cache .ruff_cache
