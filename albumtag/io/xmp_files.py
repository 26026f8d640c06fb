"""The people a photo's XMP names, from its sidecar or from the packet inside the file.

A sidecar wins when it names anyone: digiKam, darktable, Lightroom and AlbumTag's own
``export-xmp`` write there and leave the original alone, so the sidecar is the newer word.
Only the header is read (Pillow collects XMP while opening), never the pixels.
"""

from __future__ import annotations

from pathlib import Path

from PIL import Image

from albumtag.io.formats import register_codecs
from albumtag.io.metadata import embedded_xmp, read_sidecar
from albumtag.io.xmp_rdf import XmpError
from albumtag.io.xmp_regions import Frame, TaggedPerson, read_people


def embedded_packet(photo: Path) -> bytes | str | None:
    """The XMP packet inside the photo; None when it has none or cannot be opened."""
    register_codecs()
    try:
        with Image.open(photo) as image:
            return embedded_xmp(image)
    except Exception:
        return None


def photo_people(photo: Path, frame: Frame) -> list[TaggedPerson]:
    """The sidecar's people if it names any, else the embedded packet's.

    A malformed packet is skipped for the other one; XmpError only when no packet could be
    read and one of them was malformed, so the caller can say which file is broken.
    """
    error: XmpError | None = None
    for packet in (read_sidecar(photo), embedded_packet(photo)):
        if not packet:
            continue
        try:
            people = read_people(packet, frame)
        except XmpError as bad:
            error = error or bad
            continue
        if people:
            return people
    if error:
        raise error
    return []
