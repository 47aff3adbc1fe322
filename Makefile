# STTS — the two commands a newcomer needs: `make run` and `make test`.
SHELL := /bin/bash
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
export FLASK_APP := wsgi

.PHONY: run test test-fast install translations compile-translations bench lint clean-db worker load

$(VENV)/.installed: requirements.txt requirements-dev.txt
	test -x $(VENV)/bin/python || { $(PYTHON) -m venv $(VENV) && \
	  $(VENV)/bin/pip install --quiet --upgrade pip; }
	# One installation at a time (several checkouts may share one environment).
	flock $(VENV)/.install-lock $(VENV)/bin/pip install --quiet -r requirements-dev.txt
	touch $@

install: $(VENV)/.installed compile-translations

compile-translations: $(VENV)/.installed
	$(VENV)/bin/pybabel compile -d translations

# Extract every message, update the four catalogues, compile them.
translations: $(VENV)/.installed
	$(VENV)/bin/pybabel extract --no-wrap -F babel.cfg --ignore-dirs=".* __pycache__" -k _l -k lazy_gettext -k lazy_pgettext:1c,2 --no-location --sort-output -o translations/messages.pot stts
	$(VENV)/bin/pybabel update --no-wrap -N -i translations/messages.pot -d translations
	$(VENV)/bin/pybabel compile -d translations

run: install
	$(VENV)/bin/flask stts migrate
	$(VENV)/bin/flask stts seed-demo
	@echo "STTS on http://127.0.0.1:5000  (Ctrl-C stops it)"
	STTS_SESSION_COOKIE_SECURE=false $(VENV)/bin/huey_consumer stts.worker.consumer.huey -w 1 -q & \
	  trap "kill $$! 2>/dev/null" EXIT; \
	  STTS_SESSION_COOKIE_SECURE=false $(VENV)/bin/gunicorn -c gunicorn.conf.py wsgi:app

worker: install
	$(VENV)/bin/huey_consumer stts.worker.consumer.huey -w 2

# The whole suite, with coverage (what CI runs); test-fast is the tier to run while coding:
# unit and web tests without the browser, the fuzzers and the multi-process tests.
test: install
	$(VENV)/bin/pytest -q -n 2 -p no:cacheprovider --cov --cov-report= -m "not measured"
	$(VENV)/bin/pytest -q -p no:cacheprovider --cov --cov-append --cov-report=term -m measured

test-fast: install
	$(VENV)/bin/pytest -q -n 2 -p no:cacheprovider -m "not browser and not fuzz and not slow"

# Benchmarks: data sets cached in bench/data/, results in bench/results/.
# wrk is Debian's package; PostgreSQL must listen on 127.0.0.1:5432 (as in CI).
bench: install
	@command -v wrk >/dev/null || { DEBIAN_FRONTEND=noninteractive apt-get update -qq && \
	  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq wrk >/dev/null; }
	$(PY) -m bench.run
	$(PY) -m bench.shapes
	$(PY) bench/xml_bench.py | tee bench/results/xml.txt
	$(PY) -m bench.fairness --database sqlite
	$(PY) -m bench.fairness --database postgresql

# 30 simulated staff over the main flows for 60 s under gunicorn: zero errors, p50/p95/p99.
load: install
	$(PY) -m bench.load --users 30 --seconds 60

lint: install
	$(VENV)/bin/ruff check stts tests bench
	$(VENV)/bin/bandit -q -r stts -ll
	$(VENV)/bin/pytest -q -p no:cacheprovider tests/unit/test_layering.py
