"""Reading people from XMP: MWG and Microsoft regions, keywords, orientation, broken files."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from PIL import Image, ImageOps

from albumtag.io.decode import decode_file
from albumtag.io.orientation import stored_to_upright, upright_to_stored
from albumtag.io.xmp_files import photo_people
from albumtag.io.xmp_rdf import XmpError
from albumtag.io.xmp_regions import Frame, TaggedPerson, read_people

FACES = ("formats-immich", "metadata", "faces")
# Checked by eye once (boxes drawn on the decoded photo): each lies on the face.
PORTRAIT_BOXES = {"Marie Curie": (262, 146, 357, 285), "Pierre Curie": (537, 83, 618, 252)}


def _people(path: Path) -> dict[str, tuple[float, float, float, float] | None]:
    header, _ = decode_file(path, 64)
    return {p.name: p.box for p in photo_people(path, Frame(header.orientation, header.width, header.height))}


def _packet(body: str) -> str:
    return ('<x:xmpmeta xmlns:x="adobe:ns:meta/"><rdf:RDF xmlns:rdf="http://www.w3.org/1999/02/22-rdf-syntax-ns#">'
            f'{body}</rdf:RDF></x:xmpmeta>')


def test_portrait_names_and_boxes(shared_data: Path) -> None:
    people = _people(shared_data.joinpath(*FACES, "portrait.jpg"))
    assert set(people) == set(PORTRAIT_BOXES)
    for name, box in PORTRAIT_BOXES.items():
        assert people[name] == pytest.approx(box, abs=2)


def test_rotated_photo_gets_the_same_boxes_after_rotation(shared_data: Path) -> None:
    """Stored 700x840 with orientation 6: regions are on the stored image (MWG 2.0 §5.9)."""
    upright = _people(shared_data.joinpath(*FACES, "portrait.jpg"))
    rotated = _people(shared_data.joinpath(*FACES, "portrait-orientation-6.jpg"))
    assert set(rotated) == set(upright)
    for name in upright:
        assert np.allclose(rotated[name], upright[name], atol=0.01 * 840)


@pytest.mark.parametrize("orientation", range(1, 9))
def test_orientation_mapping_matches_pillow(orientation: int) -> None:
    """A marked block lands where ``stored_to_upright`` says after Pillow's exif_transpose."""
    stored = np.zeros((20, 40), dtype=np.uint8)
    stored[2:6, 5:15] = 255  # rows 2..6, columns 5..15 of a 40x20 image
    image = Image.fromarray(stored)
    exif = image.getexif()
    exif[0x0112] = orientation
    image.info["exif"] = exif.tobytes()
    upright = np.asarray(ImageOps.exif_transpose(image))
    rows, cols = np.nonzero(upright)
    h, w = upright.shape
    seen = (cols.min() / w, rows.min() / h, (cols.max() + 1) / w, (rows.max() + 1) / h)
    box = (5 / 40, 2 / 20, 15 / 40, 6 / 20)
    assert stored_to_upright(box, orientation) == pytest.approx(seen)
    assert upright_to_stored(seen, orientation) == pytest.approx(box)


def test_microsoft_regions_when_there_is_no_mwg_region() -> None:
    packet = _packet(
        '<rdf:Description xmlns:MP="http://ns.microsoft.com/photo/1.2/" '
        'xmlns:MPRI="http://ns.microsoft.com/photo/1.2/t/RegionInfo#" '
        'xmlns:MPReg="http://ns.microsoft.com/photo/1.2/t/Region#"><MP:RegionInfo rdf:parseType="Resource">'
        '<MPRI:Regions><rdf:Bag><rdf:li MPReg:PersonDisplayName="Ada" MPReg:Rectangle="0.1, 0.2, 0.3, 0.4"/>'
        '</rdf:Bag></MPRI:Regions></MP:RegionInfo></rdf:Description>')
    assert read_people(packet, Frame(1, 200, 100)) == [TaggedPerson("Ada", pytest.approx((20, 20, 80, 60)))]


def test_element_form_regions_and_pixel_units() -> None:
    """The same region written with child elements instead of attributes, in pixels."""
    packet = _packet(
        '<rdf:Description xmlns:mwg-rs="http://www.metadataworkinggroup.com/schemas/regions/" '
        'xmlns:stArea="http://ns.adobe.com/xmp/sType/Area#" xmlns:stDim="http://ns.adobe.com/xap/1.0/sType/Dimensions#">'
        '<mwg-rs:Regions rdf:parseType="Resource"><mwg-rs:AppliedToDimensions rdf:parseType="Resource">'
        '<stDim:w>200</stDim:w><stDim:h>100</stDim:h></mwg-rs:AppliedToDimensions><mwg-rs:RegionList><rdf:Bag>'
        '<rdf:li rdf:parseType="Resource"><mwg-rs:Type>Face</mwg-rs:Type><mwg-rs:Name>Ada</mwg-rs:Name>'
        '<mwg-rs:Area rdf:parseType="Resource"><stArea:x>100</stArea:x><stArea:y>50</stArea:y><stArea:w>20</stArea:w>'
        '<stArea:h>10</stArea:h><stArea:unit>pixel</stArea:unit></mwg-rs:Area></rdf:li>'
        '<rdf:li rdf:parseType="Resource"><mwg-rs:Type>Focus</mwg-rs:Type><mwg-rs:Name>AF</mwg-rs:Name></rdf:li>'
        '</rdf:Bag></mwg-rs:RegionList></mwg-rs:Regions></rdf:Description>')
    assert read_people(packet, Frame(1, 400, 200)) == [TaggedPerson("Ada", pytest.approx((180, 90, 220, 110)))]


def test_regions_written_on_the_upright_photo_are_recognised() -> None:
    """A writer that ignored orientation gives AppliedToDimensions in the upright shape."""
    packet = _packet(
        '<rdf:Description xmlns:mwg-rs="http://www.metadataworkinggroup.com/schemas/regions/" '
        'xmlns:stArea="http://ns.adobe.com/xmp/sType/Area#" xmlns:stDim="http://ns.adobe.com/xap/1.0/sType/Dimensions#">'
        '<mwg-rs:Regions rdf:parseType="Resource"><mwg-rs:AppliedToDimensions stDim:w="840" stDim:h="700"/>'
        '<mwg-rs:RegionList><rdf:Bag><rdf:li><rdf:Description mwg-rs:Name="Ada" mwg-rs:Type="Face">'
        '<mwg-rs:Area stArea:x="0.5" stArea:y="0.25" stArea:w="0.1" stArea:h="0.1"/></rdf:Description></rdf:li>'
        '</rdf:Bag></mwg-rs:RegionList></mwg-rs:Regions></rdf:Description>')
    assert read_people(packet, Frame(6, 840, 700))[0].box == pytest.approx((378, 140, 462, 210))


def test_people_keywords_without_regions() -> None:
    packet = _packet(
        '<rdf:Description xmlns:digiKam="http://www.digikam.org/ns/1.0/" xmlns:lr="http://ns.adobe.com/lightroom/1.0/">'
        '<digiKam:TagsList><rdf:Seq><rdf:li>People/Family/Ada</rdf:li><rdf:li>People/Unknown</rdf:li>'
        '<rdf:li>Places/Paris</rdf:li></rdf:Seq></digiKam:TagsList>'
        '<lr:hierarchicalSubject><rdf:Bag><rdf:li>People|Ada</rdf:li><rdf:li>People|Bob</rdf:li>'
        '<rdf:li>Events|People</rdf:li></rdf:Bag></lr:hierarchicalSubject></rdf:Description>')
    assert read_people(packet, Frame(1, 10, 10)) == [TaggedPerson("Ada", None), TaggedPerson("Bob", None)]


def test_malformed_and_hostile_packets_are_clear_errors() -> None:
    with pytest.raises(XmpError, match="malformed XMP"):
        read_people(b"<x:xmpmeta><rdf:RDF><unclosed", Frame(1, 10, 10))
    with pytest.raises(XmpError):
        read_people('<!DOCTYPE x [<!ENTITY a "aaaa">]><x>&a;</x>', Frame(1, 10, 10))
    with pytest.raises(XmpError, match="empty"):
        read_people(b"\x00\x00 ", Frame(1, 10, 10))


def test_every_problem_file_parses_without_crashing(shared_data: Path) -> None:
    files = sorted(p for p in (shared_data / "formats-immich" / "problems").rglob("*") if p.is_file())
    assert files
    for path in files:
        try:
            assert isinstance(read_people(path.read_bytes(), Frame(1, 100, 100)), list)
        except XmpError as error:
            assert str(error), path


def test_broken_embedded_xmp_is_an_error_naming_the_problem(bad_corpus) -> None:
    folder, _ = bad_corpus
    with pytest.raises(XmpError, match="malformed XMP"):
        photo_people(folder / "bad-xmp.jpg", Frame(1, 250, 250))
    assert photo_people(folder / "good.jpg", Frame(1, 250, 250)) == []
