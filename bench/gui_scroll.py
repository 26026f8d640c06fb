"""GUI responsiveness on a 50,000-photo library: grid scroll steps and opening People.

    python -m bench.gui_scroll [--photos 50000] [--people 2000] [--steps 300]

Builds a library in a temporary folder: real thumbnails (of the bundled sample album) in
its cache, shared by the generated photo rows, and people with faces. Then it shows the
main window, scrolls the photo grid step by step (one mouse-wheel notch, three rows), timing
each step until it is painted, and times opening the People page. Prints median and 95th
percentile per scroll step (goal: median <= 16 ms) and the People open time (goal <= 300 ms).
Runs on whatever Qt platform is set (an X server under Xvfb, or offscreen).
"""

from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
import time
from pathlib import Path


def build_library(folder: Path, photos: int, people: int):
    """A library whose rows point at the sample album's photos (so thumbnails are real)."""
    from sqlalchemy import insert, select

    from albumtag.app.importer import import_folders
    from albumtag.app.stages.decode import DecodeStage
    from albumtag.library.database import Library
    from albumtag.library.schema import Album, AssignedBy, Person, PersonInstance, Photo
    from albumtag.runtime.resources import sample_album_dir

    library = Library.open(folder / "big.albumtag")
    import_folders(library, [sample_album_dir()], stages=[DecodeStage(library.thumbnails_dir)])
    with library.session() as session:
        real = session.execute(select(Photo.relpath, Photo.content_hash, Photo.width, Photo.height)).all()
        album = Album(name="Generated", root=str(sample_album_dir()))
        album.root += "/"  # a second album over the same files
        session.add(album)
        session.flush()
        rows = [{"album_id": album.id, "relpath": real[i % len(real)][0] + f"#{i}", "size": 1, "mtime_ns": i,
                 "content_hash": real[i % len(real)][1], "width": real[i % len(real)][2],
                 "height": real[i % len(real)][3], "missing": False} for i in range(photos)]
        session.execute(insert(Photo), rows)
        session.execute(insert(Person), [{"name": f"Person {i:04d}", "hidden": False} for i in range(people)])
        person_ids = list(session.scalars(select(Person.id)))
        photo_ids = list(session.scalars(select(Photo.id).where(Photo.album_id == album.id)))
        session.execute(insert(PersonInstance), [
            {"photo_id": photo_ids[i], "person_id": person_ids[i % len(person_ids)],
             "assigned_by": AssignedBy.USER, "quality": 0.9,
             "face_x1": 10.0, "face_y1": 10.0, "face_x2": 90.0, "face_y2": 90.0}
            for i in range(0, len(photo_ids), 2)])
    return library


def pump(app, until, timeout_s: float = 30.0) -> None:
    end = time.monotonic() + timeout_s
    while not until() and time.monotonic() < end:
        app.processEvents()


def scroll_steps(app, window, steps: int) -> list[float]:
    """Milliseconds per wheel notch, from the scroll to the repainted viewport."""
    grid = window.grid
    bar = grid.verticalScrollBar()
    notch = 3 * grid.gridSize().height()
    times = []
    for _ in range(steps):
        started = time.perf_counter()
        bar.setValue(min(bar.maximum(), bar.value() + notch))
        grid.viewport().repaint()
        app.processEvents()
        times.append((time.perf_counter() - started) * 1000)
    return times


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--photos", type=int, default=50_000)
    parser.add_argument("--people", type=int, default=2_000)
    parser.add_argument("--steps", type=int, default=300)
    args = parser.parse_args()
    from PySide6.QtWidgets import QApplication

    from albumtag.gui.main_window import MainWindow

    app = QApplication(sys.argv[:1])
    with tempfile.TemporaryDirectory() as tmp:
        built = time.perf_counter()
        library = build_library(Path(tmp), args.photos, args.people)
        print(f"library: {args.photos} photos, {args.people} people (built in {time.perf_counter() - built:.1f} s)")
        started = time.perf_counter()
        window = MainWindow(library)
        window.resize(1280, 820)
        window.show()
        pump(app, lambda: window.photo_model.rowCount() >= args.photos, 60)
        print(f"open window with all photos: {(time.perf_counter() - started) * 1000:.0f} ms")
        times = scroll_steps(app, window, args.steps)
        print(f"scroll step: median {statistics.median(times):.1f} ms, "
              f"p95 {statistics.quantiles(times, n=20)[-1]:.1f} ms over {len(times)} steps (goal median <= 16)")
        started = time.perf_counter()
        window.sidebar.setCurrentItem(window._find_nav(("people", None)))
        window.people_view.grid.viewport().repaint()
        app.processEvents()
        print(f"open People ({window.people.people_model.rowCount()} people): "
              f"{(time.perf_counter() - started) * 1000:.0f} ms (goal <= 300)")
        window.close()
        library.close()


if __name__ == "__main__":
    main()
