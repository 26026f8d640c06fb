# Two entry points for a fresh machine: `make run` and `make test`.
PYTHON ?= python3
VENV   ?= .venv
PY     := $(VENV)/bin/python
# One stamp per set of extras, so `make run` does not pull the trainer's torch.
APP_STAMP  := $(VENV)/.stamp-app
TEST_STAMP := $(VENV)/.stamp-test

.PHONY: run test venv package clean

$(PY):
	$(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --upgrade --quiet pip

$(APP_STAMP): pyproject.toml | $(PY)
	$(PY) -m pip install --quiet -e .
	touch $@

$(TEST_STAMP): pyproject.toml | $(PY)
	$(PY) -m pip install --quiet -e '.[test,bench,trainer]'
	touch $@ $(APP_STAMP)

run: $(APP_STAMP)
	$(PY) -m albumtag $(ARGS)

test: $(TEST_STAMP)
	QT_QPA_PLATFORM=offscreen $(PY) -m pytest $(PYTEST_ARGS)

clean:
	rm -rf $(VENV) build dist *.egg-info
