# AVR Case Manager: `make run` serves the app with its worker; `make test` runs the whole suite.
# Embedded PostgreSQL and Redis are started when DATABASE_URL / REDIS_URL are unset.

VENV    ?= .venv
PY       = $(VENV)/bin/python
STAMP    = $(VENV)/.installed

.PHONY: run test smoke bench mutants messages booth check-deploy clean help

help:
	@echo "make run    - install, migrate, load demo data, serve on http://127.0.0.1:8000 (gunicorn) with a Celery worker and beat"
	@echo "make test   - run the whole test suite"
	@echo "make smoke  - run the smoke subset"
	@echo "make messages - refresh the translation catalogues (needs gettext)"
	@echo "make booth  - rebuild the offline booth app into static/booth/ (needs Node.js and npm; commit the result)"
	@echo "make mutants - mutation testing of the rule and permission modules (long; MUTANTS=cases/transitions.py for one)"
	@echo "make bench  - benchmarks on a separate avr_bench database, one table of every target (BENCH_SCALES=100000,1000000 for a curve)"

$(PY):
	@PY312=$$(scripts/find-python) || exit 1; \
	echo "[avr] creating $(VENV) with $$PY312"; \
	"$$PY312" -m venv $(VENV)

$(STAMP): pyproject.toml | $(PY)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet ".[embedded,test]"
	@touch $(STAMP)

run: $(STAMP)
	$(PY) -m avr.devstack run

test: $(STAMP)
	$(PY) -m avr.devstack test $(PYTEST_ARGS)

smoke: $(STAMP)
	$(PY) -m avr.devstack test -m smoke $(PYTEST_ARGS)

bench: $(STAMP)
	$(PY) -m avr.devstack exec $(PY) -m bench.run

# Not part of `make test` nor of CI: hours on two cores. Sessions in var/mutants/ resume where a run stopped.
mutants: $(STAMP)
	$(PY) -m pip install --quiet ".[mutants]"
	$(PY) -m avr.devstack exec nice -n 19 $(PY) scripts/mutants.py $(MUTANTS) $(MUTANTS_ARGS)

messages: $(STAMP)
	$(PY) manage.py makemessages -l es -l en --no-obsolete --ignore=.venv --ignore=var --ignore=tests --ignore=static
	$(PY) manage.py buildmessages --fill-source en

# The booth app's bundle is committed, so `make run` needs only Python; rebuild it after changing frontend/.
booth:
	cd frontend && npm ci --no-audit --no-fund && node build.mjs

clean:
	rm -rf $(VENV) var/staticfiles .pytest_cache
