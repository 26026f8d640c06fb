"""Fuzzing the import with broken photos: every file imported or listed with a reason, no crash,
no hang, bounded memory, every good photo imported.

    python -m bench.fuzz_import [--count N] [--seed S] [--out DIR] [--timeout S] [--workers W]

Builds ``--count`` files (default 1000; same seed, same files) in JPEG, PNG, WebP, HEIC, TIFF
and GIF from a few good photos: shared LFW faces and formats-immich photos encoded in each
format with EXIF, XMP (a date, an MWG face region, people keywords) and an ICC profile, and
the real immich JPEG, PNG, WebP and HEIC files as they are. About one file in ten is such a
good photo, kept aside as known good; every other file is one of them mutated: bit flips,
overwritten runs, truncations, another format's header on the body, absurd dimensions in the
header, lying chunk or segment lengths, looping EXIF IFDs (next-IFD offsets pointing back to
themselves, sub-IFDs pointing at their parent, counts far past the block), EXIF blocks of tens
of MB (one huge value, or thousands of entries pointing at one blob), XMP packets of tens of MB,
malicious or malformed XMP in the file or in a sidecar (deep nesting, entity expansion,
garbage), garbage ICC profiles (a zlib bomb in PNG's iCCP, impossible JPEG chunk numbers),
GIF extensions that run past the end, zero-length files.

Two checks:

1. every file alone, in a watchdog process: what the import runs on its bytes: the decode
   stage's ``read_photo`` (hash, header, EXIF/XMP/sidecar date, decode at thumbnail scale,
   thumbnail), the faces and bodies stages' ``decode_for_analysis`` (working size) and the
   regions stage's XMP people reader. Per file: its time (over ``--timeout`` it is killed: a
   hang), whether the process died (a crash), the process's peak RSS, and whether an error was
   a clear reason or an unexpected exception (which the faces or regions stage, running in the
   import's main process, would not survive);
2. every file together through ``albumtag import``, the whole pipeline (decode, faces,
   regions, bodies, grouping) into a new library, in a process of its own: exit 0, each file
   imported (every stage done) or listed under errors with a reason, the time, and the peak
   RSS of its process tree. (About 4 minutes for 1,000 files on 2 cores.)

Goals: no crash, no hang, no unexpected error, no file neither imported nor listed, every good
photo imported (in both), each file within ``--timeout`` (10 s), at most 1 GB of peak RSS
for one file's reading and ``--workers`` (2) x 1 GB + 512 MB for an import's process tree.
The exit status is 1 when a goal is missed. ``tests/io/test_fuzz_import.py`` runs 100 files.
"""

from __future__ import annotations

import argparse
import io
import json
import multiprocessing
import os
import random
import shutil
import signal
import struct
import subprocess
import sys
import tempfile
import time
import zlib
from collections import Counter
from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import asdict, dataclass, field
from pathlib import Path

from PIL import Image, ImageCms, PngImagePlugin

REPO = Path(__file__).resolve().parents[1]
SHARED = REPO.parent / "shared" / "data"
FORMATS = ("JPEG", "PNG", "WEBP", "HEIC", "TIFF", "GIF")
EXTENSIONS = {"JPEG": ".jpg", "PNG": ".png", "WEBP": ".webp", "HEIC": ".heic", "TIFF": ".tif", "GIF": ".gif"}
PIPELINE_STAGES = ("decode", "faces", "regions", "bodies")
TIMEOUT_S = 10.0  # a file that takes longer than this alone is a hang
# The 200 MP limit lets one small file claim a 200 MP canvas: decoded as palette, then RGB,
# about 0.9 GB. An import's process tree holds up to one such photo per worker, plus the main
# process with its models.
FILE_MB_GOAL = 1024.0
MAIN_MB = 512.0
GOOD_SHARE = 0.1
MB = 1 << 20


# ----- good photos ------------------------------------------------------------------------
@dataclass(frozen=True, eq=False)
class Base:
    """A good photo: its name, format, encoded bytes and pixels (to re-encode with bad metadata)."""

    name: str
    format: str
    data: bytes
    image: Image.Image
    compression: str | None = None  # TIFF's


def sample_xmp(date: str = "2019-05-04T10:11:12", name: str = "Ada Fuzz") -> bytes:
    """An XMP packet such as photo programs write: a date, an MWG face region, people keywords."""
    return (
        '<?xpacket begin="\ufeff" id="W5M0MpCehiHzreSzNTczkc9d"?>'
        '<x:xmpmeta xmlns:x="adobe:ns:meta/"><rdf:RDF xmlns:rdf="http://www.w3.org/1999/02/22-rdf-syntax-ns#">'
        '<rdf:Description rdf:about="" xmlns:exif="http://ns.adobe.com/exif/1.0/" '
        'xmlns:mwg-rs="http://www.metadataworkinggroup.com/schemas/regions/" '
        'xmlns:stArea="http://ns.adobe.com/xmp/sType/Area#" '
        'xmlns:stDim="http://ns.adobe.com/xap/1.0/sType/Dimensions#" '
        'xmlns:digiKam="http://www.digikam.org/ns/1.0/" '
        f'exif:DateTimeOriginal="{date}">'
        '<mwg-rs:Regions rdf:parseType="Resource">'
        '<mwg-rs:AppliedToDimensions stDim:w="1" stDim:h="1" stDim:unit="pixel"/>'
        '<mwg-rs:RegionList><rdf:Bag><rdf:li><rdf:Description '
        f'mwg-rs:Name="{name}" mwg-rs:Type="Face"><mwg-rs:Area stArea:x="0.5" stArea:y="0.4" '
        'stArea:w="0.3" stArea:h="0.4" stArea:unit="normalized"/></rdf:Description></rdf:li>'
        '</rdf:Bag></mwg-rs:RegionList></mwg-rs:Regions>'
        f'<digiKam:TagsList><rdf:Seq><rdf:li>People/{name}</rdf:li></rdf:Seq></digiKam:TagsList>'
        '</rdf:Description></rdf:RDF></x:xmpmeta><?xpacket end="w"?>'
    ).encode()


def sample_exif(orientation: int = 1, date: str = "2019:05:04 10:11:12") -> bytes:
    """EXIF as cameras write it: orientation, DateTime in IFD0, DateTimeOriginal in the Exif IFD."""
    exif = Image.Exif()
    exif[0x0112] = orientation
    exif[0x0132] = date
    exif.get_ifd(0x8769)[0x9003] = date
    return exif.tobytes()


SRGB = ImageCms.ImageCmsProfile(ImageCms.createProfile("sRGB")).tobytes()


def encode(image: Image.Image, fmt: str, *, exif: bytes | None = None, xmp: bytes | None = None,
           icc: bytes | None = None, compression: str | None = None, frames: int = 1) -> bytes:
    """``image`` in ``fmt`` carrying these metadata blocks as they are (Pillow's and
    pillow-heif's writers embed them without reading them)."""
    from albumtag.io.formats import register_codecs

    register_codecs()
    out = io.BytesIO()
    extra: dict[str, object] = {}
    if icc is not None:
        extra["icc_profile"] = icc
    if fmt == "JPEG":
        image.save(out, "JPEG", quality=85, exif=exif or b"", xmp=xmp or b"", **extra)
    elif fmt == "PNG":
        info = PngImagePlugin.PngInfo()
        if xmp:
            info.add_itxt("XML:com.adobe.xmp", xmp.decode("utf-8", "replace"), zip=False)
        image.save(out, "PNG", pnginfo=info, exif=exif or b"", **extra)
    elif fmt == "WEBP":
        image.save(out, "WEBP", quality=80, exif=exif or b"", xmp=xmp or b"", **extra)
    elif fmt == "HEIC":
        image.save(out, "HEIF", quality=60, exif=exif, xmp=xmp, **extra)
    elif fmt == "TIFF":
        info = {700: xmp} if xmp else {}
        if exif:  # the TIFF's own IFD0 holds the date (EXIF is TIFF)
            info[0x0132] = "2019:05:04 10:11:12"
        image.save(out, "TIFF", compression=compression or "tiff_lzw", tiffinfo=info, **extra)
    elif fmt == "GIF":
        paletted = image.convert("P", palette=Image.Palette.ADAPTIVE)
        others = [paletted.rotate(90 * k) for k in range(1, frames)]
        image_comment = xmp or b"AlbumTag fuzz"
        paletted.save(out, "GIF", save_all=frames > 1, append_images=others, duration=100, loop=0,
                      comment=image_comment)
    else:
        raise ValueError(fmt)
    return out.getvalue()


def _source_images(rng: random.Random, count: int) -> list[tuple[str, Image.Image]]:
    """``count`` distinct real photos, small (at most 480 px): LFW faces and immich photos."""
    lfw = sorted((SHARED / "faces-lfw").glob("*/*_0001.jpg"))
    nature = sorted((SHARED / "formats-immich" / "albums" / "nature").glob("*.jpg"))
    portraits = sorted((SHARED / "formats-immich" / "metadata" / "faces").glob("portrait*.jpg"))
    chosen = portraits[:1] + nature[:max(1, count // 4)]
    chosen += rng.sample(lfw, max(0, count - len(chosen)))
    images = []
    for path in chosen[:count]:
        with Image.open(path) as photo:
            image = photo.convert("RGB")
        image.thumbnail((480, 480))
        images.append((path.stem, image))
    return images


def real_files() -> list[Base]:
    """The immich format samples as they were written by other software."""
    root = SHARED / "formats-immich" / "formats"
    picks = [("JPEG", root / "jpg" / "el_torcal_rocks.jpg"), ("PNG", root / "png" / "density_plot.png"),
             ("WEBP", root / "webp" / "denali.webp"), ("HEIC", root / "heic" / "IMG_2682.heic"),
             ("JPEG", SHARED / "formats-immich" / "metadata" / "faces" / "portrait-orientation-6.jpg")]
    bases = []
    for fmt, path in picks:
        from albumtag.io.formats import register_codecs

        register_codecs()
        with Image.open(path) as photo:
            image = photo.convert("RGB")
        image.thumbnail((480, 480))
        bases.append(Base(f"real-{path.stem}", fmt, path.read_bytes(), image))
    return bases


def good_photos(rng: random.Random, count: int) -> list[Base]:
    """``count`` good photos over the formats in turn (real files first), each distinct."""
    bases = real_files()[:count]
    images = _source_images(rng, max(0, count - len(bases)))
    compressions = ("tiff_lzw", "tiff_deflate", "jpeg", "packbits", "raw")
    for stem, image in images:
        held = Counter(base.format for base in bases)
        fmt = min(FORMATS, key=lambda name: held[name])  # the format with fewest photos so far
        orientation = rng.choice((1, 1, 1, 3, 6, 8))
        compression = compressions[held[fmt] % len(compressions)] if fmt == "TIFF" else None
        data = encode(image, fmt, exif=sample_exif(orientation), xmp=sample_xmp(), icc=SRGB,
                      compression=compression, frames=1 + held[fmt] % 3)
        bases.append(Base(f"{stem}", fmt, data, image, compression))
    return bases


# ----- mutations -------------------------------------------------------------------------
# Each takes (rng, the good photo, every good photo) and returns the mutated bytes (or the
# photo's bytes and an XMP sidecar's), or None when it does not apply to that format (another
# mutation is drawn).
Mutation = Callable[[random.Random, Base, Sequence[Base]], bytes | tuple[bytes, bytes] | None]


def bit_flips(rng: random.Random, base: Base, _: Sequence[Base], window: int | None = None) -> bytes:
    data = bytearray(base.data)
    span = min(len(data), window or len(data))
    for _ in range(rng.choice((1, 2, 4, 8, 16, 64))):
        data[rng.randrange(span)] ^= 1 << rng.randrange(8)
    return bytes(data)


def header_bit_flips(rng: random.Random, base: Base, bases: Sequence[Base]) -> bytes:
    return bit_flips(rng, base, bases, window=512)


def overwritten_run(rng: random.Random, base: Base, _: Sequence[Base]) -> bytes:
    data = bytearray(base.data)
    length = min(len(data), rng.choice((1, 16, 256, 4096)))
    start = rng.randrange(len(data) - length + 1)
    fill = rng.choice((b"\x00", b"\xff", None))
    data[start:start + length] = fill * length if fill else rng.randbytes(length)
    return bytes(data)


def truncated(rng: random.Random, base: Base, _: Sequence[Base]) -> bytes:
    return base.data[:rng.randrange(1, len(base.data))]


def truncated_header(rng: random.Random, base: Base, _: Sequence[Base]) -> bytes:
    return base.data[:rng.randrange(1, 65)]


def zero_length(*_: object) -> bytes:
    return b""


def swapped_header(rng: random.Random, base: Base, bases: Sequence[Base]) -> bytes | None:
    """Another format's first bytes on this file's body."""
    others = [other for other in bases if other.format != base.format]
    if not others:
        return None
    other = rng.choice(others)
    cut = min(rng.choice((4, 8, 12, 16, 32, 128, 1024)), len(other.data), len(base.data))
    return other.data[:cut] + base.data[cut:]


DIMENSIONS = (0, 1, 255, 14000, 30000, 65500, 65535, 1 << 16, (1 << 24) - 1, (1 << 31) - 1, (1 << 32) - 1)


def _dimensions(rng: random.Random, bits: int) -> tuple[int, int]:
    """An absurd (width, height) that fits a ``bits``-wide field."""
    top = (1 << bits) - 1
    pick = lambda: min(rng.choice(DIMENSIONS), top)  # noqa: E731
    kind = rng.random()
    if kind < 0.2:
        return min(14142, top), min(14142, top)  # just under the 200 MP limit: a 600 MB canvas
    if kind < 0.4:
        return pick(), 1
    return pick(), pick()


def _png_chunks(data: bytes) -> list[tuple[int, bytes, int]]:
    """(offset, type, length) of each chunk."""
    found, at = [], 8
    while at + 8 <= len(data):
        length, kind = struct.unpack(">I4s", data[at:at + 8])
        found.append((at, kind, length))
        at += 12 + length
    return found


def _png_chunk(kind: bytes, payload: bytes, crc: bool = True) -> bytes:
    check = zlib.crc32(kind + payload) if crc else 0xDEADBEEF
    return struct.pack(">I", len(payload)) + kind + payload + struct.pack(">I", check)


def _jpeg_segments(data: bytes) -> list[tuple[int, int, int]]:
    """(offset, marker, length) of each marker segment before the scan."""
    found, at = [], 2
    while at + 4 <= len(data) and data[at] == 0xFF:
        marker, length = data[at + 1], struct.unpack(">H", data[at + 2:at + 4])[0]
        found.append((at, marker, length))
        if marker == 0xDA:
            break
        at += 2 + length
    return found


def _riff_chunks(data: bytes) -> list[tuple[int, bytes, int]]:
    found, at = [], 12
    while at + 8 <= len(data):
        kind, length = struct.unpack("<4sI", data[at:at + 8])
        found.append((at, kind, length))
        at += 8 + length + (length & 1)
    return found


def _heif_boxes(data: bytes, start: int = 0, end: int | None = None) -> list[tuple[int, bytes, int]]:
    found, at, end = [], start, len(data) if end is None else end
    while at + 8 <= end:
        size, kind = struct.unpack(">I4s", data[at:at + 8])
        found.append((at, kind, size))
        if size < 8:
            break
        at += size
    return found


def _tiff_ifd0(data: bytes) -> tuple[str, int, list[tuple[int, int, int, int]]]:
    """Byte order, IFD0's offset and its entries as (entry offset, tag, type, count)."""
    order = "<" if data[:2] == b"II" else ">"
    offset = struct.unpack(order + "I", data[4:8])[0]
    count = struct.unpack(order + "H", data[offset:offset + 2])[0]
    entries = []
    for index in range(count):
        at = offset + 2 + 12 * index
        tag, kind, number = struct.unpack(order + "HHI", data[at:at + 8])
        entries.append((at, tag, kind, number))
    return order, offset, entries


def _gif_first_image(data: bytes) -> int | None:
    """Offset of the first image descriptor (after the header, colour table and extensions)."""
    flags = data[10]
    at = 13 + (3 << ((flags & 7) + 1) if flags & 0x80 else 0)
    while at < len(data):
        if data[at] == 0x2C:
            return at
        if data[at] != 0x21:
            return None
        at += 2
        while at < len(data) and data[at]:
            at += data[at] + 1
        at += 1
    return None


def absurd_dimensions(rng: random.Random, base: Base, _: Sequence[Base]) -> bytes | None:
    """Width and height in the header rewritten (the pixel data stays as it was)."""
    data = bytearray(base.data)
    if base.format == "JPEG":
        for at, marker, _length in _jpeg_segments(base.data):
            if 0xC0 <= marker <= 0xCF and marker not in (0xC4, 0xC8, 0xCC):
                width, height = _dimensions(rng, 16)
                data[at + 5:at + 9] = struct.pack(">HH", height, width)
                return bytes(data)
        return None
    if base.format == "PNG":
        width, height = _dimensions(rng, 32)
        payload = struct.pack(">II", width, height) + base.data[24:29]
        return base.data[:8] + _png_chunk(b"IHDR", payload, crc=rng.random() < 0.8) + base.data[33:]
    if base.format == "GIF":
        width, height = _dimensions(rng, 16)
        if rng.random() < 0.5:
            data[6:10] = struct.pack("<HH", width, height)
        descriptor = _gif_first_image(base.data)
        if descriptor is not None and (rng.random() < 0.5 or data[6:10] == base.data[6:10]):
            data[descriptor + 5:descriptor + 9] = struct.pack("<HH", width, height)
        return bytes(data)
    if base.format == "WEBP":
        for at, kind, _length in _riff_chunks(base.data):
            body = at + 8
            if kind == b"VP8X":
                width, height = _dimensions(rng, 24)
                data[body + 4:body + 10] = ((width - 1) % (1 << 24)).to_bytes(3, "little") + \
                    ((height - 1) % (1 << 24)).to_bytes(3, "little")
                return bytes(data)
            if kind == b"VP8 ":
                width, height = _dimensions(rng, 14)
                data[body + 6:body + 10] = struct.pack("<HH", width, height)
                return bytes(data)
            if kind == b"VP8L":
                width, height = _dimensions(rng, 14)
                bits = struct.unpack("<I", base.data[body + 1:body + 5])[0] & ~((1 << 28) - 1)
                bits |= ((width - 1) % (1 << 14)) | ((height - 1) % (1 << 14)) << 14
                data[body + 1:body + 5] = struct.pack("<I", bits)
                return bytes(data)
        return None
    if base.format == "HEIC":
        spots = [at for at in range(len(base.data) - 4) if base.data[at:at + 4] == b"ispe"]
        if not spots:
            return None
        for at in rng.sample(spots, rng.randint(1, len(spots))):
            data[at + 8:at + 16] = struct.pack(">II", *_dimensions(rng, 32))
        return bytes(data)
    if base.format == "TIFF":
        order, _, entries = _tiff_ifd0(base.data)
        width, height = _dimensions(rng, 32)
        for at, tag, _kind, _count in entries:
            if tag in (256, 257):
                data[at + 2:at + 12] = struct.pack(order + "HII", 4, 1, width if tag == 256 else height)
        return bytes(data)
    return None


def lying_length(rng: random.Random, base: Base, _: Sequence[Base]) -> bytes | None:
    """One chunk, segment, box or tag claims far more (or less) data than there is."""
    data = bytearray(base.data)
    lie = rng.choice((0, 1, 7, 0xFFFF, 0x7FFFFFFF, 0xFFFFFFFF, len(base.data) * 2))
    if base.format == "PNG":
        at, _, _ = rng.choice(_png_chunks(base.data))
        data[at:at + 4] = struct.pack(">I", lie & 0xFFFFFFFF)
    elif base.format == "JPEG":
        segments = _jpeg_segments(base.data)
        if not segments:
            return None
        at, _, _ = rng.choice(segments)
        data[at + 2:at + 4] = struct.pack(">H", lie & 0xFFFF)
    elif base.format == "WEBP":
        at, _, _ = rng.choice([(4, b"RIFF", 0), *_riff_chunks(base.data)])
        data[at + 4:at + 8] = struct.pack("<I", lie & 0xFFFFFFFF)
    elif base.format == "HEIC":
        boxes = _heif_boxes(base.data)
        meta = next((box for box in boxes if box[1] == b"meta"), None)
        if meta is not None:  # the meta box's children: iinf, iloc, iprp (ispe, colr ...)
            boxes += _heif_boxes(base.data, meta[0] + 12, meta[0] + meta[2])
        at, _, _ = rng.choice(boxes)
        data[at:at + 4] = struct.pack(">I", lie & 0xFFFFFFFF)
    elif base.format == "TIFF":
        order, offset, entries = _tiff_ifd0(base.data)
        if rng.random() < 0.3:
            data[offset:offset + 2] = struct.pack(order + "H", lie & 0xFFFF)
        else:
            at, _, _, _ = rng.choice(entries)
            data[at + 4:at + 8] = struct.pack(order + "I", lie & 0xFFFFFFFF)
    else:
        return None
    return bytes(data)


def _ifd(order: str, entries: list[tuple[int, int, int, int]], next_ifd: int) -> bytes:
    """A raw IFD: (tag, type, count, value or offset) entries, then the next IFD's offset."""
    out = struct.pack(order + "H", len(entries))
    for tag, kind, count, value in entries:
        out += struct.pack(order + "HHII", tag, kind, count, value) if kind == 4 or count > 2 \
            else struct.pack(order + "HHIHH", tag, kind, count, value, 0)
    return out + struct.pack(order + "I", next_ifd)


def looping_exif(rng: random.Random) -> bytes:
    """A TIFF-structured EXIF block that loops or lies: IFDs pointing back at themselves or
    their parent, counts far beyond the block, a sub-IFD past the end."""
    order = rng.choice("<>")
    head = (b"II*\x00" if order == "<" else b"MM\x00*") + struct.pack(order + "I", 8)
    kind = rng.choice(("self", "ping-pong", "exif-is-ifd0", "gps-loop", "huge-count", "many-entries",
                       "past-end"))
    if kind == "self":  # IFD0's next IFD is IFD0
        body = _ifd(order, [(0x0112, 3, 1, 1)], 8)
    elif kind == "ping-pong":  # IFD0 -> IFD1 -> IFD0
        first = _ifd(order, [(0x0112, 3, 1, 1)], 8 + 18)
        body = first + _ifd(order, [(0x0100, 3, 1, 16)], 8)
    elif kind == "exif-is-ifd0":  # the Exif sub-IFD pointer points at IFD0 itself
        body = _ifd(order, [(0x0112, 3, 1, 6), (0x8769, 4, 1, 8)], 8)
    elif kind == "gps-loop":
        body = _ifd(order, [(0x8825, 4, 1, 8), (0x8769, 4, 1, 8), (0xA005, 4, 1, 8)], 0)
    elif kind == "huge-count":  # a date string claiming 1 G characters
        body = _ifd(order, [(0x0132, 2, 0x3FFFFFFF, 32), (0x8769, 4, 1, 8)], 0)
    elif kind == "many-entries":  # 65535 entries announced, a handful there
        body = struct.pack(order + "H", 0xFFFF) + _ifd(order, [(0x0112, 3, 1, 1)], 8)[2:]
    else:  # sub-IFDs and values beyond the block's end
        body = _ifd(order, [(0x8769, 4, 1, 0x7FFFFFF0), (0x0132, 2, 20, 0xFFFFFF00)], 0xFFFFFFF0)
    return b"Exif\x00\x00" + head + body + rng.randbytes(rng.choice((0, 16, 4000)))


def looping_exif_file(rng: random.Random, base: Base, _: Sequence[Base]) -> bytes | None:
    """The photo with a looping or lying EXIF block (for TIFF: its own IFD0 loops)."""
    if base.format == "GIF":
        return None
    if base.format == "TIFF":
        data = bytearray(base.data)
        order, offset, entries = _tiff_ifd0(base.data)
        next_at = offset + 2 + 12 * len(entries)
        data[next_at:next_at + 4] = struct.pack(order + "I", offset)  # IFD0 -> IFD0
        if rng.random() < 0.5:  # and a tag's value becomes an Exif sub-IFD pointing at IFD0
            at = entries[-1][0]
            data[at:at + 12] = struct.pack(order + "HHII", 0x8769, 4, 1, offset)
        return bytes(data)
    exif = looping_exif(rng)
    if base.format == "JPEG" and rng.random() < 0.5:  # raw APP1 right after SOI, before the JFIF
        return base.data[:2] + b"\xff\xe1" + struct.pack(">H", len(exif) + 2) + exif + base.data[2:]
    return encode(base.image, base.format, exif=exif, xmp=sample_xmp(), icc=SRGB, compression=base.compression)


def huge_exif(rng: random.Random, room: int) -> bytes:
    """An EXIF block of up to ``room`` bytes (tens of MB outside JPEG) that is mostly one huge
    value, or thousands of entries all pointing at one large blob (each read would copy it)."""
    head = b"MM\x00*" + struct.pack(">I", 8)
    if rng.random() < 0.5:  # IFD0 -> Exif IFD with a UserComment of almost all the room
        size = room - 200
        exif_ifd_at = 8 + 2 + 24 + 4
        ifd0 = _ifd(">", [(0x0112, 3, 1, 1), (0x8769, 4, 1, exif_ifd_at)], 0)
        exif_ifd = _ifd(">", [(0x9286, 7, size, exif_ifd_at + 18)], 0)
        return b"Exif\x00\x00" + head + ifd0 + exif_ifd + rng.randbytes(64) * (size // 64 + 1)
    count = min(5000, (room - 1000) // 24)
    blob = room - 1000 - 12 * count
    blob_at = 8 + 2 + 12 * count + 4
    entries = [(0x9000 + k, 7, blob, blob_at) for k in range(count)]
    return b"Exif\x00\x00" + head + _ifd(">", entries, 0) + b"\x00" * blob


def huge_exif_file(rng: random.Random, base: Base, _: Sequence[Base]) -> bytes | None:
    """The photo with an EXIF block of tens of MB (64 kB in JPEG, all one segment holds)."""
    if base.format in ("GIF", "TIFF"):
        return None
    room = 65000 if base.format == "JPEG" else rng.choice((2, 12, 30)) * MB
    return encode(base.image, base.format, exif=huge_exif(rng, room), xmp=sample_xmp(), icc=SRGB)


def huge_xmp_packet(rng: random.Random, size: int) -> bytes:
    """A well-formed XMP packet of about ``size`` bytes: whitespace padding, one huge text,
    a bag of hundreds of thousands of items, or a Photoshop DocumentAncestors bloat."""
    kind = rng.choice(("padding", "text", "items", "ancestors"))
    head, tail = sample_xmp().rsplit(b"</rdf:Description>", 1)
    if kind == "padding":
        return head + b"</rdf:Description>" + tail.replace(b"<?xpacket end", b" " * size + b"<?xpacket end")
    if kind == "text":
        filler = b'<dc:description xmlns:dc="http://purl.org/dc/elements/1.1/">' + b"A" * size + \
            b"</dc:description>"
    else:
        item = b"<rdf:li>x</rdf:li>" if kind == "items" else \
            b"<rdf:li>xmp.did:0123456789abcdef0123456789abcdef</rdf:li>"
        prop = b"dc:subject" if kind == "items" else b"photoshop:DocumentAncestors"
        ns = b'xmlns:dc="http://purl.org/dc/elements/1.1/"' if kind == "items" else \
            b'xmlns:photoshop="http://ns.adobe.com/photoshop/1.0/"'
        filler = b"<" + prop + b" " + ns + b"><rdf:Bag>" + item * (size // len(item)) + b"</rdf:Bag></" + prop + b">"
    return head + filler + b"</rdf:Description>" + tail


def _jpeg_extended_xmp(packet: bytes) -> bytes:
    """APP1 segments: a standard XMP packet naming the extension, and the packet in 65 kB parts."""
    guid = b"0123456789ABCDEF0123456789ABCDEF"
    standard = b"http://ns.adobe.com/xap/1.0/\x00" + sample_xmp().replace(
        b"<digiKam:TagsList>", b'<xmpNote:HasExtendedXMP xmlns:xmpNote="http://ns.adobe.com/xmp/note/">'
        + guid + b"</xmpNote:HasExtendedXMP><digiKam:TagsList>")
    out = b"\xff\xe1" + struct.pack(">H", len(standard) + 2) + standard
    part = 65000
    for offset in range(0, len(packet), part):
        payload = b"http://ns.adobe.com/xmp/extension/\x00" + guid + struct.pack(">II", len(packet), offset) \
            + packet[offset:offset + part]
        out += b"\xff\xe1" + struct.pack(">H", len(payload) + 2) + payload
    return out


def huge_xmp(rng: random.Random, base: Base, _: Sequence[Base]) -> bytes:
    """An XMP packet of tens of MB (in GIF, a comment of tens of MB)."""
    size = rng.choice((2, 6, 8, 12, 24, 40)) * MB - rng.randrange(1000)  # AlbumTag reads up to 8 MB
    packet = huge_xmp_packet(rng, size)
    if base.format == "JPEG":  # JPEG segments hold 64 kB: Extended XMP, as Photoshop writes
        return base.data[:2] + _jpeg_extended_xmp(packet) + base.data[2:]
    if base.format == "GIF":
        return encode(base.image, "GIF", xmp=b"C" * size)
    return encode(base.image, base.format, exif=sample_exif(), xmp=packet, compression=base.compression)


def hostile_xmp_packet(rng: random.Random) -> bytes:
    kind = rng.choice(("deep", "entities", "external", "garbage", "utf16", "unclosed", "attributes",
                       "regions"))
    if kind == "deep":  # 200,000 nested elements
        depth = 200_000
        return b"<x:xmpmeta xmlns:x='adobe:ns:meta/'>" + b"<a>" * depth + b"</a>" * depth + b"</x:xmpmeta>"
    if kind == "entities":  # billion laughs
        lol = b'<!DOCTYPE x [<!ENTITY a "aaaaaaaaaa">' + b"".join(
            b'<!ENTITY %c "%s">' % (98 + i, (b"&%c;" % (97 + i)) * 10) for i in range(9)) + b"]>"
        return lol + b"<x>&j;</x>"
    if kind == "external":
        return b'<!DOCTYPE x [<!ENTITY e SYSTEM "file:///etc/passwd">]><x>&e;</x>'
    if kind == "garbage":
        return rng.randbytes(rng.choice((1, 100, 60000)))
    if kind == "utf16":
        return b"\xff\xfe" + rng.randbytes(1001)
    if kind == "unclosed":
        return sample_xmp()[:rng.randrange(10, len(sample_xmp()))]
    if kind == "attributes":  # one element with 50,000 attributes
        attrs = b" ".join(b'a%d="%d"' % (i, i) for i in range(50_000))
        return b"<x:xmpmeta xmlns:x='adobe:ns:meta/'><e " + attrs + b"/></x:xmpmeta>"
    # regions with nonsense numbers
    packet = sample_xmp()
    for old, new in ((b'stArea:x="0.5"', b'stArea:x="nan"'), (b'stArea:w="0.3"', b'stArea:w="1e400"'),
                     (b'stDim:w="1"', b'stDim:w="0"'), (b'stArea:unit="normalized"', b'stArea:unit="pixel"')):
        if rng.random() < 0.5:
            packet = packet.replace(old, new)
    return packet


def hostile_xmp(rng: random.Random, base: Base, _: Sequence[Base]) -> bytes | None:
    """Malformed or malicious XMP (small enough for one JPEG segment when in a JPEG)."""
    if base.format == "GIF":
        return None
    packet = hostile_xmp_packet(rng)
    if base.format == "JPEG":
        if len(packet) > 65000:
            return base.data[:2] + _jpeg_extended_xmp(packet) + base.data[2:]
        payload = b"http://ns.adobe.com/xap/1.0/\x00" + packet
        return base.data[:2] + b"\xff\xe1" + struct.pack(">H", len(payload) + 2) + payload + base.data[2:]
    return encode(base.image, base.format, exif=sample_exif(), xmp=packet, icc=SRGB, compression=base.compression)


def garbage_icc(rng: random.Random, base: Base, _: Sequence[Base]) -> bytes | None:
    """An ICC profile that is garbage: random bytes, a truncated real profile, a zlib bomb in
    PNG's iCCP, JPEG APP2 chunks with impossible sequence numbers or 16 MB in 255 chunks."""
    if base.format == "GIF":
        return None
    if base.format == "JPEG":
        kind = rng.choice(("numbers", "many", "plain"))
        if kind != "plain":
            total = 255 if kind == "many" else rng.choice((0, 1, 3, 255))
            out = b""
            for _ in range(total if kind == "many" else rng.randint(1, 4)):
                seq = rng.randint(1, 255) if kind == "many" else rng.choice((0, 1, 2, 200, 255))
                body = b"ICC_PROFILE\x00" + bytes((seq, total)) + rng.randbytes(65000 if kind == "many" else 200)
                out += b"\xff\xe2" + struct.pack(">H", len(body) + 2) + body
            return base.data[:2] + out + base.data[2:]
    if base.format == "PNG" and rng.random() < 0.5:
        bomb = zlib.compress(b"\x00" * (rng.choice((2, 64, 512)) * MB), 9)
        payload = b"icc\x00\x00" + rng.choice((bomb, rng.randbytes(3000)))
        return base.data[:33] + _png_chunk(b"iCCP", payload) + base.data[33:]  # right after IHDR
    profile = rng.choice((rng.randbytes(rng.choice((1, 128, 4000, 2 * MB))), SRGB[:rng.randrange(1, len(SRGB))],
                          SRGB[:36] + b"\xff" * 100))
    return encode(base.image, base.format, exif=sample_exif(), xmp=sample_xmp(), icc=profile,
                  compression=base.compression)


def gif_extension_lies(rng: random.Random, base: Base, _: Sequence[Base]) -> bytes | None:
    """GIF: an application extension with sub-blocks that run past the end, or a GIF of
    thousands of tiny frames, or a colour table flag with no table."""
    if base.format != "GIF":
        return None
    kind = rng.choice(("extension", "frames", "table"))
    if kind == "extension":
        blocks = b"".join(bytes((255,)) + rng.randbytes(255) for _ in range(rng.choice((1, 4000))))
        extension = b"\x21\xff\x0bXMP DataXMP" + blocks + rng.choice((b"\x00", b"\xff", b""))
        return base.data[:13 + (3 << ((base.data[10] & 7) + 1))] + extension + \
            base.data[13 + (3 << ((base.data[10] & 7) + 1)):]
    if kind == "frames":
        tiny = Image.new("P", (base.image.width, base.image.height))
        out = io.BytesIO()
        tiny.save(out, "GIF", save_all=True, append_images=[tiny.copy() for _ in range(3000)], duration=1)
        return out.getvalue()
    data = bytearray(base.data)
    data[10] |= 0x87
    return bytes(data)


def hostile_sidecar(rng: random.Random, base: Base, _: Sequence[Base]) -> tuple[bytes, bytes]:
    """A good photo without a date (so the date reader goes on to the sidecar) and a sidecar
    ``photo.ext.xmp`` that is malicious, malformed, UTF-16 garbage or tens of MB."""
    photo = encode(base.image, base.format, compression=base.compression)
    if rng.random() < 0.3:
        size = rng.choice((6, 12, 40)) * MB
        return photo, huge_xmp_packet(rng, size)
    return photo, hostile_xmp_packet(rng)


MUTATIONS: dict[str, tuple[float, Mutation]] = {
    "bit-flips": (18, bit_flips),
    "header-bit-flips": (10, header_bit_flips),
    "overwritten-run": (6, overwritten_run),
    "truncated": (12, truncated),
    "truncated-header": (4, truncated_header),
    "zero-length": (2, zero_length),
    "swapped-header": (8, swapped_header),
    "absurd-dimensions": (10, absurd_dimensions),
    "lying-length": (7, lying_length),
    "looping-exif": (8, looping_exif_file),
    "huge-exif": (2, huge_exif_file),
    "huge-xmp": (2.5, huge_xmp),
    "hostile-xmp": (6, hostile_xmp),
    "garbage-icc": (6, garbage_icc),
    "gif-extension-lies": (15, gif_extension_lies),  # GIF only: about 1 GIF in 6
    "hostile-sidecar": (3, hostile_sidecar),
}


# ----- the corpus ------------------------------------------------------------------------
@dataclass(frozen=True)
class FuzzFile:
    name: str  # in the corpus folder
    format: str  # the format it was made from
    mutation: str  # "good" for the photos kept aside as known good
    size: int
    sidecar: bool = False  # an XMP sidecar ``name + ".xmp"`` beside it

    @property
    def good(self) -> bool:
        return self.mutation == "good"


def build_corpus(folder: Path, count: int, seed: int) -> list[FuzzFile]:
    """``count`` files in ``folder``: about a tenth good photos, the rest mutations of them."""
    rng = random.Random(seed)
    folder.mkdir(parents=True, exist_ok=True)
    bases = good_photos(rng, max(len(FORMATS) * 2, round(count * GOOD_SHARE)))
    files = []

    def write(name: str, fmt: str, mutation: str, data: bytes | tuple[bytes, bytes]) -> None:
        photo, sidecar = data if isinstance(data, tuple) else (data, None)
        (folder / name).write_bytes(photo)
        if sidecar is not None:
            (folder / f"{name}.xmp").write_bytes(sidecar)
        files.append(FuzzFile(name, fmt, mutation, len(photo), sidecar is not None))

    for index, base in enumerate(bases):
        write(f"{index:04d}-good-{base.name}{EXTENSIONS[base.format]}", base.format, "good", base.data)
    names, weights = list(MUTATIONS), [weight for weight, _ in MUTATIONS.values()]
    for index in range(len(bases), count):
        base = bases[index % len(bases)] if index < 2 * len(bases) else rng.choice(bases)
        data = None
        while data is None:
            mutation = rng.choices(names, weights)[0]
            data = MUTATIONS[mutation][1](rng, base, bases)
        write(f"{index:04d}-{mutation}-{base.name}{EXTENSIONS[base.format]}", base.format, mutation, data)
    return files[:count]


# ----- 1. each file alone, in a watchdog process ---------------------------------------------
@dataclass(frozen=True)
class Probe:
    outcome: str  # imported, listed (with a reason), unexpected (an exception), crash, hang
    reason: str
    seconds: float
    peak_mb: float


def read_as_import(path: Path, scratch: Path) -> tuple[str, str]:
    """What the import runs on one file's bytes, as (outcome, reason)."""
    from albumtag.io.errors import PhotoError
    from albumtag.io.photo_batches import decode_for_analysis
    from albumtag.io.photo_reader import ReadJob, read_photo
    from albumtag.io.xmp_files import photo_people
    from albumtag.io.xmp_rdf import XmpError
    from albumtag.io.xmp_regions import Frame

    try:
        facts = read_photo(ReadJob(0, str(path), str(scratch)))  # the decode stage's worker
        decoded = decode_for_analysis(str(path))  # the faces and bodies stages' decode
        if isinstance(decoded, PhotoError):
            raise decoded
        try:
            photo_people(path, Frame(facts.orientation, facts.width, facts.height))  # regions stage
        except XmpError:
            pass  # logged by the regions stage, which then reads nobody
    except PhotoError as error:
        return "listed", str(error)
    except Exception as error:  # listed by the decode stage, but fatal in the faces or regions stage
        return "unexpected", f"{type(error).__name__}: {error}"
    return "imported", ""


def _peak_reset() -> None:
    try:
        Path("/proc/self/clear_refs").write_text("5")  # resets VmHWM (Linux)
    except OSError:
        pass


def _peak_mb() -> float:
    try:
        for line in Path("/proc/self/status").read_text().splitlines():
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) / 1024
    except OSError:
        pass
    import resource

    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def _serve(conn: multiprocessing.connection.Connection, scratch: str) -> None:
    """The watchdog's child: read each path it is sent, answer (outcome, reason, s, MB)."""
    import warnings

    from albumtag.io.formats import register_codecs

    warnings.simplefilter("ignore")  # Pillow's and libtiff's complaints about broken files
    os.dup2(os.open(os.devnull, os.O_WRONLY), 2)
    register_codecs()
    read_as_import(Path("/nonexistent"), Path(scratch))  # import everything before timing
    conn.send("ready")
    while (path := conn.recv()) is not None:
        _peak_reset()
        started = time.perf_counter()
        outcome, reason = read_as_import(Path(path), Path(scratch))
        conn.send((outcome, reason, time.perf_counter() - started, _peak_mb()))


class Watchdog:
    """A child process that reads one file at a time; one that takes over ``timeout_s`` is
    killed (a hang), one that dies is a crash; either way a fresh child takes the next file."""

    def __init__(self, timeout_s: float, scratch: Path) -> None:
        self.timeout_s, self.scratch = timeout_s, scratch
        self._start()

    def _start(self) -> None:
        context = multiprocessing.get_context("spawn")
        self.conn, child_end = context.Pipe()
        self.process = context.Process(target=_serve, args=(child_end, str(self.scratch)), daemon=True)
        self.process.start()
        child_end.close()
        if not self.conn.poll(120) or self.conn.recv() != "ready":
            raise RuntimeError("the watchdog's child did not start")

    def probe(self, path: Path) -> Probe:
        started = time.perf_counter()
        self.conn.send(str(path))
        if not self.conn.poll(self.timeout_s):
            self.process.kill()
            self.process.join()
            self._start()
            return Probe("hang", f"killed after {self.timeout_s:.0f} s", time.perf_counter() - started, 0.0)
        try:
            outcome, reason, seconds, peak_mb = self.conn.recv()
        except EOFError:
            self.process.join()
            code = self.process.exitcode
            self._start()
            return Probe("crash", f"the process died (exit {code})", time.perf_counter() - started, 0.0)
        return Probe(outcome, reason, seconds, peak_mb)

    def close(self) -> None:
        try:
            self.conn.send(None)
        except OSError:
            pass
        self.process.join(5)
        if self.process.is_alive():
            self.process.kill()


def probe_files(folder: Path, files: Sequence[FuzzFile], timeout_s: float = TIMEOUT_S,
                workers: int = 2) -> dict[str, Probe]:
    """Each file alone through what the import runs on its bytes, ``workers`` at a time."""
    results: dict[str, Probe] = {}
    scratch = Path(tempfile.mkdtemp(prefix="fuzz-thumbs-"))

    def run(share: Sequence[FuzzFile]) -> None:
        watchdog = Watchdog(timeout_s, scratch)
        try:
            for item in share:
                results[item.name] = watchdog.probe(folder / item.name)
        finally:
            watchdog.close()

    try:
        with ThreadPoolExecutor(workers) as pool:
            for done in [pool.submit(run, files[k::workers]) for k in range(workers)]:
                done.result()  # a watchdog that cannot start stops the benchmark
    finally:
        shutil.rmtree(scratch, ignore_errors=True)
    return results


# ----- 2. the import ----------------------------------------------------------------------
@dataclass
class ImportRun:
    exit: int | None  # None: killed at the time limit (a hang)
    seconds: float
    peak_mb: float
    outcomes: dict[str, tuple[str, str]] = field(default_factory=dict)  # name -> (outcome, reason)
    stderr_tail: str = ""

    def count(self, outcome: str) -> int:
        return sum(found == outcome for found, _ in self.outcomes.values())


def _run_watched(command: list[str], timeout_s: float, workers: int) -> tuple[int | None, float, float, str]:
    """Run ``command`` with ``workers`` import workers; (exit or None when killed at
    ``timeout_s``, seconds, peak RSS of its process tree, the end of its stderr)."""
    from albumtag.evaluation.process_memory import TreePeakRss

    started = time.perf_counter()
    env = {**os.environ, "ALBUMTAG_WORKERS": str(workers)}
    with tempfile.TemporaryFile() as errors, subprocess.Popen(
            command, cwd=REPO, env=env, stdout=subprocess.DEVNULL, stderr=errors,
            start_new_session=True) as child:
        with TreePeakRss(root=child.pid) as peak:
            try:
                code: int | None = child.wait(timeout_s)
            except subprocess.TimeoutExpired:
                os.killpg(child.pid, signal.SIGKILL)
                child.wait()
                code = None
        errors.seek(0)
        tail = errors.read().decode(errors="replace")[-2000:]
    return code, time.perf_counter() - started, peak.mb, tail


def library_outcomes(library_path: Path, folder: Path, names: Sequence[str], stages: Sequence[str]
                     ) -> dict[str, tuple[str, str]]:
    """Per file: ("imported", "") when every stage is done, ("listed", reason) when one failed
    with a reason, else ("neither", what is missing)."""
    from sqlalchemy import select

    from albumtag.library.database import Library
    from albumtag.library.schema import Album, Photo, PhotoStage, StageStatus

    found: dict[str, dict[str, tuple[StageStatus, str | None]]] = {}
    if library_path.exists():
        library = Library.open(library_path, create=False)
        try:
            with library.session() as session:
                rows = session.execute(
                    select(Photo.relpath, PhotoStage.stage, PhotoStage.status, PhotoStage.error)
                    .join(Album, Photo.album_id == Album.id)
                    .outerjoin(PhotoStage, PhotoStage.photo_id == Photo.id)
                    .where(Album.root == str(folder), Photo.missing.is_(False)))
                for relpath, stage, status, error in rows:
                    stages_of = found.setdefault(relpath, {})
                    if stage is not None:
                        stages_of[stage] = (StageStatus(status), error)
        finally:
            library.close()
    outcomes = {}
    for name in names:
        record = found.get(name)
        failed = [(stage, error) for stage, (status, error) in (record or {}).items()
                  if status == StageStatus.FAILED]
        if record is None:
            outcomes[name] = ("neither", "not in the library")
        elif failed:
            stage, error = failed[0]
            outcomes[name] = ("listed", f"{stage}: {error}") if error and error.strip() \
                else ("neither", f"{stage} failed without a reason")
        elif all(record.get(stage, (None,))[0] == StageStatus.DONE for stage in stages):
            outcomes[name] = ("imported", "")
        else:
            outcomes[name] = ("neither", "not done: " + ", ".join(
                stage for stage in stages if record.get(stage, (None,))[0] != StageStatus.DONE))
    return outcomes


def import_all(folder: Path, files: Sequence[FuzzFile], work: Path, workers: int = 2) -> ImportRun:
    """Every file through ``albumtag import``, the whole pipeline, as a user runs it."""
    library = work / "fuzz.albumtag"
    command = [sys.executable, "-m", "albumtag", "--library", str(library), "import", str(folder)]
    exit_code, seconds, peak, tail = _run_watched(command, 300 + 5 * len(files), workers)
    outcomes = library_outcomes(library, folder.resolve(), [item.name for item in files], PIPELINE_STAGES)
    return ImportRun(exit_code, seconds, peak, outcomes, tail)


# ----- the report ----------------------------------------------------------------------------
@dataclass
class FuzzReport:
    seed: int
    files: list[FuzzFile]
    probes: dict[str, Probe]  # step 1, by file name
    imported: ImportRun  # step 2
    timeout_s: float
    workers: int = 2

    @property
    def tree_mb_goal(self) -> float:
        return self.workers * FILE_MB_GOAL + MAIN_MB

    def slowest(self) -> tuple[str, Probe]:
        return max(self.probes.items(), key=lambda item: item[1].seconds)

    def largest(self) -> tuple[str, Probe]:
        return max(self.probes.items(), key=lambda item: item[1].peak_mb)

    def problems(self) -> list[str]:
        """Every missed goal, one line each (empty: all met)."""
        found = []
        for item in self.files:
            probe = self.probes[item.name]
            if probe.outcome in ("crash", "hang", "unexpected"):
                found.append(f"{item.name} alone: {probe.outcome}: {probe.reason}")
            elif probe.seconds > self.timeout_s:
                found.append(f"{item.name} alone: {probe.seconds:.1f} s, over {self.timeout_s:.0f} s")
            if probe.peak_mb > FILE_MB_GOAL:
                found.append(f"{item.name} alone: peak RSS {probe.peak_mb:.0f} MB, over {FILE_MB_GOAL:.0f} MB")
            if item.good and probe.outcome != "imported":
                found.append(f"{item.name} alone: a good photo was not read: {probe.reason}")
            outcome, reason = self.imported.outcomes.get(item.name, ("neither", "not looked up"))
            if outcome == "neither":
                found.append(f"{item.name}: neither imported nor listed ({reason})")
            elif item.good and outcome != "imported":
                found.append(f"{item.name}: a good photo was not imported: {reason}")
        run = self.imported
        if run.exit != 0:
            found.append("albumtag import " + ("hung (killed)" if run.exit is None else f"exited {run.exit}")
                         + f": {run.stderr_tail[-300:]}")
        if run.peak_mb > self.tree_mb_goal:
            found.append(f"albumtag import: peak RSS {run.peak_mb:.0f} MB, over {self.tree_mb_goal:.0f} MB")
        return found

    def lines(self) -> list[str]:
        good = sum(item.good for item in self.files)
        out = [f"fuzz import: {len(self.files)} files from seed {self.seed}, {good} of them good photos kept aside",
               f"1. each file alone (read_photo, decode_for_analysis, XMP people), watchdog {self.timeout_s:.0f} s; "
               "2. all files together through albumtag import (whole pipeline)",
               f"{'format':7s} {'tried':>6s} {'good':>5s} | 1. {'imported':>8s} {'listed':>7s} {'unexpected':>10s} "
               f"{'crashes':>8s} {'hangs':>6s} | 2. {'imported':>8s} {'listed':>7s} {'neither':>8s}"]
        for fmt in (*FORMATS, "total"):
            chosen = [item for item in self.files if fmt in (item.format, "total")]
            alone = Counter(self.probes[item.name].outcome for item in chosen)
            together = Counter(self.imported.outcomes.get(item.name, ("neither", ""))[0] for item in chosen)
            out.append(f"{fmt:7s} {len(chosen):6d} {sum(item.good for item in chosen):5d} | "
                       f"{alone['imported']:11d} {alone['listed']:7d} {alone['unexpected']:10d} "
                       f"{alone['crash']:8d} {alone['hang']:6d} | "
                       f"{together['imported']:11d} {together['listed']:7d} {together['neither']:8d}")
        mutations = Counter(item.mutation for item in self.files)
        out.append("mutations: " + ", ".join(f"{name} {n}" for name, n in sorted(mutations.items())))
        name, probe = self.slowest()
        out.append(f"slowest file: {name} {probe.seconds:.2f} s, bound {self.timeout_s:.0f} s ({probe.outcome}"
                   f"{': ' + probe.reason[:80] if probe.reason else ''})")
        times = sorted(probe.seconds for probe in self.probes.values())
        out.append(f"per-file seconds: median {times[len(times) // 2]:.3f}, 99th percentile "
                   f"{times[min(len(times) - 1, int(len(times) * 0.99))]:.2f}, total {sum(times):.0f}")
        name, probe = self.largest()
        out.append(f"largest peak RSS of one file's reading process: {probe.peak_mb:.0f} MB, goal "
                   f"{FILE_MB_GOAL:.0f} MB ({name})")
        run = self.imported
        status = "killed at its time limit (hang)" if run.exit is None else f"exit {run.exit}"
        out.append(f"albumtag import, {len(self.files)} files, {self.workers} workers: {status} in "
                   f"{run.seconds:.1f} s, peak RSS of the process tree {run.peak_mb:.0f} MB (goal "
                   f"{self.tree_mb_goal:.0f}); imported {run.count('imported')}, listed with a reason "
                   f"{run.count('listed')}, neither {run.count('neither')}")
        goods = [item.name for item in self.files if item.good]
        both = sum(self.probes[name].outcome == "imported"
                   and run.outcomes.get(name, ("",))[0] == "imported" for name in goods)
        out.append(f"good photos imported: {both} of {len(goods)}")
        alone = Counter(probe.outcome for probe in self.probes.values())
        out.append(f"crashes {alone['crash']}, hangs {alone['hang']}, unexpected errors {alone['unexpected']}")
        problems = self.problems()
        out.append("PASS" if not problems else f"FAIL: {len(problems)} problem(s)")
        out += [f"  {line}" for line in problems[:30]]
        return out


def run_fuzz(work: Path, count: int, seed: int, timeout_s: float = TIMEOUT_S, workers: int = 2,
             progress: Callable[[str], None] = lambda _: None) -> FuzzReport:
    """Build the corpus in ``work``, then both checks; the report says what was found."""
    folder = work / "photos"
    started = time.perf_counter()
    files = build_corpus(folder, count, seed)
    progress(f"built {len(files)} files in {time.perf_counter() - started:.0f} s")
    probes = probe_files(folder, files, timeout_s, workers)
    progress(f"read each file alone ({time.perf_counter() - started:.0f} s)")
    imported = import_all(folder, files, work, workers)
    progress(f"imported them all ({time.perf_counter() - started:.0f} s)")
    return FuzzReport(seed, files, probes, imported, timeout_s, workers)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--count", type=int, default=1000, help="files to build and import")
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--out", type=Path, help="keep the files and the library here")
    parser.add_argument("--timeout", type=float, default=TIMEOUT_S, help="seconds one file may take alone")
    parser.add_argument("--workers", type=int, default=2, help="files read at once, alone and in the import")
    parser.add_argument("--json", type=Path, help="also write every file's outcome as JSON")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="fuzz-import-") as tmp:
        work = args.out or Path(tmp)
        work.mkdir(parents=True, exist_ok=True)
        report = run_fuzz(work, args.count, args.seed, args.timeout, args.workers,
                          progress=lambda line: print(f"[{line}]", file=sys.stderr, flush=True))
    print("\n".join(report.lines()))
    if args.json:
        args.json.write_text(json.dumps([
            {**asdict(item), **asdict(report.probes[item.name]), "import": report.imported.outcomes.get(item.name)}
            for item in report.files], indent=1))
    return 1 if report.problems() else 0


if __name__ == "__main__":
    sys.exit(main())
