# Two entry points for a fresh machine: `make run` and `make test`.
PYTHON ?= python3
VENV   ?= .venv
PY     := $(VENV)/bin/python
# One stamp per set of extras, so `make run` does not pull the trainer's torch.
APP_STAMP     := $(VENV)/.stamp-app
TEST_STAMP    := $(VENV)/.stamp-test
PACKAGE_STAMP := $(VENV)/.stamp-package

.PHONY: run test venv package clean exiftool

$(PY):
	$(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --upgrade --quiet pip

$(APP_STAMP): pyproject.toml | $(PY)
	$(PY) -m pip install --quiet -e .
	touch $@

# package too: tests/packaging builds the app with PyInstaller.
$(TEST_STAMP): pyproject.toml | $(PY)
	$(PY) -m pip install --quiet -e '.[test,bench,trainer,package]'
	touch $@ $(APP_STAMP) $(PACKAGE_STAMP)

$(PACKAGE_STAMP): pyproject.toml | $(PY)
	$(PY) -m pip install --quiet -e '.[package]'
	touch $@ $(APP_STAMP)

run: $(APP_STAMP)
	$(PY) -m albumtag $(ARGS)

# Test files run on TEST_WORKERS processes (pytest-xdist), each file whole on one, so a file's
# module fixtures (one import of real photos) are made once.
TEST_WORKERS ?= 2
test: $(TEST_STAMP) exiftool
	$(PY) -m ruff check .
	QT_QPA_PLATFORM=offscreen $(PY) -m pytest -n $(TEST_WORKERS) --dist loadfile $(PYTEST_ARGS)

# The XMP tests read what we write back with independent readers, Debian's exiftool and Exiv2.
exiftool:
	@{ command -v exiftool && command -v exiv2; } >/dev/null || { [ "$$(id -u)" = 0 ] && apt-get update -qq && \
		DEBIAN_FRONTEND=noninteractive apt-get install -y -qq libimage-exiftool-perl exiv2 >/dev/null; } || \
		echo "exiftool or exiv2 is missing (apt-get install libimage-exiftool-perl exiv2): their cross-checks will be skipped"

# The one-folder desktop app in dist/albumtag/ (run dist/albumtag/albumtag); see packaging/.
package: $(PACKAGE_STAMP)
	$(PY) -m PyInstaller packaging/albumtag.spec --noconfirm --distpath dist --workpath build/pyinstaller

clean:
	rm -rf $(VENV) build dist *.egg-info
