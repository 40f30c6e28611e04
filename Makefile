# Two commands: `make run` (set up and serve the site with demo data) and `make test` (the whole suite).
# `make run HOST=0.0.0.0 PORT=8080` (or the HOST/PORT environment variables) serves elsewhere than 127.0.0.1:5000.
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
HOST   ?= 127.0.0.1
PORT   ?= 5000
export FLASK_APP := wsgi

.PHONY: run serve test install install-test install-bench system-test-deps migrate demo bench clean

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip

# The packages are (re)installed only when setup.cfg or pyproject.toml changed since the last install.
$(VENV)/.installed: setup.cfg pyproject.toml | $(BIN)/python
	$(BIN)/pip install --quiet -e .
	@touch $@

$(VENV)/.installed-test: setup.cfg pyproject.toml | $(BIN)/python
	$(BIN)/pip install --quiet -e ".[test]"
	@touch $@ $(VENV)/.installed

$(VENV)/.installed-bench: setup.cfg pyproject.toml | $(BIN)/python
	$(BIN)/pip install --quiet -e ".[bench]"
	@touch $@ $(VENV)/.installed

install: $(VENV)/.installed

install-test: $(VENV)/.installed-test

install-bench: $(VENV)/.installed-bench

migrate: install
	$(BIN)/flask db upgrade

demo: migrate
	$(BIN)/flask demo load --if-empty

# The task worker (Huey consumer, queue in instance/huey.db: imports, match pushes and recomputation, e-mails,
# and the periodic jobs: reminders, demand expiry, sweeps) runs in the background while the site serves.
run: demo
	$(BIN)/flask demands expire
	@$(BIN)/flask imports worker & WORKER=$$! ; \
	trap 'kill $$WORKER 2>/dev/null' EXIT INT TERM ; \
	$(BIN)/flask run --host $(HOST) --port $(PORT)

# Production-style: gunicorn (gunicorn.conf.py: workers × threads, index warmed per worker) and the task worker.
# Set DATABASE_URL (PostgreSQL) and SECRET_KEY in production; see docs/notes/serving.md.
serve: migrate
	@$(BIN)/flask imports worker & WORKER=$$! ; \
	trap 'kill $$WORKER 2>/dev/null' EXIT INT TERM ; \
	HOST=$(HOST) PORT=$(PORT) $(BIN)/gunicorn -c gunicorn.conf.py wsgi:app

# Chromium + chromedriver for the browser tests (with fonts-noto-cjk so that screenshots show the Chinese), a
# PostgreSQL server and a Redis server, from Debian packages when missing.
system-test-deps:
	@if ! command -v chromium >/dev/null || ! command -v chromedriver >/dev/null || ! ls /usr/lib/postgresql/*/bin/initdb >/dev/null 2>&1 || ! command -v redis-server >/dev/null || ! fc-list 2>/dev/null | grep -qi "noto.*cjk"; then \
	  echo "Installing chromium, chromium-driver, fonts-noto-cjk, postgresql and redis-server from Debian packages"; \
	  SUDO=$$( [ "$$(id -u)" = 0 ] || echo sudo ); \
	  $$SUDO apt-get update -qq && DEBIAN_FRONTEND=noninteractive $$SUDO apt-get install -y -qq chromium chromium-driver fonts-noto-cjk postgresql redis-server >/dev/null; \
	fi

# Two pytest-xdist workers on this 2-core machine, each with its own SQLite file, PostgreSQL database
# (<name>_gw0, _gw1 on the one server), search index and live-server port (tests/conftest.py).
# `make test TEST_WORKERS=0` runs everything in one process (pdb, -s). Work stealing: a worker that runs out takes
# tests from the other's queue, so that the run does not end with one worker idle while the other finishes a long
# test (measured 2026-12-02: README, "Tests").
TEST_WORKERS ?= 2
TEST_DIST ?= worksteal

# A throwaway PostgreSQL and a throwaway redis-server (REDIS_URL: tests/test_redis.py runs Huey on it).
test: install-test system-test-deps
	@PG_DIR_FILE=$$(mktemp) ; export PG_DIR_FILE ; REDIS_DIR_FILE=$$(mktemp) ; export REDIS_DIR_FILE ; \
	URL=$$(scripts/test-postgres.sh start) || { echo "could not start PostgreSQL for the tests"; exit 1; } ; \
	trap 'scripts/test-postgres.sh stop; scripts/test-redis.sh stop' EXIT ; \
	REDIS=$$(scripts/test-redis.sh start) || { echo "could not start redis-server for the tests"; exit 1; } ; \
	TEST_DATABASE_URL=$$URL REDIS_URL=$$REDIS $(BIN)/python -m pytest -n $(TEST_WORKERS) --dist $(TEST_DIST) $(PYTEST_ARGS)

# Every benchmark at a size that finishes in about 15 minutes here; one table at the end (BENCH lines).
bench: install-bench system-test-deps
	$(BIN)/python benchmarks/run_all.py

clean:
	rm -rf $(VENV) *.egg-info .pytest_cache
