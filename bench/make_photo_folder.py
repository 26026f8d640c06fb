"""Generate a folder of N real-looking photos for import benchmarks (from the shared sets).

Each photo is one shared photo, flipped/rotated/cropped differently and re-encoded at a
camera-like size, so every file has distinct content (no hash collisions) and the folder
tree looks like a phone's (one sub-folder per 'month').

    python -m bench.make_photo_folder OUT --count 10000 [--size 1600]
"""

from __future__ import annotations

import argparse
import random
from pathlib import Path

from PIL import Image, ImageOps

SHARED = Path(__file__).resolve().parents[1].parent / "shared" / "data"
PER_FOLDER = 250


def sources() -> list[Path]:
    found = sorted((SHARED / "formats-immich" / "albums").glob("*/*.jpg"))
    found += sorted((SHARED / "faces-deepface").glob("img*.jpg"))
    found += sorted((SHARED / "group-bbt" / "examples" / "images").glob("bbt*.jpg"))
    return found


def variant(image: Image.Image, rng: random.Random, size: int) -> Image.Image:
    if rng.random() < 0.5:
        image = ImageOps.mirror(image)
    w, h = image.size
    crop = rng.uniform(0.7, 1.0)
    cw, ch = int(w * crop), int(h * crop)
    x, y = rng.randint(0, w - cw), rng.randint(0, h - ch)
    image = image.crop((x, y, x + cw, y + ch))
    scale = size / max(image.size)
    return image.resize((max(1, int(image.width * scale)), max(1, int(image.height * scale))),
                        Image.Resampling.BILINEAR)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("out", type=Path)
    parser.add_argument("--count", type=int, default=10_000)
    parser.add_argument("--size", type=int, default=1600, help="long side in pixels")
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args()
    rng = random.Random(args.seed)
    originals = [ImageOps.exif_transpose(Image.open(p)).convert("RGB") for p in sources()]
    for original in originals:
        original.thumbnail((args.size * 2, args.size * 2))
    for index in range(args.count):
        folder = args.out / f"{2000 + index // (PER_FOLDER * 12)}-{index // PER_FOLDER % 12 + 1:02d}"
        folder.mkdir(parents=True, exist_ok=True)
        photo = variant(rng.choice(originals), rng, args.size)
        photo.save(folder / f"IMG_{index:05d}.jpg", "JPEG", quality=rng.randint(80, 95))
    print(f"wrote {args.count} photos to {args.out}")


if __name__ == "__main__":
    main()
