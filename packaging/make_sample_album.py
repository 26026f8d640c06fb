"""Rebuild ``resources/sample-album/`` (the album opened on first launch) from ../shared/data.

Public-domain nature photos (immich-app/test-assets) and MIT-licensed photos of people
(serengil/deepface test set, face-api.js group shots), downscaled to at most 1280 px so the
bundle stays small. EXIF (dates, orientation) is kept.

    python packaging/make_sample_album.py
"""

from __future__ import annotations

import shutil
from pathlib import Path

from PIL import Image

REPO = Path(__file__).resolve().parents[1]
SHARED = REPO.parent / "shared" / "data"
OUT = REPO / "resources" / "sample-album"
LONG_SIDE = 1280

# folder in the album -> photos from the shared sets
SELECTION = {
    "Nature": sorted((SHARED / "formats-immich/albums/nature").glob("*.jpg")),
    "Friends": [SHARED / "group-bbt/examples/images" / f"bbt{i}.jpg" for i in range(1, 6)],
    "Portraits": [SHARED / "faces-deepface" / f"img{i}.jpg"
                  for i in (1, 2, 3, 4, 5, 6, 7, 10, 11, 12, 13, 14, 15, 16, 17, 18, 19, 20, 21, 22, 23)],
}
LICENCE = """# Sample album

Opened on AlbumTag's first launch. Rebuilt by `python packaging/make_sample_album.py`.

| folder | source | licence |
|---|---|---|
| Nature | immich-app/test-assets `albums/nature` | public domain |
| Friends | justadudewhohacks/face-api.js `examples/images/bbt*.jpg` | MIT |
| Portraits | serengil/deepface `tests/unit/dataset` | MIT |

Photos of people are of public figures and are here only to demonstrate the app.
"""


def copy_downscaled(src: Path, dest: Path) -> None:
    with Image.open(src) as image:
        if max(image.size) <= LONG_SIDE:
            shutil.copyfile(src, dest)
            return
        exif = image.info.get("exif")
        image.thumbnail((LONG_SIDE, LONG_SIDE), Image.Resampling.LANCZOS)
        image.convert("RGB").save(dest, "JPEG", quality=88, **({"exif": exif} if exif else {}))


def main() -> None:
    if OUT.exists():
        shutil.rmtree(OUT)
    for folder, photos in SELECTION.items():
        (OUT / folder).mkdir(parents=True)
        for src in photos:
            copy_downscaled(src, OUT / folder / src.name)
    (OUT / "README.md").write_text(LICENCE)
    print(f"wrote {sum(len(p) for p in SELECTION.values())} photos to {OUT}")


if __name__ == "__main__":
    main()
