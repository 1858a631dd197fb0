# Coalition: `make run` serves the app with demo data; `make test` runs the whole suite.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed-stamp
CATALOGS := coalition/translations/*/LC_MESSAGES/messages.po
export FLASK_APP := wsgi

.PHONY: chromium nginx pdf-libs screenshots run test lint format translations extract-messages worker clean bench

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -e '.[test]'
	touch $(STAMP)

JS_CHECK := tests/feeds/js/node_modules/.package-lock.json

$(JS_CHECK): tests/feeds/js/package.json tests/feeds/js/package-lock.json
	npm ci --prefix tests/feeds/js --no-audit --no-fund --silent

BROWSER_JS := tests/browser/js/node_modules/.package-lock.json

$(BROWSER_JS): tests/browser/js/package.json tests/browser/js/package-lock.json
	npm ci --prefix tests/browser/js --no-audit --no-fund --silent

CHROMIUM ?= /usr/bin/chromium

## Debian's Chromium for the browser tests (never a browser download): apt-get when missing and
## running as root; otherwise the browser tests skip with a notice (REQUIRE_BROWSER=1 fails them).
chromium:
	@if [ ! -x "$(CHROMIUM)" ]; then \
	  if [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null; then \
	    apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >/dev/null; \
	  else \
	    echo "NOTICE: no Chromium at $(CHROMIUM) (apt-get install chromium as root): browser tests will skip."; \
	  fi; \
	fi

NGINX ?= /usr/sbin/nginx

## Debian's nginx for the test of README's nginx block (tests/ops/test_nginx.py runs its own, as
## this user, on free ports): apt-get when missing and running as root, its service neither
## started (a policy-rc.d that refuses, unless the machine has one) nor enabled at boot, since
## Debian's default site would take port 80; otherwise the test skips with a notice
## (REQUIRE_NGINX=1 fails it).
nginx:
	@if [ ! -x "$(NGINX)" ]; then \
	  if [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null; then \
	    policy=; \
	    if [ ! -e /usr/sbin/policy-rc.d ]; then \
	      policy=/usr/sbin/policy-rc.d; printf '#!/bin/sh\nexit 101\n' >$$policy; chmod 755 $$policy; \
	    fi; \
	    apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq nginx >/dev/null; \
	    rc=$$?; \
	    if [ -n "$$policy" ]; then rm -f $$policy; fi; \
	    if [ $$rc = 0 ]; then \
	      deb-systemd-helper disable nginx.service >/dev/null 2>&1; \
	      update-rc.d nginx disable >/dev/null 2>&1; \
	    fi; \
	    exit $$rc; \
	  else \
	    echo "NOTICE: no nginx at $(NGINX) (apt-get install nginx as root): the nginx test will skip."; \
	  fi; \
	fi

## Pango (and its fonts) for WeasyPrint's PDF flyers: apt-get when missing and running as root;
## otherwise a notice (the PDF download answers 500 and its test fails without them).
pdf-libs:
	@if ! ldconfig -p 2>/dev/null | grep -q 'libpango-1.0.so.0'; then \
	  if [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null; then \
	    apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq \
	      libpango-1.0-0 libpangoft2-1.0-0 libharfbuzz-subset0 fonts-dejavu-core >/dev/null; \
	  else \
	    echo "NOTICE: Pango is missing (apt-get install libpango-1.0-0 libpangoft2-1.0-0 as root): no PDF flyers."; \
	  fi; \
	fi

translations: $(STAMP)
	$(BIN)/pybabel --quiet compile -d coalition/translations

#: `make run PORT=8000` serves on another port; links in mail and feeds follow it.
PORT ?= 5000
BASE_URL ?= http://127.0.0.1:$(PORT)

## Serve at http://127.0.0.1:$(PORT) (default 5000) with demo data; mail goes to instance/mail/,
## texts to instance/sms/.
run: $(STAMP) translations pdf-libs
	COALITION_ENV=development $(BIN)/flask db upgrade
	COALITION_ENV=development $(BIN)/flask seed-demo
	@echo "Mail is written to $(CURDIR)/instance/mail/ (one .eml per message)."
	@echo "Texts are written to $(CURDIR)/instance/sms/ (one .txt per text message)."
	@echo "Admins, owners and organizers set up two-step sign-in at their first sign-in, as in"
	@echo "production (any authenticator app; REQUIRE_TWO_FACTOR=0 make run skips it)."
	@echo "Serving $(BASE_URL)"
	@trap 'kill 0' INT TERM EXIT; \
	  COALITION_ENV=development BASE_URL=$(BASE_URL) $(BIN)/flask worker & \
	  COALITION_ENV=development BASE_URL=$(BASE_URL) $(BIN)/flask run --host 127.0.0.1 --port $(PORT)

worker: $(STAMP) translations
	COALITION_ENV=development $(BIN)/flask worker

## The whole suite: SQLite always, PostgreSQL too when TEST_DATABASE_URL is set.
test: $(STAMP) translations $(JS_CHECK) $(BROWSER_JS) chromium nginx pdf-libs
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/lint-imports
	@# Bytecode once, as an installed package has it: the tests start gunicorn and the worker
	@# as subprocesses, which would otherwise compile every module each time.
	$(BIN)/python -m compileall -q coalition config.py wsgi.py
	$(BIN)/pytest $(PYTEST_ARGS)

## Screenshots of each browser journey at 360 px, written to docs/screenshots/*.png.
screenshots: $(STAMP) translations $(BROWSER_JS) chromium
	SCREENSHOTS=docs/screenshots REQUIRE_BROWSER=1 $(BIN)/pytest -q -p no:randomly tests/browser/test_journeys.py tests/browser/test_phone_only.py \
	  tests/browser/test_delegations_and_rides.py tests/browser/test_rapid.py tests/browser/test_subscribe.py

## Seed 10,000 events (in BENCH_DATABASE_URL, else a temporary SQLite file) and measure every
## public page (render cache on, then off) and five signed-in pages under gunicorn with wrk
## (installed with apt when missing and root) (bench/README.md).
bench: $(STAMP) translations
	@if ! command -v wrk >/dev/null; then \
	  if [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null; then \
	    apt-get install -y -qq wrk >/dev/null 2>&1 || echo "wrk not installed: the Python client loads"; \
	  else echo "wrk is missing: the Python client loads"; fi; fi
	$(BIN)/python bench/calendar_bench.py $(BENCH_ARGS)

lint: $(STAMP)
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

format: $(STAMP)
	$(BIN)/ruff check --fix .
	$(BIN)/ruff format .

## After changing user-facing text: refresh the catalogs, then translate the new entries.
extract-messages: $(STAMP)
	$(BIN)/pybabel extract -F babel.cfg -k _l -k lazy_gettext -k lazy_ngettext:1,2 -o coalition/translations/messages.pot --no-location --sort-output --omit-header --width 100 .
	$(BIN)/pybabel update -i coalition/translations/messages.pot -d coalition/translations --no-fuzzy-matching --ignore-obsolete --ignore-pot-creation-date --width 100

clean:
	rm -rf $(VENV) instance .pytest_cache
