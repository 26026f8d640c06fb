"""Writing a photo's people into its XMP sidecar, for digiKam, Lightroom, Immich, exiftool.

Written: MWG face regions (the format every one of them reads, relative to the image as
stored, see ``xmp_regions``), people keywords as digiKam ("People/Name"), Lightroom
("People|Name"), plain ``dc:subject`` and IPTC ``PersonInImage``.

A sidecar another program made is merged, not replaced: only the face regions and the
people keywords are ours to rewrite (they say who is in the photo, which the library now
knows); every other property, other region types (focus, pets) and every other keyword stay
as they were. Microsoft Photo regions that name someone go too: they are the same faces in
Windows' older format, and left behind they would bring back a person removed here, since
readers fall back to them when no MWG face region is left. ``dc:subject`` is flat, so a
subject is taken for a person only when the hierarchical lists named them. A sidecar that
is not well-formed is left untouched (XmpError): merging into it could lose what it holds.
Writing goes through a temporary file, so a crash leaves the old sidecar or the new one. The
original photo is never touched here; ``xmp_embed`` puts the same merged packet inside the
file when the user asks for that.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from functools import partial
from pathlib import Path
from xml.etree import ElementTree as StdElementTree
from xml.etree.ElementTree import Element, SubElement

from albumtag.io.atomic import write_bytes_atomic
from albumtag.io.metadata import sidecar_paths
from albumtag.io.orientation import swaps_axes, upright_to_stored
from albumtag.io.xmp_rdf import (
    DC,
    DIGIKAM,
    LIGHTROOM,
    MP,
    MP_REG,
    MP_RI,
    MWG_RS,
    PREFIXES,
    RDF,
    ST_AREA,
    ST_DIM,
    X,
    XmpError,
    child,
    field,
    items,
    parse,
    q,
)
from albumtag.io.xmp_regions import (
    KEYWORD_HIERARCHIES,
    PEOPLE_ROOT,
    PERSON_IN_IMAGE,
    Frame,
    TaggedPerson,
    person_from_keyword,
)

PACKET_HEADER = '<?xpacket begin="\ufeff" id="W5M0MpCehiHzreSzNTczkc9d"?>\n'
PACKET_TRAILER = '\n<?xpacket end="w"?>\n'
_DECLARED = re.compile(r'xmlns:([A-Za-z_][\w.-]*)\s*=\s*["\']([^"\']+)["\']')
# Where our people keywords go: (property, array kind, how a name is written).
PEOPLE_LISTS = (
    (q(DIGIKAM, "TagsList"), "Seq", lambda name: f"{PEOPLE_ROOT}/{name}"),
    (q(LIGHTROOM, "hierarchicalSubject"), "Bag", lambda name: f"{PEOPLE_ROOT}|{name}"),
    (q(DC, "subject"), "Bag", lambda name: name),
    (PERSON_IN_IMAGE, "Bag", lambda name: name),
)


def sidecar_for(photo: Path) -> Path:
    """The sidecar ``metadata.read_sidecar`` finds first; new ones are ``photo.jpg.xmp``
    (digiKam's and darktable's name, which two photos differing only in extension never share)."""
    existing = [path for path in sidecar_paths(photo) if path.is_file()]
    return existing[0] if existing else sidecar_paths(photo)[0]


def write_sidecar(photo: Path, people: Sequence[TaggedPerson], frame: Frame) -> Path:
    """Merge ``people`` (boxes in upright pixels) into the photo's sidecar; returns its path."""
    path = sidecar_for(photo)
    existing = path.read_bytes() if path.is_file() else None
    write_bytes_atomic(path, merged_packet(existing, people, frame).encode("utf-8"))
    return path


def merged_packet(existing: bytes | str | None, people: Sequence[TaggedPerson], frame: Frame) -> str:
    """The sidecar text: ``existing`` with its regions and people keywords replaced."""
    root = parse(existing) if existing else Element(q(X, "xmpmeta"))
    description = _description(_rdf(root))
    _remove_people_keywords(root)
    foreign_regions = _remove_face_regions(root)
    _remove_mp_people(root)
    _add_regions(description, foreign_regions, people, frame)
    _add_people_keywords(root, description, [person.name for person in people])
    _register_prefixes(existing)
    return PACKET_HEADER + StdElementTree.tostring(root, encoding="unicode") + PACKET_TRAILER


# ----- the RDF skeleton -------------------------------------------------------------------
def _rdf(root: Element) -> Element:
    if root.tag == q(RDF, "RDF"):
        return root
    found = root.find(q(RDF, "RDF"))
    if found is None:
        if root.tag != q(X, "xmpmeta"):
            raise XmpError(f"not an XMP packet (root element {root.tag})")
        found = SubElement(root, q(RDF, "RDF"))
    return found


def _description(rdf: Element) -> Element:
    """The top-level rdf:Description new properties go into."""
    found = rdf.find(q(RDF, "Description"))
    return found if found is not None else SubElement(rdf, q(RDF, "Description"), {q(RDF, "about"): ""})


def _register_prefixes(existing: bytes | str | None) -> None:
    """Keep the prefixes the file used, and ours, when ElementTree writes it back.

    ElementTree's prefix table is process-wide; only XMP is written with it in this app.
    """
    text = existing.decode("utf-8", "replace") if isinstance(existing, bytes) else existing or ""
    declared = {prefix: uri for prefix, uri in _DECLARED.findall(text) if not re.fullmatch(r"ns\d+|xml", prefix)}
    for prefix, uri in {**declared, **PREFIXES}.items():
        StdElementTree.register_namespace(prefix, uri)


# ----- keywords ---------------------------------------------------------------------------
def _remove_people_keywords(root: Element) -> None:
    """Drop every people keyword, and the plain subjects naming the same people."""
    named: set[str] = set()
    for prop, separator in KEYWORD_HIERARCHIES:
        named |= _remove_items(root, prop, partial(person_from_keyword, separator=separator))
    _remove_items(root, PERSON_IN_IMAGE, lambda text: text or None)
    _remove_items(root, q(DC, "subject"), lambda text: text if text in named else None)


def _remove_items(root: Element, prop: str, person_in: Callable[[str], str | None]) -> set[str]:
    """Remove the array items that name a person (``person_in`` gives the name, or None)."""
    removed = set()
    for element in list(root.iter(prop)):
        for array in element:
            for li in list(array.findall(q(RDF, "li"))):
                name = person_in((li.text or "").strip())
                if name is not None:
                    removed.add(name)
                    array.remove(li)
    return removed


def _add_people_keywords(root: Element, description: Element, names: Sequence[str]) -> None:
    for prop, kind, spelled in PEOPLE_LISTS:
        array = _array(root, description, prop, kind)
        present = {(li.text or "").strip() for li in array.findall(q(RDF, "li"))}
        for name in dict.fromkeys(names):
            if spelled(name) not in present:
                SubElement(array, q(RDF, "li")).text = spelled(name)
    _drop_empty_arrays(root)


def _array(root: Element, description: Element, prop: str, kind: str) -> Element:
    """The array of ``prop`` wherever the packet has it (a property appears once), else a new
    one in ``description``."""
    element = next(root.iter(prop), None)
    if element is None:
        element = SubElement(description, prop)
    for array in element:
        if array.tag.startswith(f"{{{RDF}}}"):
            return array
    return SubElement(element, q(RDF, kind))


def _drop_empty_arrays(root: Element) -> None:
    """Remove the keyword properties that held only people (readers warn about empty arrays)."""
    props = {prop for prop, _, _ in PEOPLE_LISTS} | {prop for prop, _ in KEYWORD_HIERARCHIES}
    for parent in list(root.iter()):
        for element in [e for e in parent if e.tag in props]:
            if not (element.text or "").strip() and all(len(array) == 0 for array in element):
                parent.remove(element)


# ----- regions ----------------------------------------------------------------------------
def _remove_face_regions(root: Element) -> list[Element]:
    """Remove every mwg-rs:Regions; returns its regions that are not faces, to be kept."""
    kept: list[Element] = []
    for parent in list(root.iter()):
        for regions in parent.findall(q(MWG_RS, "Regions")):
            kept += [region for region in items(child(regions, q(MWG_RS, "RegionList")))
                     if field(region, q(MWG_RS, "Type")) not in (None, "Face")]
            parent.remove(regions)
    return kept


def _remove_mp_people(root: Element) -> None:
    """Remove the Microsoft Photo regions that name a person, and a RegionInfo left empty."""
    for parent in list(root.iter()):
        for info in parent.findall(q(MP, "RegionInfo")):
            regions = child(info, q(MP_RI, "Regions"))
            for array in regions if regions is not None else ():
                for li in [li for li in array.findall(q(RDF, "li")) if field(li, q(MP_REG, "PersonDisplayName"))]:
                    array.remove(li)
            if not items(regions):
                parent.remove(info)


def _add_regions(description: Element, foreign: list[Element], people: Sequence[TaggedPerson],
                 frame: Frame) -> None:
    placed = [person for person in people if person.box is not None]
    if not placed and not foreign:
        return
    regions = SubElement(description, q(MWG_RS, "Regions"), {q(RDF, "parseType"): "Resource"})
    width, height = (frame.height, frame.width) if swaps_axes(frame.orientation) else (frame.width, frame.height)
    SubElement(regions, q(MWG_RS, "AppliedToDimensions"),
               {q(ST_DIM, "w"): str(width), q(ST_DIM, "h"): str(height), q(ST_DIM, "unit"): "pixel"})
    bag = SubElement(SubElement(regions, q(MWG_RS, "RegionList")), q(RDF, "Bag"))
    bag.extend(foreign)
    for person in placed:
        _add_region(bag, person, frame)


def mwg_area(box: tuple[float, float, float, float], frame: Frame) -> dict[str, float]:
    """An upright pixel box as the stored-image MWG area (centre, size; normalised, 6 places)."""
    x1, y1, x2, y2 = upright_to_stored(
        (box[0] / frame.width, box[1] / frame.height, box[2] / frame.width, box[3] / frame.height),
        frame.orientation)
    return {key: round(value, 6) for key, value in
            (("x", (x1 + x2) / 2), ("y", (y1 + y2) / 2), ("w", x2 - x1), ("h", y2 - y1))}


def _add_region(bag: Element, person: TaggedPerson, frame: Frame) -> None:
    li = SubElement(bag, q(RDF, "li"))
    region = SubElement(li, q(RDF, "Description"), {q(MWG_RS, "Name"): person.name, q(MWG_RS, "Type"): "Face"})
    area = {q(ST_AREA, key): f"{value:.6f}" for key, value in mwg_area(person.box, frame).items()}
    SubElement(region, q(MWG_RS, "Area"), {**area, q(ST_AREA, "unit"): "normalized"})
