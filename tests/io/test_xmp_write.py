"""Writing people into sidecars: round trips (our reader and exiftool), merging, atomicity."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
from defusedxml import ElementTree

from albumtag.io.xmp_files import photo_people
from albumtag.io.xmp_rdf import XmpError
from albumtag.io.xmp_regions import Frame, TaggedPerson
from albumtag.io.xmp_write import mwg_area, write_sidecar

PEOPLE = [TaggedPerson("Marie Curie", (262.0, 146.0, 357.0, 285.0)),
          TaggedPerson("Pierre Curie", (537.0, 83.0, 618.0, 252.0)),
          TaggedPerson("Irène Curie", None)]
UPRIGHT = Frame(1, 840, 700)
TURNED = Frame(6, 840, 700)  # stored 700x840, shown after a quarter turn clockwise

FOREIGN_SIDECAR = """<?xpacket begin="\ufeff" id="W5M0MpCehiHzreSzNTczkc9d"?>
<x:xmpmeta xmlns:x="adobe:ns:meta/" x:xmptk="Other App 1.0">
 <rdf:RDF xmlns:rdf="http://www.w3.org/1999/02/22-rdf-syntax-ns#">
  <rdf:Description rdf:about="" xmlns:xmp="http://ns.adobe.com/xap/1.0/"
    xmlns:dc="http://purl.org/dc/elements/1.1/" xmlns:digiKam="http://www.digikam.org/ns/1.0/"
    xmlns:mwg-rs="http://www.metadataworkinggroup.com/schemas/regions/"
    xmlns:stArea="http://ns.adobe.com/xmp/sType/Area#" xmlns:acme="http://example.com/acme/1.0/"
    xmp:Rating="4" acme:Mood="sunny">
   <dc:title><rdf:Alt><rdf:li xml:lang="x-default">Lab, 1904</rdf:li></rdf:Alt></dc:title>
   <dc:subject><rdf:Bag><rdf:li>Paris</rdf:li><rdf:li>Old Name</rdf:li></rdf:Bag></dc:subject>
   <digiKam:TagsList><rdf:Seq><rdf:li>Places/Paris</rdf:li><rdf:li>People/Old Name</rdf:li></rdf:Seq></digiKam:TagsList>
   <mwg-rs:Regions rdf:parseType="Resource"><mwg-rs:RegionList><rdf:Bag>
    <rdf:li><rdf:Description mwg-rs:Name="Old Name" mwg-rs:Type="Face">
     <mwg-rs:Area stArea:x="0.5" stArea:y="0.5" stArea:w="0.1" stArea:h="0.1"/></rdf:Description></rdf:li>
    <rdf:li><rdf:Description mwg-rs:Type="Focus" mwg-rs:Name="AF point">
     <mwg-rs:Area stArea:x="0.4" stArea:y="0.4" stArea:w="0.05" stArea:h="0.05"/></rdf:Description></rdf:li>
   </rdf:Bag></mwg-rs:RegionList></mwg-rs:Regions>
  </rdf:Description>
 </rdf:RDF>
</x:xmpmeta>
<?xpacket end="w"?>"""


@pytest.fixture
def photo(tmp_path: Path, shared_data: Path) -> Path:
    """A photo with no XMP of its own, so only the sidecar speaks."""
    target = tmp_path / "photo.jpg"
    shutil.copy(shared_data / "faces-lfw" / "Aaron_Peirsol" / "Aaron_Peirsol_0001.jpg", target)
    return target


@pytest.mark.parametrize("frame", [UPRIGHT, TURNED], ids=["upright", "orientation-6"])
def test_round_trip_through_our_reader(photo: Path, frame: Frame) -> None:
    sidecar = write_sidecar(photo, PEOPLE, frame)
    assert sidecar == photo.with_name("photo.jpg.xmp")
    read = {p.name: p.box for p in photo_people(photo, frame)}
    assert set(read) == {p.name for p in PEOPLE}
    for person in PEOPLE:
        if person.box is None:
            assert read[person.name] is None
        else:
            assert read[person.name] == pytest.approx(person.box, abs=0.001)


@pytest.mark.parametrize("frame", [UPRIGHT, TURNED], ids=["upright", "orientation-6"])
def test_exiftool_reads_the_same_names_and_boxes(photo: Path, frame: Frame, exiftool) -> None:
    sidecar = write_sidecar(photo, PEOPLE, frame)
    info = exiftool(sidecar, "-XMP-mwg-rs:RegionInfo", "-XMP-digiKam:TagsList", "-XMP-lr:HierarchicalSubject")
    region_info = info["RegionInfo"]
    stored = (700, 840) if frame is TURNED else (840, 700)
    assert (region_info["AppliedToDimensions"]["W"], region_info["AppliedToDimensions"]["H"]) == stored
    areas = {r["Name"]: r["Area"] for r in region_info["RegionList"]}
    assert set(areas) == {"Marie Curie", "Pierre Curie"}
    for person in PEOPLE[:2]:
        expected = mwg_area(person.box, frame)
        assert {key.lower(): areas[person.name][key] for key in "XYWH"} == expected
        assert areas[person.name]["Unit"] == "normalized"
    assert info["TagsList"] == [f"People/{p.name}" for p in PEOPLE]
    assert info["HierarchicalSubject"] == [f"People|{p.name}" for p in PEOPLE]


def test_foreign_fields_survive_and_only_people_are_replaced(photo: Path, exiftool) -> None:
    sidecar = photo.with_name("photo.jpg.xmp")
    sidecar.write_text(FOREIGN_SIDECAR, encoding="utf-8")
    write_sidecar(photo, PEOPLE[:1], UPRIGHT)
    text = sidecar.read_text(encoding="utf-8")
    ElementTree.fromstring(text.split("?>", 1)[1].rsplit("<?xpacket", 1)[0])  # still well-formed
    for kept in ('xmp:Rating="4"', 'acme:Mood="sunny"', "Lab, 1904", "<rdf:li>Paris</rdf:li>",
                 "Places/Paris", 'mwg-rs:Name="AF point"', 'x:xmptk="Other App 1.0"'):
        assert kept in text
    assert "Old Name" not in text
    assert {p.name for p in photo_people(photo, UPRIGHT)} == {"Marie Curie"}
    if shutil.which("exiftool"):
        info = exiftool(sidecar, "-XMP:all")
        assert info["Rating"] == 4 and info["Subject"] == ["Paris", "Marie Curie"]
        assert [r["Type"] for r in info["RegionInfo"]["RegionList"]] == ["Focus", "Face"]


def test_an_existing_photo_xmp_sidecar_is_the_one_updated(photo: Path) -> None:
    other = photo.with_suffix(".xmp")
    other.write_text(FOREIGN_SIDECAR, encoding="utf-8")
    assert write_sidecar(photo, PEOPLE[:1], UPRIGHT) == other
    assert not photo.with_name("photo.jpg.xmp").exists()


def test_removing_everyone_leaves_no_people_behind(photo: Path) -> None:
    write_sidecar(photo, PEOPLE, UPRIGHT)
    write_sidecar(photo, [], UPRIGHT)
    assert photo_people(photo, UPRIGHT) == []


def test_a_malformed_sidecar_is_left_alone(photo: Path) -> None:
    sidecar = photo.with_name("photo.jpg.xmp")
    sidecar.write_bytes(b"<x:xmpmeta><rdf:RDF><unclosed")
    with pytest.raises(XmpError, match="malformed XMP"):
        write_sidecar(photo, PEOPLE, UPRIGHT)
    assert sidecar.read_bytes() == b"<x:xmpmeta><rdf:RDF><unclosed"
    assert sorted(p.name for p in photo.parent.iterdir()) == ["photo.jpg", "photo.jpg.xmp"]  # no temp file
