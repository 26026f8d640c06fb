"""The PyInstaller app (packaging/albumtag.spec) starts, runs its bundled models and opens
its window, with nothing of the development tree or venv behind it.

The app is built once per session into a temporary folder, so the test always checks the spec
and sources as they are now, never a stale ``dist/``. About a minute on two cores.
"""

from __future__ import annotations

import os
import re
import shutil
import signal
import sqlite3
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import closing
from pathlib import Path

import pytest

from albumtag import __version__
from albumtag.library.schema import PersonInstance

pytest.importorskip("PyInstaller", reason="needs the package extra: pip install -e '.[package]'")

REPO = Path(__file__).resolve().parents[2]
PORTRAITS = REPO / "resources" / "sample-album" / "Portraits"
GUI_DEADLINE_S = 240  # the first-run import of the sample album, on two busy cores


@pytest.fixture(scope="session")
def app_dir(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Path]:
    """The one-folder app, built from the repository's spec; removed after the session, as
    pytest would otherwise keep about 1 GB per run."""
    root = tmp_path_factory.mktemp("pyinstaller")
    result = subprocess.run(
        [sys.executable, "-m", "PyInstaller", str(REPO / "packaging" / "albumtag.spec"), "--noconfirm",
         "--distpath", str(root / "dist"), "--workpath", str(root / "build")],
        check=False, capture_output=True, text=True, timeout=900)
    assert result.returncode == 0, result.stderr[-5000:]
    yield root / "dist" / "albumtag"
    shutil.rmtree(root)


@pytest.fixture
def app_env(tmp_path: Path) -> dict[str, str]:
    """No ALBUMTAG_* or Python path from this session, so the app can only use what it bundles;
    offscreen Qt; settings and data folders in tmp, never the user's."""
    env = {key: value for key, value in os.environ.items()
           if not key.startswith("ALBUMTAG_") and key not in ("PYTHONPATH", "PYTHONHOME")}
    for name in ("XDG_CONFIG_HOME", "XDG_DATA_HOME", "XDG_CACHE_HOME"):
        env[name] = str(tmp_path / name.lower())
    env["QT_QPA_PLATFORM"] = "offscreen"
    return env


def run_app(app_dir: Path, env: dict[str, str], *args: str) -> subprocess.CompletedProcess[str]:
    result = subprocess.run([str(app_dir / "albumtag"), *args], check=False, env=env, capture_output=True,
                            text=True, timeout=300)
    assert result.returncode == 0, f"albumtag {' '.join(args)}:\n{result.stdout}\n{result.stderr[-3000:]}"
    return result


def test_version(app_dir: Path, app_env: dict[str, str]) -> None:
    assert run_app(app_dir, app_env, "--version").stdout.strip() == f"AlbumTag {__version__}"


def test_bundles_every_model_and_no_torch(app_dir: Path) -> None:
    bundled = app_dir / "_internal" / "resources"
    models = [p.relative_to(REPO / "resources") for p in (REPO / "resources" / "models").rglob("*") if p.is_file()]
    assert [m for m in models if not (bundled / m).is_file()] == []
    assert (bundled / "sample-album" / "Friends" / "bbt1.jpg").is_file()
    # Outside resources/, where a model may be named after its source (dlib_resnet_v1.onnx).
    unwanted = re.compile(r"torch|tflite|^onnx$|^trainer$|pytest|^dlib", re.IGNORECASE)
    assert [p for p in app_dir.rglob("*") if unwanted.search(p.name) and bundled not in p.parents] == []


def test_imports_and_groups_photos_with_the_bundled_models(app_dir: Path, app_env: dict[str, str],
                                                           tmp_path: Path) -> None:
    photos = tmp_path / "photos"
    photos.mkdir()
    for name in ("img1.jpg", "img2.jpg"):  # two photos of the same woman
        shutil.copy(PORTRAITS / name, photos / name)
    library = str(tmp_path / "test.albumtag")
    run_app(app_dir, app_env, "--library", library, "import", str(photos))
    status = run_app(app_dir, app_env, "--library", library, "status").stdout
    for stage in ("decode", "faces", "bodies"):
        assert re.search(rf"{stage}\s+done\s+2\s+failed\s+0", status), status
    people = run_app(app_dir, app_env, "--library", library, "people").stdout
    assert re.search(r"\t2 photos\t2 faces", people), people


def test_gui_starts_offscreen_and_imports_the_sample_album(app_dir: Path, app_env: dict[str, str],
                                                          tmp_path: Path) -> None:
    library = tmp_path / "first-run.albumtag"
    log = tmp_path / "gui.log"
    with log.open("w") as output:
        # Its own session: terminating the group also ends the import's worker processes.
        gui = subprocess.Popen([str(app_dir / "albumtag"), "--library", str(library)], env=app_env,
                               stdout=output, stderr=subprocess.STDOUT, start_new_session=True)
    try:
        found = wait_for_people(library, gui)
        alive = gui.poll() is None
    finally:
        os.killpg(gui.pid, signal.SIGTERM)
        gui.wait(timeout=30)
    text = log.read_text(errors="replace")
    assert alive, f"the window closed by itself:\n{text[-3000:]}"
    assert found, f"no face found in the sample album within {GUI_DEADLINE_S} s:\n{text[-3000:]}"
    assert "Traceback" not in text, text[-3000:]
    status = run_app(app_dir, app_env, "--library", str(library), "status").stdout
    assert re.search(r"people seen: [1-9]", status), status


def wait_for_people(library: Path, gui: subprocess.Popen) -> bool:
    """Whether the running app stores a person seen in the sample album before the deadline.

    Read-only SQLite rather than ``albumtag status``: opening the library through the app could
    migrate it in a race with the window's own first open.
    """
    deadline = time.monotonic() + GUI_DEADLINE_S
    while time.monotonic() < deadline and gui.poll() is None:
        if count_instances(library) > 0:
            return True
        time.sleep(2)
    return False


def count_instances(library: Path) -> int:
    """People seen so far, or 0 while the library is not created or migrated yet."""
    if not library.exists():
        return 0
    try:
        with closing(sqlite3.connect(f"file:{library}?mode=ro", uri=True, timeout=5)) as connection:
            return connection.execute(f"SELECT count(*) FROM {PersonInstance.__tablename__}").fetchone()[0]
    except sqlite3.OperationalError:
        return 0
