"""What the fuzz benchmark (bench/fuzz_import.py) found the import mishandling, a test each."""

from __future__ import annotations

import time
from pathlib import Path

import pytest
from PIL import Image, PngImagePlugin

from albumtag.io.decode import decode_file
from albumtag.io.metadata import xmp_taken_at
from albumtag.io.photo_reader import ReadJob, read_photo
from albumtag.io.thumbnails import thumbnail_path
from albumtag.io.xmp_files import photo_people
from albumtag.io.xmp_rdf import XmpError
from albumtag.io.xmp_regions import Frame, read_people
from albumtag.io.xmp_xml import MAX_XMP_BYTES


def _packet(items: int) -> bytes:
    """A well-formed packet: a date, a named face region, then a bag of ``items`` tiny items
    (the shape of a runaway Photoshop DocumentAncestors list)."""
    return (
        b"<x:xmpmeta xmlns:x='adobe:ns:meta/'><rdf:RDF xmlns:rdf='http://www.w3.org/1999/02/22-rdf-syntax-ns#'>"
        b"<rdf:Description xmlns:exif='http://ns.adobe.com/exif/1.0/' "
        b"xmlns:mwg-rs='http://www.metadataworkinggroup.com/schemas/regions/' "
        b"xmlns:stArea='http://ns.adobe.com/xmp/sType/Area#' "
        b"xmlns:photoshop='http://ns.adobe.com/photoshop/1.0/' exif:DateTimeOriginal='2019-05-04T10:11:12'>"
        b"<mwg-rs:Regions rdf:parseType='Resource'><mwg-rs:RegionList><rdf:Bag><rdf:li>"
        b"<rdf:Description mwg-rs:Name='Ada' mwg-rs:Type='Face'><mwg-rs:Area stArea:x='0.5' stArea:y='0.5' "
        b"stArea:w='0.2' stArea:h='0.2'/></rdf:Description></rdf:li></rdf:Bag></mwg-rs:RegionList>"
        b"</mwg-rs:Regions><photoshop:DocumentAncestors><rdf:Bag>"
        + b"<rdf:li>x</rdf:li>" * items
        + b"</rdf:Bag></photoshop:DocumentAncestors></rdf:Description></rdf:RDF></x:xmpmeta>"
    )


def test_xmp_packet_over_the_limit_is_refused_without_parsing() -> None:
    # 30 MB of tiny elements: a 10-20 s stall per read in the import's main process (regions
    # stage) before the limit; memory grew with it.
    packet = _packet(30 * (1 << 20) // 18)
    assert len(packet) > MAX_XMP_BYTES
    started = time.perf_counter()
    with pytest.raises(XmpError, match="XMP packet too large"):
        read_people(packet, Frame(1, 100, 100))
    assert xmp_taken_at(packet) is None
    assert time.perf_counter() - started < 2


def test_large_xmp_packet_under_the_limit_is_still_read() -> None:
    packet = _packet(2 * (1 << 20) // 18)
    assert len(packet) < MAX_XMP_BYTES
    assert [person.name for person in read_people(packet, Frame(1, 100, 100))] == ["Ada"]
    assert xmp_taken_at(packet).year == 2019


def test_entities_are_still_refused_and_a_plain_doctype_read() -> None:
    with pytest.raises(XmpError, match="malformed XMP"):
        read_people('<!DOCTYPE x [<!ENTITY a "aaaa">]><x>&a;</x>', Frame(1, 10, 10))
    assert read_people("<!DOCTYPE x><x/>", Frame(1, 10, 10)) == []
    with pytest.raises(XmpError, match="malformed XMP"):  # no DTD: an undefined entity
        read_people("<x>&a;</x>", Frame(1, 10, 10))


def test_photo_with_an_oversized_xmp_packet_imports(tmp_path: Path) -> None:
    path = tmp_path / "huge-xmp.png"
    info = PngImagePlugin.PngInfo()
    info.add_itxt("XML:com.adobe.xmp", _packet(12 * (1 << 20) // 18).decode())
    Image.new("RGB", (40, 30), "red").save(path, pnginfo=info)
    header, image = decode_file(path)
    assert image.size == (40, 30) and header.taken_at is None
    with pytest.raises(XmpError, match="too large"):  # the regions stage warns, then reads nobody
        photo_people(path, Frame(1, 40, 30))


def test_gif_with_a_comment_over_64_kb_imports(tmp_path: Path) -> None:
    # The thumbnail inherited the comment and Pillow refused to write it into a JPEG: the
    # photo was listed as "unexpected error: ValueError: Comment is too long".
    path = tmp_path / "commented.gif"
    Image.new("RGB", (40, 30), "red").save(path, comment=b"c" * 100_000)
    facts = read_photo(ReadJob(1, str(path), str(tmp_path / "thumbnails")))
    assert (facts.format, facts.width, facts.height) == ("GIF", 40, 30)
    with Image.open(thumbnail_path(tmp_path / "thumbnails", facts.content_hash)) as thumbnail:
        assert thumbnail.size == (40, 30) and "comment" not in thumbnail.info
