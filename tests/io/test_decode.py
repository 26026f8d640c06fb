"""Decoding real photos in every supported format, orientation, dates, and refusals."""

from __future__ import annotations

from datetime import datetime
from pathlib import Path

import pytest

from albumtag.io.decode import decode_file
from albumtag.io.errors import PhotoError

FORMATS = {
    "formats/jpg/el_torcal_rocks.jpg": ("JPEG", 512, 341),
    "formats/png/density_plot.png": ("PNG", 800, 800),
    "formats/webp/denali.webp": ("WEBP", 600, 315),
    "formats/heic/IMG_2682.heic": ("HEIF", 4032, 3024),
    "formats/avif/8bit-sRGB.avif": ("AVIF", 1617, 1080),
    "formats/jxl/8bit-sRGB.jxl": ("JXL", 1440, 1080),
}


@pytest.mark.parametrize("relpath", sorted(FORMATS))
def test_every_format_decodes_to_rgb(shared_data: Path, relpath: str) -> None:
    fmt, width, height = FORMATS[relpath]
    header, image = decode_file(shared_data / "formats-immich" / relpath)
    assert (header.format, header.width, header.height) == (fmt, width, height)
    assert image.mode == "RGB" and image.size == (width, height)


def test_webp_with_jpg_name_decodes_by_content(shared_data: Path) -> None:
    header, _ = decode_file(shared_data / "faces-deepface" / "img47.jpg")
    assert header.format == "WEBP"


def test_exif_orientation_swaps_dimensions_and_pixels(shared_data: Path) -> None:
    folder = shared_data / "formats-immich" / "metadata" / "faces"
    upright, upright_image = decode_file(folder / "portrait.jpg")
    rotated, rotated_image = decode_file(folder / "portrait-orientation-6.jpg")
    assert rotated.orientation == 6 and upright.orientation == 1
    assert (rotated.width, rotated.height) == (upright.width, upright.height)
    assert rotated_image.size == upright_image.size


def test_draft_decode_keeps_at_least_the_requested_size(shared_data: Path) -> None:
    path = shared_data / "formats-immich" / "albums" / "text" / "craft-beer.jpg"
    header, image = decode_file(path, long_side=320)
    assert (header.width, header.height) == (6000, 4000)
    assert 320 <= max(image.size) < 6000


def test_capture_dates_from_exif(shared_data: Path) -> None:
    folder = shared_data / "formats-immich" / "metadata" / "dates"
    assert decode_file(folder / "datetimeoriginal-gps.jpg")[0].taken_at == datetime(2025, 12, 1, 11, 30)
    # DateTimeOriginal wins over the XMP and IPTC dates the same file carries.
    assert decode_file(folder / "date-priority-test.jpg")[0].taken_at == datetime(2023, 2, 2, 2, 0)


def test_capture_date_from_xmp_sidecar(tmp_path: Path, shared_data: Path) -> None:
    photo = tmp_path / "scan.png"
    photo.write_bytes((shared_data / "formats-immich/formats/png/density_plot.png").read_bytes())
    sidecar = shared_data / "formats-immich/metadata/xmp/dates/2010.xmp"
    (tmp_path / "scan.png.xmp").write_bytes(sidecar.read_bytes())  # UTF-16 with BOM
    assert decode_file(photo)[0].taken_at.year == 2010


def test_broken_files_give_clear_reasons(bad_corpus: tuple[Path, dict[str, str]]) -> None:
    folder, expected = bad_corpus
    for name, phrase in expected.items():
        with pytest.raises(PhotoError, match=phrase):
            decode_file(folder / name)


def test_corrupt_metadata_does_not_stop_decoding(bad_corpus: tuple[Path, dict[str, str]]) -> None:
    folder, _ = bad_corpus
    for name in ("corrupt-exif.jpg", "bad-xmp.jpg"):
        header, image = decode_file(folder / name)
        assert header.taken_at is None and image.size == (250, 250)


def test_malformed_xmp_sidecar_is_ignored(tmp_path: Path, shared_data: Path) -> None:
    photo = tmp_path / "photo.jpg"
    photo.write_bytes((shared_data / "formats-immich/formats/jpg/el_torcal_rocks.jpg").read_bytes())
    problem = shared_data / "formats-immich/problems/xmp/iso-value-array/iso-value-array.xmp"
    (tmp_path / "photo.xmp").write_bytes(problem.read_bytes())
    header, _ = decode_file(photo)
    assert header.width == 512


def test_animated_gif_gives_its_first_frame(tmp_path: Path, shared_data: Path) -> None:
    from PIL import Image

    frames = [Image.new("RGB", (40, 30), colour) for colour in ("red", "blue", "green")]
    path = tmp_path / "anim.gif"
    frames[0].save(path, save_all=True, append_images=frames[1:], duration=100, loop=0)
    header, image = decode_file(path)
    assert (header.format, image.size) == ("GIF", (40, 30))
    assert image.getpixel((5, 5))[0] > 200  # red: the first frame
