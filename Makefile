# Two entry points for a fresh machine: `make run` and `make test`.
PYTHON ?= python3
VENV   ?= .venv
PY     := $(VENV)/bin/python
# One stamp per set of extras, so `make run` does not pull the trainer's torch.
APP_STAMP     := $(VENV)/.stamp-app
TEST_STAMP    := $(VENV)/.stamp-test
PACKAGE_STAMP := $(VENV)/.stamp-package

.PHONY: run test venv package clean exiftool qt-libs

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

run: $(APP_STAMP) qt-libs
	$(PY) -m albumtag $(ARGS)

# Qt's X11 plugin needs system libraries that minimal Debian/Ubuntu machines lack (the plugin
# then aborts with "could not load the Qt platform plugin xcb"): installed when run as root,
# named otherwise. libxcb-cursor0 is opened at run time, so ldd cannot see it; the rest it can.
QT_XCB_PACKAGES := libxcb-cursor0 libxcb-icccm4 libxcb-keysyms1 libxcb-image0 libxcb-render-util0 \
	libxcb-shape0 libxcb-randr0 libxcb-xinerama0 libxcb-xkb1 libxkbcommon-x11-0 libegl1 libfontconfig1 libdbus-1-3
qt-libs: $(APP_STAMP)
	@qxcb=$$(ls $(VENV)/lib/python3*/site-packages/PySide6/Qt/plugins/platforms/libqxcb.so 2>/dev/null | head -n 1); \
	[ "$$(uname)" != Linux ] || [ -z "$$qxcb" ] || \
	{ { ldconfig -p 2>/dev/null || /sbin/ldconfig -p; } | grep -q 'libxcb-cursor\.so\.0' && ! ldd "$$qxcb" | grep -q 'not found'; } || \
	{ [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null && apt-get update -qq && \
		DEBIAN_FRONTEND=noninteractive apt-get install -y -qq $(QT_XCB_PACKAGES) >/dev/null; } || \
	echo "Qt's X11 libraries are missing: sudo apt-get install $(QT_XCB_PACKAGES)"

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
