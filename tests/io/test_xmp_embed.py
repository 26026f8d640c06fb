"""Writing people into the photo file itself: only the XMP changes, and what is written reads
back exactly, through our reader, through Pillow's generic XMP parser (runs everywhere) and
through exiftool (where it is installed)."""

from __future__ import annotations

import io
import shutil
import zlib
from pathlib import Path

import numpy as np
import pytest
from PIL import Image, ImageCms

from albumtag.io.xmp_embed import JPEG_XMP_LIMIT, CannotEmbed, embed_people
from albumtag.io.xmp_files import embedded_packet, photo_people
from albumtag.io.xmp_regions import Frame, TaggedPerson
from albumtag.io.xmp_write import mwg_area

XMP_APP1 = b"http://ns.adobe.com/xap/1.0/\x00"
CURIES = [TaggedPerson("Marie Curie", (262.0, 146.0, 357.0, 285.0)),
          TaggedPerson("Pierre Curie", (537.0, 83.0, 618.0, 252.0)),
          TaggedPerson("Irène Curie", None)]
TURNED_PEOPLE = [TaggedPerson("Aaron Peirsol", (40.0, 60.0, 130.0, 170.0)), TaggedPerson("Coach", None)]


# ----- the files, and an independent look at their parts ------------------------------------
def _jpeg_parts(data: bytes) -> list[bytes]:
    """SOI, each segment before the scan, then the scan to the end, as raw bytes."""
    parts, pos = [data[:2]], 2
    while data[pos + 1] != 0xDA:
        end = pos + 2 + int.from_bytes(data[pos + 2:pos + 4], "big")
        parts.append(data[pos:end])
        pos = end
    return [*parts, data[pos:]]


def _png_parts(data: bytes) -> list[bytes]:
    """The signature and every chunk, each checked against its CRC."""
    parts, pos = [data[:8]], 8
    while pos < len(data):
        end = pos + 12 + int.from_bytes(data[pos:pos + 4], "big")
        assert zlib.crc32(data[pos + 4:end - 4]) == int.from_bytes(data[end - 4:end], "big")
        parts.append(data[pos:end])
        pos = end
    return parts


def _parts(data: bytes) -> list[bytes]:
    return _png_parts(data) if data.startswith(b"\x89PNG") else _jpeg_parts(data)


def _is_xmp(part: bytes) -> bool:
    return part[4:].startswith(XMP_APP1) or part[4:].startswith(b"iTXtXML:com.adobe.xmp\x00")


@pytest.fixture
def portrait(tmp_path: Path, shared_data: Path) -> Path:
    """Marie and Pierre Curie as MWG and Microsoft regions, IPTC keywords, a JPEG comment."""
    target = tmp_path / "portrait.jpg"
    shutil.copyfile(shared_data / "formats-immich" / "metadata" / "faces" / "portrait.jpg", target)
    return target


@pytest.fixture
def turned(tmp_path: Path, shared_data: Path, portrait: Path) -> Path:
    """No XMP yet; EXIF (orientation 6), an ICC profile and IPTC: the segments a camera and an
    editor leave, which must come through untouched. Stored 250x180, shown 180x250."""
    target = tmp_path / "turned.jpg"
    image = Image.open(shared_data / "faces-lfw" / "Aaron_Peirsol" / "Aaron_Peirsol_0001.jpg").crop((0, 35, 250, 215))
    exif = Image.Exif()
    exif[0x0112], exif[0x010F] = 6, "AlbumTag test camera"
    icc = ImageCms.ImageCmsProfile(ImageCms.createProfile("sRGB")).tobytes()
    image.save(target, "JPEG", exif=exif.tobytes(), icc_profile=icc, quality=90)
    iptc = next(p for p in _jpeg_parts(portrait.read_bytes()) if p[:2] == b"\xff\xed")
    parts = _jpeg_parts(target.read_bytes())
    target.write_bytes(b"".join(parts[:3] + [iptc] + parts[3:]))  # SOI, APP0... then IPTC
    return target


@pytest.fixture
def png(tmp_path: Path, shared_data: Path) -> Path:
    target = tmp_path / "plot.png"
    shutil.copyfile(shared_data / "formats-immich" / "formats" / "png" / "density_plot.png", target)
    return target


CASES = {  # fixture -> (frame, people)
    "portrait": (Frame(1, 840, 700), CURIES),
    "turned": (Frame(6, 180, 250), TURNED_PEOPLE),
    "png": (Frame(1, 800, 800), CURIES),
}


@pytest.fixture(params=sorted(CASES))
def written(request: pytest.FixtureRequest) -> tuple[Path, bytes, Frame, list[TaggedPerson]]:
    """(the photo with its people written in, its bytes before, frame, people)."""
    path: Path = request.getfixturevalue(request.param)
    frame, people = CASES[request.param]
    before = path.read_bytes()
    path.write_bytes(embed_people(before, people, frame))
    return path, before, frame, people


# ----- what must not change ---------------------------------------------------------------
def test_pixels_and_every_other_part_are_unchanged(written) -> None:
    path, before, _, _ = written
    after = path.read_bytes()
    with Image.open(path) as new, Image.open(io.BytesIO(before)) as old:
        assert np.array_equal(np.asarray(new), np.asarray(old))
        assert new.getexif() == old.getexif()
        assert new.info.get("icc_profile") == old.info.get("icc_profile")
    assert [p for p in _parts(after) if not _is_xmp(p)] == [p for p in _parts(before) if not _is_xmp(p)]
    assert sum(map(_is_xmp, _parts(after))) == 1


def test_camera_segments_come_through_byte_for_byte(turned: Path) -> None:
    frame, people = CASES["turned"]
    before = _jpeg_parts(turned.read_bytes())
    after = _jpeg_parts(embed_people(turned.read_bytes(), people, frame))
    kinds = [part[:2] for part in before]
    assert {b"\xff\xe1", b"\xff\xe2", b"\xff\xed"} <= set(kinds)  # EXIF, ICC, IPTC present
    xmp_at = next(i for i, part in enumerate(after) if _is_xmp(part))
    assert after[:xmp_at] + after[xmp_at + 1:] == before
    assert after[xmp_at - 1].startswith(b"\xff\xe1") and b"Exif" in after[xmp_at - 1][:10]  # right after EXIF


# ----- what is written reads back exactly -------------------------------------------------
def test_our_reader_gets_exactly_the_names_and_boxes(written) -> None:
    path, _, frame, people = written
    read = {p.name: p.box for p in photo_people(path, frame)}
    assert list(read) == [p.name for p in people]
    for person in people:
        assert read[person.name] == (None if person.box is None else pytest.approx(person.box, abs=0.001))


def _listed(value: object) -> list:
    return value if isinstance(value, list) else [value]


def test_pillows_xmp_parser_reads_the_same_regions(written) -> None:
    """An independent pure-Python reader (Pillow's getxmp): the CI check of the round trip."""
    path, _, frame, people = written
    with Image.open(path) as image:
        description = image.getxmp()["xmpmeta"]["RDF"]["Description"]
    regions = description["Regions"]["RegionList"]["Bag"]["li"]
    areas = {r["Description"]["Name"]: r["Description"]["Area"] for r in _listed(regions)}
    placed = [p for p in people if p.box is not None]
    assert list(areas) == [p.name for p in placed]
    for person in placed:
        assert {key: float(areas[person.name][key]) for key in "xywh"} == mwg_area(person.box, frame)
    assert _listed(description["TagsList"]["Seq"]["li"]) == [f"People/{p.name}" for p in people]
    assert _listed(description["hierarchicalSubject"]["Bag"]["li"]) == [f"People|{p.name}" for p in people]


def test_exiftool_reads_the_same_names_and_boxes(written, exiftool) -> None:
    path, _, frame, people = written
    info = exiftool(path, "-XMP-mwg-rs:RegionInfo", "-XMP-mwg-rs:RegionName", "-XMP-dc:Subject")
    placed = [p for p in people if p.box is not None]
    regions = info["RegionInfo"]["RegionList"]
    assert [r["Name"] for r in regions] == [p.name for p in placed]
    for region, person in zip(regions, placed):
        assert {key.lower(): region["Area"][key] for key in "XYWH"} == mwg_area(person.box, frame)
    assert _listed(info["Subject"]) == [p.name for p in people]


# ----- merging and refusing ---------------------------------------------------------------
def test_removing_everyone_leaves_nobody_not_even_in_microsoft_regions(portrait: Path) -> None:
    frame = CASES["portrait"][0]
    portrait.write_bytes(embed_people(portrait.read_bytes(), [], frame))
    assert photo_people(portrait, frame) == []
    packet = embedded_packet(portrait)
    assert b"XMP Core 4.4.0-Exiv2" in packet and b"acdsee:categories" in packet  # the rest stays
    assert b"LastKeywordXMP" not in packet and b"MPRI:Regions" not in packet  # no empty lists left


def test_writing_the_same_people_again_leaves_the_file_alone(written) -> None:
    path, _, frame, people = written
    assert embed_people(path.read_bytes(), people, frame) is None


def test_a_file_without_xmp_and_nobody_to_write_is_left_alone(turned: Path) -> None:
    assert embed_people(turned.read_bytes(), [], CASES["turned"][0]) is None


def _with_app(data: bytes, marker: bytes, payload: bytes) -> bytes:
    """``data`` with an APPn segment right after SOI."""
    return data[:2] + marker + (len(payload) + 2).to_bytes(2, "big") + payload + data[2:]


def _oversized(portrait: Path) -> bytes:
    """A JPEG whose XMP just fits, with a foreign note that leaves no room for our regions."""
    note = "x" * (JPEG_XMP_LIMIT - 400)
    packet = ('<x:xmpmeta xmlns:x="adobe:ns:meta/"><rdf:RDF xmlns:rdf="http://www.w3.org/1999/02/22-rdf-syntax-ns#">'
              f'<rdf:Description xmlns:acme="http://example.com/acme/" acme:Note="{note}"/></rdf:RDF></x:xmpmeta>')
    without = b"".join(part for part in _jpeg_parts(portrait.read_bytes()) if not _is_xmp(part))
    return _with_app(without, b"\xff\xe1", XMP_APP1 + packet.encode())


@pytest.mark.parametrize("case, reason", [
    ("webp", "only JPEG and PNG"),
    ("oversized", "a JPEG holds 65,502"),
    ("two packets", "two XMP packets"),
    ("mpo", "multi-picture JPEG"),
])
def test_files_that_cannot_take_it_are_refused_with_a_reason(portrait: Path, shared_data: Path, case: str,
                                                             reason: str) -> None:
    data = portrait.read_bytes()
    xmp = next(p for p in _jpeg_parts(data) if _is_xmp(p))
    damaged = {
        "webp": lambda: (shared_data / "formats-immich" / "formats" / "webp" / "denali.webp").read_bytes(),
        "oversized": lambda: _oversized(portrait),
        "two packets": lambda: data[:2] + xmp + data[2:],
        "mpo": lambda: _with_app(data, b"\xff\xe2", b"MPF\x00II*\x00"),
    }[case]()
    with pytest.raises(CannotEmbed, match=reason):
        embed_people(damaged, CURIES, CASES["portrait"][0])
