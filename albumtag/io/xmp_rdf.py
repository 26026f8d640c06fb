"""Reading XMP's RDF with plain ElementTree: the packet, structs and arrays in every form.

Why not an XMP library: python-xmp-toolkit needs the Exempi C library installed on the
system (no wheels; nothing on Windows), and pyexiv2 / exifmwg bundle Exiv2, which is
GPL-licensed (this app is MIT) and rewrites whole image files, more than sidecars need.
XMP is RDF/XML; the few shapes it takes for one property are handled here, and defusedxml
refuses entity tricks in files from strangers.

RDF allows a struct field as an attribute (``<mwg-rs:Area stArea:x="0.5"/>``), as a child
element, or inside an ``rdf:Description`` (or ``rdf:parseType="Resource"``); the helpers
below accept all of them, so callers name fields and never care which form a writer chose.
"""

from __future__ import annotations

from xml.etree.ElementTree import Element, ParseError

from defusedxml import DefusedXmlException

from albumtag.io.metadata import xmp_text
from albumtag.io.xmp_xml import XmpTooLarge, check_size, parse_xml

RDF = "http://www.w3.org/1999/02/22-rdf-syntax-ns#"
X = "adobe:ns:meta/"
MWG_RS = "http://www.metadataworkinggroup.com/schemas/regions/"
ST_AREA = "http://ns.adobe.com/xmp/sType/Area#"
ST_DIM = "http://ns.adobe.com/xap/1.0/sType/Dimensions#"
MP = "http://ns.microsoft.com/photo/1.2/"
MP_RI = "http://ns.microsoft.com/photo/1.2/t/RegionInfo#"
MP_REG = "http://ns.microsoft.com/photo/1.2/t/Region#"
MICROSOFT_PHOTO = "http://ns.microsoft.com/photo/1.0/"
DIGIKAM = "http://www.digikam.org/ns/1.0/"
LIGHTROOM = "http://ns.adobe.com/lightroom/1.0/"
DC = "http://purl.org/dc/elements/1.1/"
IPTC_EXT = "http://iptc.org/std/Iptc4xmpExt/2008-02-29/"

# The prefixes other programs use, so that what we write reads naturally to people too.
PREFIXES = {
    "x": X, "rdf": RDF, "mwg-rs": MWG_RS, "stArea": ST_AREA, "stDim": ST_DIM, "MP": MP,
    "MPRI": MP_RI, "MPReg": MP_REG, "MicrosoftPhoto": MICROSOFT_PHOTO, "digiKam": DIGIKAM,
    "lr": LIGHTROOM, "dc": DC, "Iptc4xmpExt": IPTC_EXT,
}
ARRAYS = {f"{{{RDF}}}{kind}" for kind in ("Bag", "Seq", "Alt")}


class XmpError(ValueError):
    """An XMP packet that cannot be read; the message says why, for the user."""


def q(namespace: str, name: str) -> str:
    """ElementTree's name for ``prefix:name``."""
    return f"{{{namespace}}}{name}"


def parse(packet: bytes | str) -> Element:
    """The packet's root element; XmpError for anything that is not well-formed, safe XML
    (or is over ``xmp_xml.MAX_XMP_BYTES``)."""
    try:
        check_size(packet)
    except XmpTooLarge as error:
        raise XmpError(str(error)) from None
    text = xmp_text(packet)
    if not text:
        raise XmpError("empty XMP packet")
    try:
        return parse_xml(text)
    except (ParseError, DefusedXmlException) as error:
        raise XmpError(f"malformed XMP: {error}") from error


def nodes(element: Element) -> list[Element]:
    """The elements that hold a struct's fields: the property and its rdf:Description(s)."""
    return [element, *element.findall(q(RDF, "Description"))]


def child(element: Element, name: str) -> Element | None:
    """A struct field that is itself a struct or an array."""
    for node in nodes(element):
        found = node.find(name)
        if found is not None:
            return found
    return None


def field(element: Element, name: str) -> str | None:
    """A simple struct field, stripped; None when absent or blank."""
    for node in nodes(element):
        value = node.attrib.get(name)
        if value is None:
            found = node.find(name)
            value = found.text if found is not None else None
        if value and value.strip():
            return value.strip()
    return None


def items(element: Element | None) -> list[Element]:
    """The ``rdf:li`` of an array property (Bag, Seq or Alt); [] when it is no array."""
    if element is None:
        return []
    return [li for array in element if array.tag in ARRAYS for li in array.findall(q(RDF, "li"))]


def texts(root: Element, name: str) -> list[str]:
    """Every text item of an array property, wherever in the packet it is."""
    return [li.text.strip() for prop in root.iter(name) for li in items(prop) if li.text and li.text.strip()]
