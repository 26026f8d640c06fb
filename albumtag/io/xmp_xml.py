"""Parsing an XMP packet's XML: safe against entity tricks, fast enough, and only up to a size.

Packets come from strangers' files. Entity tricks (billion laughs, external entities) need a
DTD, so a packet that has one goes through defusedxml, which refuses its entities; every other
packet goes through ElementTree's C parser, where nothing can be declared, expanded or
fetched. defusedxml's parser is ElementTree's pure-Python one, which took 10-20 s over a 30 MB
packet of a million elements (a runaway Photoshop DocumentAncestors list looks like that); the
C parser takes about a third of that.

A packet over ``MAX_XMP_BYTES`` is not parsed at all (photo programs write a few kB; bloated
ancestor lists reach a few MB): the worst shape (tiny elements) costs about 0.25 s and 6 MB of
memory per MB each time it is parsed (the date reader and the people reader each parse it), so
an unbounded packet would be an unbounded stall in the import; 8 MB stays within seconds.
"""

from __future__ import annotations

from xml.etree import ElementTree
from xml.etree.ElementTree import Element

from defusedxml import ElementTree as DefusedElementTree

MAX_XMP_BYTES = 8 << 20


class XmpTooLarge(ValueError):
    """A packet over ``MAX_XMP_BYTES``; the message says so for the user."""


def check_size(packet: bytes | str) -> None:
    """XmpTooLarge for a packet over the limit (checked before it is decoded or parsed)."""
    if len(packet) > MAX_XMP_BYTES:
        raise XmpTooLarge(f"XMP packet too large ({len(packet) / (1 << 20):.0f} MB; at most "
                          f"{MAX_XMP_BYTES >> 20} MB is read)")


def parse_xml(text: str) -> Element:
    """The root element. ``ParseError`` for XML that is not well-formed; defusedxml's
    exceptions for a DTD that declares entities."""
    if "<!DOCTYPE" in text:  # the only place entities can be declared
        return DefusedElementTree.fromstring(text)
    return ElementTree.fromstring(text)
