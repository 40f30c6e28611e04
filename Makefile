# Two commands: `make run` (set up and serve the site with demo data) and `make test` (the whole suite).
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
export FLASK_APP := wsgi

.PHONY: run test install install-test system-test-deps migrate demo bench clean

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip

install: $(BIN)/python
	$(BIN)/pip install --quiet -e .

install-test: $(BIN)/python
	$(BIN)/pip install --quiet -e ".[test]"

migrate: install
	$(BIN)/flask db upgrade

demo: migrate
	$(BIN)/flask demo load --if-empty

# The import worker (Huey consumer, queue in instance/huey.db) runs in the background while the site serves.
run: demo
	$(BIN)/flask demands expire
	@$(BIN)/flask imports worker & WORKER=$$! ; \
	trap 'kill $$WORKER 2>/dev/null' EXIT INT TERM ; \
	$(BIN)/flask run --host 127.0.0.1 --port 5000

# Chromium + chromedriver for the browser tests and a PostgreSQL server, from Debian packages when missing.
system-test-deps:
	@if ! command -v chromium >/dev/null || ! command -v chromedriver >/dev/null || ! ls /usr/lib/postgresql/*/bin/initdb >/dev/null 2>&1; then \
	  echo "Installing chromium, chromium-driver and postgresql from Debian packages"; \
	  SUDO=$$( [ "$$(id -u)" = 0 ] || echo sudo ); \
	  $$SUDO apt-get update -qq && DEBIAN_FRONTEND=noninteractive $$SUDO apt-get install -y -qq chromium chromium-driver postgresql >/dev/null; \
	fi

# Two pytest-xdist workers on this 2-core machine, each with its own SQLite file, PostgreSQL database
# (<name>_gw0, _gw1 on the one server), search index and live-server port (tests/conftest.py).
# `make test TEST_WORKERS=0` runs everything in one process (pdb, -s).
TEST_WORKERS ?= 2

test: install-test system-test-deps
	@PG_DIR_FILE=$$(mktemp) ; export PG_DIR_FILE ; \
	URL=$$(scripts/test-postgres.sh start) || { echo "could not start PostgreSQL for the tests"; exit 1; } ; \
	trap 'scripts/test-postgres.sh stop' EXIT ; \
	TEST_DATABASE_URL=$$URL $(BIN)/python -m pytest -n $(TEST_WORKERS) $(PYTEST_ARGS)

bench: install
	$(BIN)/python benchmarks/run_all.py

clean:
	rm -rf $(VENV) *.egg-info .pytest_cache
