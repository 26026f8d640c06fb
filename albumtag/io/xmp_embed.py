"""Writing people into the photo file itself (the user's opt-in): JPEG and PNG.

The file is cut where its XMP packet is (or where a new one goes) and only that piece is
replaced, so the pixels are never decoded or re-encoded and every other segment or chunk
(EXIF, ICC profile, IPTC, thumbnails, maker notes) stays byte for byte. The packet is the
sidecar writer's merge (``xmp_write.merged_packet``): what other programs put there stays.

* JPEG: the APP1 segment starting "http://ns.adobe.com/xap/1.0/\\0", replaced where it is, or
  a new one after the leading JFIF/EXIF segments (APP0 and APP1 must come first). One segment
  holds at most ``JPEG_XMP_LIMIT`` bytes of packet; a bigger one would need Extended XMP
  (split over several segments, which many readers ignore), so such a file is refused with
  ``CannotEmbed`` and the caller writes the sidecar instead.
* PNG: the iTXt chunk with keyword "XML:com.adobe.xmp" (uncompressed, as the XMP spec asks),
  replaced where it is or put right after IHDR, so readers that stop at the image data see it.

Anything else (HEIC, WebP, AVIF, JPEG XL, TIFF...) is refused with ``CannotEmbed`` too: their
containers keep offsets to the metadata that moving bytes would break.
"""

from __future__ import annotations

import zlib
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass

from albumtag.io.xmp_regions import Frame, TaggedPerson, read_people
from albumtag.io.xmp_write import merged_packet

XMP_APP1_HEADER = b"http://ns.adobe.com/xap/1.0/\x00"
# The XMP spec (part 3, 1.1.3) caps the packet in a JPEG's standard XMP segment at 65,502 bytes.
JPEG_XMP_LIMIT = 65_502
PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"
PNG_XMP_KEYWORD = b"XML:com.adobe.xmp"
PNG_XMP_MAX = 64 * 1024 * 1024  # a compressed XMP chunk inflating past this is not XMP
_APP0, _APP1, _APP2 = 0xE0, 0xE1, 0xE2
_HEADER_ENDS = (0xD9, 0xDA)  # EOI, SOS: the segments before the scan are all there is to read
_STANDALONE = {0x01, *range(0xD0, 0xD8)}  # TEM, RSTn: markers without a length


class CannotEmbed(Exception):
    """This file cannot take the people in its own XMP; the message says why (for the user)."""


@dataclass(frozen=True)
class _Splice:
    """A file cut at its XMP: ``head + store(packet) + tail`` is the file with a new packet."""

    head: bytes
    packet: bytes | None  # the XMP there now, None when the file has none
    tail: bytes
    store: Callable[[bytes], bytes]  # a packet as this container holds it


def embed_people(data: bytes, people: Sequence[TaggedPerson], frame: Frame) -> bytes | None:
    """The photo's bytes with ``people`` merged into its XMP; None when its XMP already names
    exactly these people in these places, so exporting again leaves files (and backups of
    them) alone. Raises ``CannotEmbed`` (write the sidecar instead) and ``XmpError`` (the
    packet inside is malformed: merging could lose what it holds).
    """
    splice = _splice(data)
    if splice.packet is None and not people:
        return None
    packet = merged_packet(splice.packet, people, frame).encode("utf-8")
    if splice.packet is not None and _same_people(splice.packet, packet, frame):
        return None
    return splice.head + splice.store(packet) + splice.tail


def _same_people(old: bytes, new: bytes, frame: Frame) -> bool:
    """Both packets name the same people with the same boxes, as our reader sees them."""
    return set(read_people(old, frame)) == set(read_people(new, frame))


def _splice(data: bytes) -> _Splice:
    if data.startswith(b"\xff\xd8\xff"):
        return _jpeg(data)
    if data.startswith(PNG_SIGNATURE):
        return _png(data)
    raise CannotEmbed("only JPEG and PNG files are written into")


# ----- JPEG -------------------------------------------------------------------------------
@dataclass(frozen=True)
class _Part:
    """A JPEG segment or PNG chunk: its kind and where it lies in the file."""

    kind: int | bytes
    start: int
    end: int


def _jpeg_segments(data: bytes) -> Iterator[_Part]:
    """The segments between SOI and the first scan (marker, and the bytes it spans)."""
    pos = 2
    while True:
        if pos + 2 > len(data) or data[pos] != 0xFF:
            raise CannotEmbed("damaged JPEG: its header does not parse")
        marker = data[pos + 1]
        if marker == 0xFF:  # fill byte before a marker
            pos += 1
            continue
        if marker in _HEADER_ENDS:
            return
        if marker in _STANDALONE:
            pos += 2
            continue
        end = pos + 2 + int.from_bytes(data[pos + 2:pos + 4], "big")
        if end > len(data) or end < pos + 4:
            raise CannotEmbed("damaged JPEG: a segment runs past the end of the file")
        yield _Part(marker, pos, end)
        pos = end


def _jpeg(data: bytes) -> _Splice:
    segments = list(_jpeg_segments(data))
    xmp = [s for s in segments if s.kind == _APP1 and data.startswith(XMP_APP1_HEADER, s.start + 4)]
    if len(xmp) > 1:
        raise CannotEmbed("the JPEG holds two XMP packets; which one readers see is unclear")
    if xmp:
        start, end = xmp[0].start, xmp[0].end
        packet: bytes | None = data[start + 4 + len(XMP_APP1_HEADER):end]
    else:
        start = end = _after_jfif_and_exif(segments)
        packet = None
    if any(s.kind == _APP2 and data.startswith(b"MPF\x00", s.start + 4) and s.start < start for s in segments):
        # The MPF index locates the other pictures relative to itself; bytes moved after it break it.
        raise CannotEmbed("a multi-picture JPEG (MPO) whose XMP comes after its picture index")
    return _Splice(data[:start], packet, data[end:], _jpeg_segment)


def _after_jfif_and_exif(segments: list[_Part]) -> int:
    """Where a new XMP segment goes: after the APP0/APP1 run that JFIF and EXIF require to
    open the file (right after SOI when there is none)."""
    end = 2
    for segment in segments:
        if segment.kind not in (_APP0, _APP1):
            break
        end = segment.end
    return end


def _jpeg_segment(packet: bytes) -> bytes:
    if len(packet) > JPEG_XMP_LIMIT:
        raise CannotEmbed(f"the XMP packet would be {len(packet):,} bytes; "
                          f"a JPEG holds {JPEG_XMP_LIMIT:,} in one segment")
    body = XMP_APP1_HEADER + packet
    return b"\xff\xe1" + (len(body) + 2).to_bytes(2, "big") + body


# ----- PNG --------------------------------------------------------------------------------
def _png_chunks(data: bytes) -> Iterator[_Part]:
    """Every chunk up to and including IEND (anything after it is kept as it is)."""
    pos = len(PNG_SIGNATURE)
    while pos + 12 <= len(data):
        end = pos + 12 + int.from_bytes(data[pos:pos + 4], "big")
        if end > len(data):
            break
        kind = data[pos + 4:pos + 8]
        yield _Part(kind, pos, end)
        if kind == b"IEND":
            return
        pos = end
    raise CannotEmbed("damaged PNG: its chunks do not parse")


def _png(data: bytes) -> _Splice:
    chunks = list(_png_chunks(data))
    if chunks[0].kind != b"IHDR":
        raise CannotEmbed("damaged PNG: it does not start with IHDR")
    xmp = [c for c in chunks if c.kind == b"iTXt" and data.startswith(PNG_XMP_KEYWORD + b"\x00", c.start + 8)]
    if len(xmp) > 1:
        raise CannotEmbed("the PNG holds two XMP packets; which one readers see is unclear")
    if xmp:
        start, end = xmp[0].start, xmp[0].end
        packet: bytes | None = _itxt_text(data[start + 8:end - 4])
    else:
        start = end = chunks[0].end
        packet = None
    return _Splice(data[:start], packet, data[end:], _png_chunk)


def _itxt_text(body: bytes) -> bytes:
    """The text of an iTXt chunk: keyword, flags, language and translated keyword skipped."""
    try:
        keyword_end = body.index(b"\x00")
        compressed = body[keyword_end + 1]
        language_end = body.index(b"\x00", keyword_end + 3)
        text = body[body.index(b"\x00", language_end + 1) + 1:]
    except (ValueError, IndexError):
        raise CannotEmbed("damaged PNG: its XMP chunk does not parse") from None
    if not compressed:
        return text
    inflate = zlib.decompressobj()
    try:
        packet = inflate.decompress(text, PNG_XMP_MAX)
    except zlib.error as error:
        raise CannotEmbed(f"damaged PNG: its XMP chunk does not inflate ({error})") from None
    if inflate.unconsumed_tail:
        raise CannotEmbed("the PNG's XMP chunk inflates to more than 64 MiB")
    return packet


def _png_chunk(packet: bytes) -> bytes:
    """An uncompressed iTXt chunk, no language, with its CRC."""
    body = b"iTXt" + PNG_XMP_KEYWORD + b"\x00\x00\x00\x00\x00" + packet
    return (len(body) - 4).to_bytes(4, "big") + body + zlib.crc32(body).to_bytes(4, "big")
