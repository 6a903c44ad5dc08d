# The two commands of the README:
#   make serve   set up .venv, migrate var/autofin.sqlite3, load demo data, run the mail sink and
#                the worker in-process, serve GraphiQL on http://127.0.0.1:8000/graphql
#   make test    set up .venv (with test tools and Debian's chromium), run the whole suite on
#                SQLite, then again on PostgreSQL when AUTOFIN_TEST_POSTGRES_URL is set
#   make bench   set up .venv with the bench extra and Debian's wrk, make sure PostgreSQL is up,
#                run the benchmarks (python -m bench $(BENCH_ARGS)); see README "Performance"
# Each creates the virtual environment and installs what it needs on first use.

PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
RUNTIME_STAMP := $(VENV)/.runtime-installed
TEST_STAMP := $(VENV)/.test-installed
BENCH_STAMP := $(VENV)/.bench-installed
BENCH_ARGS ?=

.PHONY: serve test test-sqlite test-postgres worker migrate schema bench chromium wrk postgres-up clean

$(BIN)/python:
	@$(PYTHON) -c 'import sys; sys.exit(0 if sys.version_info >= (3, 11) else "autofin needs Python 3.11 or newer (found " + sys.version.split()[0] + ")")'
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip

$(RUNTIME_STAMP): pyproject.toml | $(BIN)/python
	$(BIN)/python -m pip install --quiet -e .
	@touch $@

$(TEST_STAMP): pyproject.toml | $(BIN)/python
	$(BIN)/python -m pip install --quiet -e '.[test]'
	@touch $@ $(RUNTIME_STAMP)

serve: $(RUNTIME_STAMP)
	$(BIN)/autofin serve

worker: $(RUNTIME_STAMP)
	$(BIN)/autofin worker

migrate: $(RUNTIME_STAMP)
	$(BIN)/autofin migrate

schema: $(RUNTIME_STAMP)
	$(BIN)/autofin export-schema --output schema.graphql

# The offline GraphiQL test drives Debian's chromium (playwright's own browser download fails offline).
chromium:
	@command -v chromium >/dev/null 2>&1 || { \
	  echo "installing Debian's chromium for the browser test"; \
	  SUDO=$$( [ "$$(id -u)" = 0 ] || echo sudo ); \
	  $$SUDO apt-get update -qq && $$SUDO env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends chromium >/dev/null; }

# Load for the benchmarks (and the harness's quick test): Debian's wrk.
wrk:
	@command -v wrk >/dev/null 2>&1 || { \
	  echo "installing Debian's wrk for the benchmarks"; \
	  SUDO=$$( [ "$$(id -u)" = 0 ] || echo sudo ); \
	  $$SUDO apt-get update -qq && $$SUDO env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends wrk >/dev/null; }

$(BENCH_STAMP): pyproject.toml | $(BIN)/python
	$(BIN)/python -m pip install --quiet -e '.[bench]'
	@touch $@ $(RUNTIME_STAMP)

# The local PostgreSQL the benchmarks use, started as .ci/run starts it when it does not answer.
postgres-up:
	@pg_isready -q -h 127.0.0.1 -p 5432 2>/dev/null || { \
	  echo "starting the local PostgreSQL"; \
	  SUDO=$$( [ "$$(id -u)" = 0 ] || echo sudo ); \
	  $$SUDO pg_ctlcluster --skip-systemctl-redirect "$$(ls /etc/postgresql | head -n 1)" main start; \
	  for i in $$(seq 1 30); do pg_isready -q -h 127.0.0.1 -p 5432 && break; sleep 1; done; }

# make bench BENCH_ARGS="--scale 0.2 --duration 10"   (README "Performance" lists the options)
bench: $(BENCH_STAMP) wrk postgres-up
	$(BIN)/python -m bench $(BENCH_ARGS)

test: $(TEST_STAMP) chromium wrk
	$(BIN)/python -m pytest --db sqlite
	@if [ -n "$$AUTOFIN_TEST_POSTGRES_URL" ]; then \
	  echo "--- again on PostgreSQL ($$AUTOFIN_TEST_POSTGRES_URL)"; \
	  $(BIN)/python -m pytest --db postgres; \
	else echo "--- AUTOFIN_TEST_POSTGRES_URL is not set: skipped the PostgreSQL run"; fi

clean:
	rm -rf $(VENV) var
