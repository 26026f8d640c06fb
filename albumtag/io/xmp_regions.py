"""Who is in a photo according to other programs: face regions and people keywords in XMP.

Read, best first:

* MWG regions (``mwg-rs:Regions``; digiKam, Picasa, Lightroom, exiftool, Immich): Type Face,
  Name, ``stArea`` x/y (the centre), w/h, normalised.
* Microsoft Photo regions (``MP:RegionInfo``; Windows Photo Gallery): ``MPReg:Rectangle``
  "x, y, w, h" from the top-left, normalised, and ``MPReg:PersonDisplayName``. Used only when
  the packet has no MWG face region, as digiKam and ExifToolGui do: programs that write both
  update MWG, and MP regions are often stale.
* People keywords without a place: digiKam ``TagsList`` "People/Name", Lightroom
  ``hierarchicalSubject`` "People|Name" (and the same in MicrosoftPhoto:LastKeywordXMP and
  mediapro:CatalogSets), IPTC ``PersonInImage``.

Orientation: the MWG guidelines 2.0 (section 5.9, Image Region Metadata) say region metadata
is applied to the image *as stored*; when a viewer applies the EXIF orientation it must
rotate the regions too. exiftool (rotate_regions.config), Immich (since PR 18021) and
PiGallery2 for embedded XMP do so. The Immich test photo portrait-orientation-6.jpg shows
it: stored 700x840 with orientation 6, AppliedToDimensions 700x840, and Marie Curie's centre
at (0.307857, 0.631548), which is (0.368452, 0.307857) of the upright 840x700 photo, exactly
her centre in portrait.jpg. MP regions are given the same treatment (exiftool rotates both
kinds alike); that file's MP rectangles were copied unrotated by its generator, which rotated
only RegionInfo, another reason MWG wins. A writer that ignored the rule betrays itself with
AppliedToDimensions in the upright shape (landscape for a photo stored as portrait, or the
reverse); its regions are then taken as upright.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from xml.etree.ElementTree import Element

from albumtag.io.orientation import Box, stored_to_upright, swaps_axes
from albumtag.io.xmp_rdf import (
    DIGIKAM,
    IPTC_EXT,
    LIGHTROOM,
    MICROSOFT_PHOTO,
    MP,
    MP_REG,
    MP_RI,
    MWG_RS,
    ST_AREA,
    ST_DIM,
    child,
    field,
    items,
    parse,
    q,
    texts,
)

PEOPLE_ROOT = "People"
# (property, separator of its hierarchy); entries under PEOPLE_ROOT name people.
KEYWORD_HIERARCHIES = (
    (q(DIGIKAM, "TagsList"), "/"),
    (q(MICROSOFT_PHOTO, "LastKeywordXMP"), "/"),
    (q(LIGHTROOM, "hierarchicalSubject"), "|"),
    (q("http://ns.iview-multimedia.com/mediapro/1.0/", "CatalogSets"), "|"),
)
PERSON_IN_IMAGE = q(IPTC_EXT, "PersonInImage")
# digiKam files faces it has not named under these; they are states, not people.
NOT_NAMES = {"Unknown", "Unconfirmed", "Ignored"}


@dataclass(frozen=True)
class TaggedPerson:
    """A named person in a photo; ``box`` in upright pixels, None when only a keyword says so."""

    name: str
    box: Box | None


@dataclass(frozen=True)
class Frame:
    """The photo the regions are read for: EXIF orientation and upright size in pixels."""

    orientation: int
    width: int
    height: int


def read_people(packet: bytes | str, frame: Frame) -> list[TaggedPerson]:
    """Everyone the packet names, each once: regions first, then keywords not placed by one.

    Raises ``XmpError`` for a packet that is not well-formed XML.
    """
    root = parse(packet)
    placed = _mwg_regions(root, frame) or _mp_regions(root, frame)
    people = _unique(placed)
    known = {person.name for person in people}
    return people + [TaggedPerson(name, None) for name in _keyword_names(root) if name not in known]


def _unique(people: list[TaggedPerson]) -> list[TaggedPerson]:
    """One entry per name: a person is in a photo once (the first region wins)."""
    seen: dict[str, TaggedPerson] = {}
    for person in people:
        if person.name not in seen or seen[person.name].box is None:
            seen[person.name] = person
    return list(seen.values())


# ----- MWG ------------------------------------------------------------------------------
def _number(text: str | None) -> float | None:
    try:
        value = float(text) if text is not None else math.nan
    except ValueError:
        return None
    return value if math.isfinite(value) else None


def _mwg_regions(root: Element, frame: Frame) -> list[TaggedPerson]:
    found = []
    for regions in root.iter(q(MWG_RS, "Regions")):
        dims = _applied_to(regions)
        for region in items(child(regions, q(MWG_RS, "RegionList"))):
            name = field(region, q(MWG_RS, "Name"))
            if not name or field(region, q(MWG_RS, "Type")) not in (None, "Face"):
                continue
            area = child(region, q(MWG_RS, "Area"))
            box = _mwg_area(area, dims) if area is not None else None
            found.append(TaggedPerson(name, _upright(box, dims, frame)))
    return found


def _applied_to(regions: Element) -> tuple[float, float] | None:
    dims = child(regions, q(MWG_RS, "AppliedToDimensions"))
    if dims is None:
        return None
    width, height = _number(field(dims, q(ST_DIM, "w"))), _number(field(dims, q(ST_DIM, "h")))
    return (width, height) if width and height and width > 0 and height > 0 else None


def _mwg_area(area: Element, dims: tuple[float, float] | None) -> Box | None:
    """The normalised box of an ``stArea`` (centre and size; pixel units need the dimensions)."""
    x, y, w, h = (_number(field(area, q(ST_AREA, key))) for key in "xywh")
    if x is None or y is None or w is None or h is None:
        return None
    if (field(area, q(ST_AREA, "unit")) or "normalized") == "pixel":
        if dims is None:
            return None
        x, w, y, h = x / dims[0], w / dims[0], y / dims[1], h / dims[1]
    return _clipped((x - w / 2, y - h / 2, x + w / 2, y + h / 2))


# ----- Microsoft Photo --------------------------------------------------------------------
def _mp_regions(root: Element, frame: Frame) -> list[TaggedPerson]:
    found = []
    for info in root.iter(q(MP, "RegionInfo")):
        for region in items(child(info, q(MP_RI, "Regions"))):
            name = field(region, q(MP_REG, "PersonDisplayName"))
            if name:
                box = _mp_rectangle(field(region, q(MP_REG, "Rectangle")))
                found.append(TaggedPerson(name, _upright(box, None, frame)))
    return found


def _mp_rectangle(text: str | None) -> Box | None:
    """"x, y, w, h" from the top-left, normalised."""
    parts = [_number(part) for part in (text or "").split(",")]
    if len(parts) != 4 or any(part is None for part in parts):
        return None
    x, y, w, h = parts
    return _clipped((x, y, x + w, y + h))


# ----- geometry ---------------------------------------------------------------------------
def _clipped(box: Box) -> Box | None:
    x1, y1, x2, y2 = (min(max(v, 0.0), 1.0) for v in box)
    return (x1, y1, x2, y2) if x2 > x1 and y2 > y1 else None


def _written_upright(dims: tuple[float, float] | None, frame: Frame) -> bool:
    """AppliedToDimensions in the upright shape of a quarter-turned, non-square photo."""
    if dims is None or not swaps_axes(frame.orientation) or frame.width == frame.height:
        return False
    return dims[0] != dims[1] and (dims[0] > dims[1]) == (frame.width > frame.height)


def _upright(box: Box | None, dims: tuple[float, float] | None, frame: Frame) -> Box | None:
    """A normalised region on the stored image, in upright pixels."""
    if box is None:
        return None
    if not _written_upright(dims, frame):
        box = stored_to_upright(box, frame.orientation)
    x1, y1, x2, y2 = box
    return x1 * frame.width, y1 * frame.height, x2 * frame.width, y2 * frame.height


# ----- keywords ---------------------------------------------------------------------------
def person_from_keyword(keyword: str, separator: str) -> str | None:
    """"People/Marie Curie" -> "Marie Curie"; None for other keywords and digiKam's states."""
    parts = [part.strip() for part in keyword.split(separator)]
    if len(parts) < 2 or parts[0] != PEOPLE_ROOT or not parts[-1] or parts[-1] in NOT_NAMES:
        return None
    return parts[-1]


def _keyword_names(root: Element) -> list[str]:
    names = [person_from_keyword(keyword, separator)
             for prop, separator in KEYWORD_HIERARCHIES for keyword in texts(root, prop)]
    names += texts(root, PERSON_IN_IMAGE)
    return list(dict.fromkeys(name for name in names if name))
