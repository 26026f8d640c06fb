"""Cost of photos of extreme size and shape: each imported alone, time and peak memory.

    python -m bench.extreme_photos [--out DIR] [--json FILE]

Writes into DIR (a temporary folder by default) a 20000x10 JPEG, a 30000x2000 panorama and a
16000x1124 one (real photos with people, side by side), a 1x1 photo, a JPEG whose header
claims 65535x65535 pixels and a 12 MP phone-size photo, then imports each one alone with
``albumtag import`` into a fresh library, in a process of its own. Printed per file: the
outcome (imported, or the reason it was listed under Errors), the wall time, the time over
the 1x1 photo's import (which holds the fixed cost of starting the app and loading its
models, so the difference is what the photo itself costs), and the peak RSS of the import's
process tree. Goals: every file imported or listed with a reason, at most 5 s over the 1x1
photo, at most 500 MB.
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from PIL import Image

from albumtag.evaluation.process_memory import TreePeakRss
from bench.make_photo_folder import sources

SECONDS_GOAL = 5.0
MB_GOAL = 500.0


def strip(width: int, height: int) -> Image.Image:
    """Real photos side by side, each scaled to ``height``, cut to ``width``. Each source is
    decoded once (a 10 px strip holds thousands of pieces of a few dozen photos)."""
    canvas, x = Image.new("RGB", (width, height)), 0
    photos = sources()
    scaled: dict[Path, Image.Image] = {}
    while x < width:
        source = photos[x % len(photos)]
        if source not in scaled:
            with Image.open(source) as photo:
                photo = photo.convert("RGB")
                scaled[source] = photo.resize((max(1, photo.width * height // photo.height), height))
        canvas.paste(scaled[source], (x, 0))
        x += scaled[source].width
    return canvas


def claimed_size_jpeg(path: Path, width: int, height: int) -> None:
    """A small valid JPEG whose frame header (SOF0) is rewritten to claim ``width`` x ``height``."""
    Image.new("RGB", (64, 64), (90, 120, 150)).save(path, quality=90)
    data = bytearray(path.read_bytes())
    sof = data.index(b"\xff\xc0")
    data[sof + 5:sof + 9] = height.to_bytes(2, "big") + width.to_bytes(2, "big")
    path.write_bytes(bytes(data))


def write_photos(folder: Path, only: tuple[str, ...] = ()) -> list[Path]:
    """The test photos (``only`` those named, if given), one sub-folder each (each is imported
    as an album of its own); the 1x1 photo comes first."""
    made = {
        "one-pixel.jpg": lambda p: Image.new("RGB", (1, 1), (128, 128, 128)).save(p),
        "strip-20000x10.jpg": lambda p: strip(20000, 10).save(p, quality=90),
        "panorama-30000x2000.jpg": lambda p: strip(30000, 2000).save(p, quality=85),
        "panorama-16000x1124.jpg": lambda p: strip(16000, 1124).save(p, quality=85),
        "phone-4032x3024.jpg": lambda p: strip(4032, 3024).save(p, quality=90),
        "claims-65535x65535.jpg": lambda p: claimed_size_jpeg(p, 65535, 65535),
    }
    paths = []
    for name, write in made.items():
        if only and name not in only:
            continue
        album = folder / Path(name).stem
        album.mkdir(parents=True, exist_ok=True)
        write(album / name)
        paths.append(album / name)
    return paths


def import_alone(photo: Path, work: Path) -> dict[str, object]:
    """One photo through ``albumtag import`` into a new library; outcome, seconds, peak MB."""
    library = work / f"{photo.stem}.albumtag"
    command = [sys.executable, "-m", "albumtag", "--library", str(library), "import", str(photo.parent)]
    started = time.perf_counter()
    with subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True) as child:
        with TreePeakRss(root=child.pid) as peak:
            _, errors = child.communicate()
    seconds = time.perf_counter() - started
    listed = subprocess.run([sys.executable, "-m", "albumtag", "--library", str(library), "errors"],
                            capture_output=True, text=True).stdout.strip()
    outcome = "imported" if child.returncode == 0 and not listed else (listed or errors.strip()[-300:])
    return {"photo": photo.name, "exit": child.returncode, "outcome": outcome, "seconds": seconds,
            "peak_mb": peak.mb}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, help="keep the photos and libraries here")
    parser.add_argument("--json", type=Path, help="also write the rows as JSON")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        work = args.out or Path(tmp)
        work.mkdir(parents=True, exist_ok=True)
        rows = [import_alone(photo, work) for photo in write_photos(work / "photos")]
    floor = rows[0]["seconds"]
    for row in rows:
        row["over_floor_s"] = row["seconds"] - floor
        ok = row["over_floor_s"] <= SECONDS_GOAL and row["peak_mb"] <= MB_GOAL
        print(f"{row['photo']:26s} {row['seconds']:6.1f} s ({row['over_floor_s']:+5.1f} s over 1x1)  "
              f"{row['peak_mb']:5.0f} MB  {'ok ' if ok else 'OVER'}  {row['outcome']}")
    if args.json:
        args.json.write_text(json.dumps(rows, indent=1))


if __name__ == "__main__":
    main()
