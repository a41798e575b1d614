# Wushe (五社通). `make run` and `make test` are the two commands; the rest are helpers.
# GNU make. Recipes are tab-indented.

SHELL := /bin/bash
.SHELLFLAGS := -eu -o pipefail -c
.DEFAULT_GOAL := help

PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
FLASK := FLASK_APP=server.app:create_app $(BIN)/flask
PYTEST := $(BIN)/python -m pytest -p no:cacheprovider
TRANSLATIONS := server/translations
SUDO := $(shell [ "$$(id -u)" = 0 ] || echo sudo)

.PHONY: help setup venv system-deps assets messages-compile messages run test lint clean bench bench-deps \
	bench-export bench-stats bench-instructions

help:
	@echo "make run     set up, migrate, load demo data, serve on http://127.0.0.1:5000 (with the scheduler)"
	@echo "make test    the whole suite on SQLite, then on PostgreSQL if TEST_DATABASE_URL is set"
	@echo "helpers:     setup venv system-deps assets messages-compile messages lint clean bench bench-deps"
	@echo "             bench-export bench-stats bench-instructions"

setup: venv assets messages-compile

# The stamp reruns the install whenever pyproject.toml changes.
venv: $(VENV)/.installed
$(VENV)/.installed: pyproject.toml
	@[ -x $(BIN)/python ] || $(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet -e '.[test]'
	@touch $@

# Browser tests drive Debian's Chromium; CJK fonts so screenshots show Chinese; the nginx
# test runs deploy/nginx/wushe.conf with Debian's nginx and its brotli_static module;
# fonts-hanazono has the rarer characters of names that PDFs embed (server/core/pdf_text.py).
system-deps:
	@if command -v chromium >/dev/null && fc-list 2>/dev/null | grep -qi "Noto Sans CJK" \
		&& [ -x /usr/sbin/nginx ] && [ -e /usr/lib/nginx/modules/ngx_http_brotli_static_module.so ] \
		&& [ -e /usr/share/fonts/truetype/hanazono/HanaMinB.ttf ]; then \
		echo "system-deps: chromium, fonts-noto-cjk, fonts-hanazono and nginx present"; \
	else \
		$(SUDO) apt-get update && $(SUDO) DEBIAN_FRONTEND=noninteractive apt-get install -y \
			chromium fonts-noto-cjk fonts-hanazono nginx libnginx-mod-http-brotli-static; \
	fi

# --ignore-scripts: the packages only ship files; no install script needs to run.
assets: web/node_modules/.installed
	node web/build.mjs
web/node_modules/.installed: web/package-lock.json web/package.json
	cd web && npm ci --no-audit --no-fund --ignore-scripts
	@touch $@

messages-compile: venv
	@if ls $(TRANSLATIONS)/*/LC_MESSAGES/messages.po >/dev/null 2>&1; then \
		$(BIN)/pybabel compile -d $(TRANSLATIONS); \
	else \
		echo "messages-compile: no catalogues under $(TRANSLATIONS) yet"; \
	fi

# Re-extract msgids after editing templates or code, then merge into each catalogue.
messages: venv
	$(BIN)/pybabel extract -F babel.cfg -k _l -o $(TRANSLATIONS)/messages.pot .
	$(BIN)/pybabel update -i $(TRANSLATIONS)/messages.pot -d $(TRANSLATIONS)

# The scheduler (reminders, automatic check-out, deadlines, daily summaries) runs beside
# the web server and stops with it.
run: setup
	$(FLASK) db upgrade
	$(FLASK) seed-demo
	$(FLASK) scheduler run & scheduler=$$!; \
	trap 'kill $$scheduler 2>/dev/null; wait $$scheduler 2>/dev/null' EXIT; \
	$(FLASK) run --host 127.0.0.1 --port 5000

test: setup system-deps
	@echo "== SQLite =="
	WUSHE_TEST_DB=sqlite $(PYTEST)
	@if [ -n "$${TEST_DATABASE_URL:-}" ]; then \
		echo "== PostgreSQL =="; \
		WUSHE_TEST_DB="$$TEST_DATABASE_URL" $(PYTEST); \
	else \
		echo "== PostgreSQL == skipped: TEST_DATABASE_URL is not set"; \
	fi

# Scan throughput under gunicorn (bench/README.md); a helper, not part of `make test`.
# PostgreSQL: make bench BENCH_DATABASE_URL=postgresql://postgres@127.0.0.1:5432/wushe_bench
# The load client is wrk, Debian's package (BENCH_ARGS="--client python" for the other).
bench: venv bench-deps
	$(BIN)/python bench/scan_bench.py $(if $(BENCH_DATABASE_URL),--database-url "$(BENCH_DATABASE_URL)") $(BENCH_ARGS)

bench-deps:
	@command -v wrk >/dev/null || { $(SUDO) apt-get update \
		&& $(SUDO) DEBIAN_FRONTEND=noninteractive apt-get install -y wrk; }

# Instructions per request (floor, health, a scan) under valgrind's callgrind: minutes.
bench-instructions: venv
	$(BIN)/python bench/scan_instructions.py $(if $(BENCH_DATABASE_URL),--database-url "$(BENCH_DATABASE_URL)") $(BENCH_ARGS)

# Hours export to Excel, 100,000 rows, in-process (bench/README.md).
# PostgreSQL: make bench-export BENCH_DATABASE_URL=postgresql://postgres@127.0.0.1:5432/wushe_bench_export
bench-export: venv
	$(BIN)/python bench/export_bench.py $(if $(BENCH_DATABASE_URL),--database-url "$(BENCH_DATABASE_URL)") $(BENCH_ARGS)

# The dashboard in a 1,000-volunteer and a 100,000-volunteer world, in one run (bench/README.md).
bench-stats: venv
	$(BIN)/python bench/stats_bench.py $(if $(BENCH_DATABASE_URL),--database-url "$(BENCH_DATABASE_URL)") $(BENCH_ARGS)

lint: venv
	$(BIN)/ruff check server tests bench

clean:
	rm -rf $(VENV) web/node_modules static/vendor static/dist test-artifacts
	find server tests bench -type d -name __pycache__ -prune -exec rm -rf {} + 2>/dev/null || true
	find $(TRANSLATIONS) -name "*.mo" -delete 2>/dev/null || true
