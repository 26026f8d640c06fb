"""When a photo was taken, from EXIF, embedded XMP, or an XMP sidecar next to the file.

Dates drive the photo grid's order and the recognition engine's notion of an event (the same
day's clothing is a strong cue), so a missing date is normal and a corrupt one is ignored.
"""

from __future__ import annotations

import re
import warnings
from datetime import datetime
from pathlib import Path

from PIL import Image

from albumtag.io.xmp_xml import check_size, parse_xml

# EXIF tags: DateTimeOriginal and DateTimeDigitized live in the Exif IFD, DateTime in IFD0.
EXIF_IFD = 0x8769
EXIF_DATE_TAGS = ((EXIF_IFD, 0x9003), (EXIF_IFD, 0x9004), (None, 0x0132))
# XMP properties that hold a capture date, best first.
XMP_DATE_PROPERTIES = (
    "{http://ns.adobe.com/exif/1.0/}DateTimeOriginal",
    "{http://ns.adobe.com/photoshop/1.0/}DateCreated",
    "{http://ns.adobe.com/xap/1.0/}CreateDate",
)
_EXIF_DATE = re.compile(r"(\d{4}):(\d{2}):(\d{2})[ T](\d{2}):(\d{2}):(\d{2})")


def parse_exif_date(value: object) -> datetime | None:
    """'YYYY:MM:DD HH:MM:SS' as a naive local datetime; None for blanks and nonsense."""
    match = _EXIF_DATE.match(str(value).strip().strip("\x00"))
    if not match:
        return None
    try:
        return datetime(*(int(part) for part in match.groups()))
    except ValueError:
        return None


def parse_xmp_date(value: str) -> datetime | None:
    """ISO-8601 as XMP writes it (date, date-time, with or without zone); zone is dropped."""
    text = value.strip()
    try:
        parsed = datetime.fromisoformat(text.replace("Z", "+00:00"))
    except ValueError:
        return None
    return parsed.replace(tzinfo=None)


def exif_taken_at(image: Image.Image) -> datetime | None:
    try:
        exif = image.getexif()
        for ifd, tag in EXIF_DATE_TAGS:
            source = exif.get_ifd(ifd) if ifd else exif
            found = parse_exif_date(source.get(tag, ""))
            if found:
                return found
    except Exception:  # corrupt EXIF is common in the wild; the date is then unknown
        return None
    return None


def exif_problem(image: Image.Image) -> str | None:
    """Why the photo's EXIF block cannot be read, or None (also when it has none).

    Pillow reads a broken block as empty, or warns and reads part of it; either way the date
    and orientation in it are lost, which the person should hear about (as a warning: the
    photo itself is fine)."""
    raw = image.info.get("exif")
    if not raw:
        return None
    body = raw[6:] if raw.startswith(b"Exif\x00\x00") else raw
    if body[:4] not in (b"II*\x00", b"MM\x00*"):
        return "EXIF block unreadable (no TIFF header): its date and orientation are ignored"
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        try:  # parsed afresh: Pillow parsed it once already while opening, and warned then
            exif = Image.Exif()
            exif.load(raw)
            exif.get_ifd(EXIF_IFD)
        except Exception as error:  # any parser failure is the same news for the person
            return f"EXIF block unreadable ({error}): its date and orientation are ignored"
    if caught:
        return f"EXIF block partly unreadable ({str(caught[0].message).strip()}): some of it is ignored"
    return None


def xmp_text(packet: bytes | str) -> str:
    """An XMP packet as text: sidecars are often UTF-16 with a BOM, embedded ones UTF-8."""
    if isinstance(packet, str):
        text = packet
    elif packet.startswith((b"\xff\xfe", b"\xfe\xff")):
        text = packet.decode("utf-16", errors="replace")
    else:
        text = packet.decode("utf-8-sig", errors="replace")
    return text.strip("\x00 \r\n\t")


def xmp_taken_at(packet: bytes | str | None) -> datetime | None:
    """The capture date in an XMP packet (attribute or element form); None if absent/bad."""
    if not packet:
        return None
    try:
        check_size(packet)
        root = parse_xml(xmp_text(packet))
    except Exception:  # malformed or oversized XMP never stops an import
        return None
    for prop in XMP_DATE_PROPERTIES:
        for element in root.iter():
            value = element.attrib.get(prop) or (element.text if element.tag == prop else None)
            found = parse_xmp_date(value) if value else None
            if found:
                return found
    return None


def sidecar_paths(photo: Path) -> tuple[Path, Path]:
    """Both sidecar conventions: ``photo.jpg.xmp`` (digiKam, darktable) and ``photo.xmp``."""
    return photo.with_name(photo.name + ".xmp"), photo.with_suffix(".xmp")


def read_sidecar(photo: Path) -> bytes | None:
    for candidate in sidecar_paths(photo):
        try:
            return candidate.read_bytes()
        except OSError:
            continue
    return None


def embedded_xmp(image: Image.Image) -> bytes | str | None:
    """The XMP packet inside an opened image (JPEG APP1, PNG iTXt, WebP, HEIC, TIFF)."""
    return image.info.get("xmp") or image.info.get("XML:com.adobe.xmp")


def taken_at(image: Image.Image, photo_path: Path | None = None) -> datetime | None:
    """EXIF first (cameras write it), then embedded XMP, then a sidecar."""
    return (
        exif_taken_at(image)
        or xmp_taken_at(embedded_xmp(image))
        or (xmp_taken_at(read_sidecar(photo_path)) if photo_path else None)
    )
